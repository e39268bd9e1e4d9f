/**
 * The sweep of `codl profile`: which single-operator models to measure.
 *
 *   operators (from models, or the paper's built-in conv shapes)
 *     → one synthetic op each (SyntheticOp, src/onnx/encode.ts)
 *     → parts: the whole op on each processor, and for each dimension the
 *       op allows and each ratio ρ, the GPU's slice [0, g) and the CPU's
 *       slice [g, end) as ops of their own (each side's slice alone)
 *     → de-duplicated by (processor, synthetic op)
 *
 * A slice is cut exactly as predict/coexec.ts cuts it (gpuShare, inputRows):
 * for an H slice of output rows [a, b) the model reads input rows [lo, hi)
 * with its own top and bottom padding, so the emitted kernel and the
 * predictor see the same operator. Besides the kernels, every split-capable
 * operator gets "split" cases (the op compiled with a forced split) whose
 * chain traces give transform, map and sync times.
 */

import type { Graph, Node } from "../ir/graph.js";
import { irOpOf } from "../kernels/from-ir.js";
import type { OpConfig } from "../kernels/op-config.js";
import { sha256Hex } from "../bundle/bundle.js";
import type { SyntheticOp } from "../onnx/encode.js";
import { gpuShare, inputRows, type SplitDim } from "../predict/coexec.js";

export interface SweepOptions {
  /** GPU shares swept per dimension, in (0, 1). */
  readonly ratios: readonly number[];
  /** Ratios at which forced-split cases measure sharing (transform, map, sync). */
  readonly splitRatios: readonly number[];
}

export const FULL_SWEEP: SweepOptions = { ratios: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], splitRatios: [0.3, 0.5, 0.7] };
export const QUICK_SWEEP: SweepOptions = { ratios: [0.3, 0.7], splitRatios: [0.5] };

/** A measured case: one synthetic model, run whole on one processor or split. */
export interface ProfileCase {
  /** [a-z0-9_]: the executable is profile_run_<name>. */
  readonly name: string;
  readonly op: SyntheticOp;
  /** How it is compiled: whole on a processor, or a forced split of the whole op. */
  readonly mode: { readonly kind: "cpu" | "gpu" } | { readonly kind: "split"; readonly dim: SplitDim; readonly ratio: number };
  /** The slice this case measures: dim/ratio of the op it came from (none: the whole op). */
  readonly dim: SplitDim | "none";
  readonly ratio: number;
  /** Where the operator came from, e.g. "yolov2.onnx:/layers.0/conv". */
  readonly source: string;
}

/** One operator of a model, as the sweep starts from it. */
export interface BaseOp {
  readonly op: SyntheticOp;
  readonly source: string;
  /** The dimensions the planner may split it along. */
  readonly dims: readonly SplitDim[];
}

/** The model's own fused activation when XNNPACK cannot apply it as a clamp (SyntheticOp Conv `post`). */
function postActivation(node: Node): { post?: "LeakyRelu" | "HardSwish" | "Sigmoid" | "Tanh" } {
  switch (node.activation?.kind) {
    case "leakyRelu":
      return { post: "LeakyRelu" };
    case "hardSwish":
      return { post: "HardSwish" };
    case "sigmoid":
      return { post: "Sigmoid" };
    case "tanh":
      return { post: "Tanh" };
    default:
      return {};
  }
}

const pads4 = (p: readonly number[] | undefined): [number, number, number, number] => [p?.[0] ?? 0, p?.[1] ?? 0, p?.[2] ?? 0, p?.[3] ?? 0];

/** The synthetic op standing for an IR node, or a reason it is not swept. */
export function baseOpOf(graph: Graph, node: Node, source: string): BaseOp | string {
  const ir = irOpOf(graph, node);
  const c = ir.config;
  switch (node.op) {
    case "Conv": {
      const a = node.attrs;
      const depthwise = c.op === "depthwise_conv2d";
      const op: SyntheticOp = {
        kind: "Conv",
        n: c.n,
        ic: c.ic,
        ih: c.ih,
        iw: c.iw,
        oc: c.oc,
        kh: c.kh,
        kw: c.kw,
        sh: c.sh,
        sw: c.sw,
        pads: pads4(a.pads),
        group: c.groups,
        dilation: c.dilation ?? 1,
        // XNNPACK applies relu/relu6 as a clamp; LeakyRelu, HardSwish and Sigmoid run after it as a pass of their own.
        relu: c.activation === "relu" || c.activation === "relu6",
        ...postActivation(node),
      };
      return { op, source, dims: depthwise || c.groups === 1 ? ["H", "OC"] : ["H"] };
    }
    case "MaxPool":
    case "AveragePool": {
      const a = node.attrs;
      if (a.ceilMode) return "ceil_mode pooling";
      return { op: { kind: node.op, n: c.n, c: c.ic, ih: c.ih, iw: c.iw, kh: c.kh, kw: c.kw, sh: c.sh, sw: c.sw, pads: pads4(a.pads) }, source, dims: ["H", "OC"] };
    }
    case "GlobalAveragePool":
      return { op: { kind: "GlobalAveragePool", n: c.n, c: c.ic, ih: c.ih, iw: c.iw }, source, dims: ["OC"] };
    case "Gemm":
    case "MatMul":
      return { op: { kind: "Gemm", n: c.n, k: c.ic, oc: c.oc }, source, dims: ["OC"] };
    case "Concat": {
      if (ir.rowMap.kind !== "identity") return "concat along an axis other than channels";
      const first = graph.tensors.get(node.inputs[0] ?? "")?.shape;
      const c0 = typeof first?.[1] === "number" ? first[1] : Math.floor(c.oc / 2);
      if (c0 <= 0 || c0 >= c.oc) return "concat with one input";
      return { op: { kind: "Concat", n: c.n, c0, c1: c.oc - c0, h: c.oh, w: c.ow }, source, dims: ["H"] };
    }
    case "Resize": {
      if (ir.rowMap.kind !== "scale" || !Number.isInteger(ir.rowMap.scale) || ir.rowMap.scale < 1) return "resize by a non-integer scale";
      const a = node.attrs;
      if (a.mode === "cubic") return "cubic resize";
      const own = a.mode === "linear" ? { mode: a.mode, coord: a.coordinateTransformationMode } : { mode: a.mode, coord: a.coordinateTransformationMode, nearestMode: a.nearestMode };
      return { op: { kind: "Resize", n: c.n, c: c.oc, h: c.oh / ir.rowMap.scale, w: c.ow / ir.rowMap.scale, scale: ir.rowMap.scale, ...own }, source, dims: ["H"] };
    }
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
      if (ir.rowMap.kind !== "identity") return "broadcasting element-wise operator";
      return { op: { kind: "Add", n: c.n, c: c.oc, h: c.oh, w: c.ow }, source, dims: ["H", "OC"] };
    case "Relu":
    case "LeakyRelu":
    case "Clip":
    case "Sigmoid":
    case "HardSigmoid":
    case "HardSwish":
    case "Tanh":
    case "BatchNormalization":
    case "PRelu": {
      if (ir.rowMap.kind !== "identity") return "element-wise operator over a reshaped tensor";
      // The model's own unary op where it needs no extra inputs; Clip, BatchNormalization and PRelu stand as LeakyRelu.
      const own = node.op === "Relu" || node.op === "Sigmoid" || node.op === "HardSigmoid" || node.op === "HardSwish" || node.op === "Tanh" ? { opType: node.op } : {};
      return { op: { kind: "LeakyRelu", n: c.n, c: c.oc, h: c.oh, w: c.ow, ...own }, source, dims: ["H", "OC"] };
    }
    case "Pad": {
      const p = node.attrs.pads ?? [];
      const rank = p.length / 2;
      if (rank !== 4 || [0, 1, 4, 5].some((i) => (p[i] ?? 0) !== 0) || p.some((v) => v < 0) || node.attrs.mode === "wrap") return "Pad of other than H and W";
      const x = graph.tensors.get(node.inputs[0] ?? "")?.shape;
      const h = typeof x?.[2] === "number" ? x[2] : 0;
      const w = typeof x?.[3] === "number" ? x[3] : 0;
      if (h <= 0 || w <= 0) return "Pad of an unknown shape";
      // Measured whole on each processor: a reflected slab is not a Pad of its own.
      return { op: { kind: "Pad", n: c.n, c: c.oc, h, w, pads: [p[2] ?? 0, p[3] ?? 0, p[6] ?? 0, p[7] ?? 0], mode: node.attrs.mode }, source, dims: [] };
    }
    case "Softmax":
    case "Transpose":
    case "Reshape":
    case "Flatten": {
      // Measured whole on each processor, with the model's own shapes: never split.
      const x = graph.tensors.get(node.inputs[0] ?? "")?.shape;
      const y = graph.tensors.get(node.outputs[0] ?? "")?.shape;
      if (x === undefined || y === undefined || ![...x, ...y].every((d) => typeof d === "number" && d > 0)) return `${node.op} of an unknown shape`;
      const inShape = x as readonly number[];
      const arg =
        node.op === "Transpose"
          ? (node.attrs.perm ?? [...inShape.keys()].reverse())
          : node.op === "Reshape"
            ? (y as readonly number[])
            : [node.attrs.axis ?? (node.op === "Flatten" ? 1 : -1)];
      return { op: { kind: "Layout", opType: node.op, inShape, arg }, source, dims: [] };
    }
    default:
      return `${node.op} is not swept`;
  }
}

/** Output rows and channels of an op. */
function extent(op: SyntheticOp): { rows: number; channels: number } {
  switch (op.kind) {
    case "Conv": {
      const fEff = (op.kh - 1) * op.dilation + 1;
      return { rows: Math.floor((op.ih + op.pads[0] + op.pads[2] - fEff) / op.sh) + 1, channels: op.oc };
    }
    case "MaxPool":
    case "AveragePool":
      return { rows: Math.floor((op.ih + op.pads[0] + op.pads[2] - op.kh) / op.sh) + 1, channels: op.c };
    case "GlobalAveragePool":
      return { rows: 1, channels: op.c };
    case "Gemm":
      return { rows: 1, channels: op.oc };
    case "Add":
    case "LeakyRelu":
      return { rows: op.h, channels: op.c };
    case "Concat":
      return { rows: op.h, channels: op.c0 + op.c1 };
    case "Resize":
      return { rows: op.h * op.scale, channels: op.c };
    case "Pad":
      return { rows: op.h + op.pads[0] + op.pads[2], channels: op.c };
    case "Layout":
      return { rows: 1, channels: 1 };
  }
}

/** The OpConfig coexec.ts slices (only the fields its row and channel maths read). */
function sliceView(op: SyntheticOp): OpConfig {
  const e = extent(op);
  if (op.kind === "Conv") {
    return { op: "conv2d", n: op.n, ih: op.ih, iw: op.iw, ic: op.ic, oh: e.rows, ow: 1, oc: op.oc, kh: op.kh, kw: op.kw, sh: op.sh, sw: op.sw, groups: op.group, dilation: op.dilation, padTop: op.pads[0] };
  }
  if (op.kind === "MaxPool" || op.kind === "AveragePool") {
    return { op: "pool", n: op.n, ih: op.ih, iw: op.iw, ic: op.c, oh: e.rows, ow: 1, oc: op.c, kh: op.kh, kw: op.kw, sh: op.sh, sw: op.sw, groups: 1, padTop: op.pads[0] };
  }
  return { op: "eltwise", n: 1, ih: e.rows, iw: 1, ic: e.channels, oh: e.rows, ow: 1, oc: e.channels, kh: 1, kw: 1, sh: 1, sw: 1, groups: 1 };
}

/** Output rows [a, b) of `op` as an op of its own (its input slab, with the slab's own padding). */
export function sliceOpRows(op: SyntheticOp, a: number, b: number): SyntheticOp {
  const rows = b - a;
  switch (op.kind) {
    case "Conv":
    case "MaxPool":
    case "AveragePool": {
      const v = sliceView(op);
      const [lo, hi] = inputRows(v, a, b);
      const fEff = op.kind === "Conv" ? (op.kh - 1) * op.dilation + 1 : op.kh;
      const top = Math.max(0, op.pads[0] - a * op.sh);
      const bottom = Math.max(0, (rows - 1) * op.sh + fEff - top - (hi - lo));
      return { ...op, ih: hi - lo, pads: [top, op.pads[1], bottom, op.pads[3]] };
    }
    case "Add":
    case "LeakyRelu":
    case "Concat":
      return { ...op, h: rows };
    case "Resize":
      return { ...op, h: Math.max(1, Math.ceil(rows / op.scale)) };
    default:
      return op;
  }
}

/** Output channels [0, k) of `op` as an op of its own (depthwise and pooling slice their input too). */
export function sliceOpChannels(op: SyntheticOp, k: number): SyntheticOp {
  switch (op.kind) {
    case "Conv":
      return op.group > 1 && op.group === op.ic ? { ...op, ic: k, oc: k, group: k } : { ...op, oc: k };
    case "MaxPool":
    case "AveragePool":
    case "GlobalAveragePool":
    case "Add":
    case "LeakyRelu":
    case "Resize":
    case "Pad":
      return { ...op, c: k };
    case "Gemm":
      return { ...op, oc: k };
    case "Concat": {
      const c0 = Math.max(1, Math.min(op.c0, k - 1));
      return { ...op, c0, c1: Math.max(1, k - c0) };
    }
    case "Layout":
      return op;
  }
}

/** The GPU's rows or channels at ratio ρ, as predict/coexec.ts gpuShare rounds them. */
function shareOf(dim: SplitDim, total: number, ratio: number): number {
  const c: OpConfig = { op: "eltwise", n: 1, ih: total, iw: 1, ic: total, oh: total, ow: 1, oc: total, kh: 1, kw: 1, sh: 1, sw: 1, groups: 1 };
  return gpuShare(c, dim, ratio);
}

/** A stable key of a synthetic op (the unit of de-duplication). */
export function opKey(op: SyntheticOp): string {
  return JSON.stringify(op);
}

/**
 * Every case of the sweep, de-duplicated, in a stable order. A case's name is
 * a hash of what it measures (and `salt`: the profile), so results of an
 * earlier run of the same harness folder are reused only for the same case.
 */
export function buildSweep(ops: readonly BaseOp[], options: SweepOptions, salt = ""): ProfileCase[] {
  const cases: ProfileCase[] = [];
  const seen = new Set<string>();
  const add = (c: Omit<ProfileCase, "name">): void => {
    const key = `${JSON.stringify(c.mode)}|${opKey(c.op)}`;
    if (seen.has(key)) return;
    seen.add(key);
    cases.push({ ...c, name: `c${sha256Hex(new TextEncoder().encode(`${salt}|${key}`)).slice(0, 12)}` });
  };
  for (const base of ops) {
    const e = extent(base.op);
    add({ op: base.op, mode: { kind: "gpu" }, dim: "none", ratio: 1, source: base.source });
    add({ op: base.op, mode: { kind: "cpu" }, dim: "none", ratio: 0, source: base.source });
    for (const dim of base.dims) {
      const total = dim === "H" ? e.rows : e.channels;
      for (const ratio of options.ratios) {
        const share = shareOf(dim, total, ratio);
        if (share <= 0 || share >= total) continue;
        const gpuPart = dim === "H" ? sliceOpRows(base.op, 0, share) : sliceOpChannels(base.op, share);
        const cpuPart = dim === "H" ? sliceOpRows(base.op, share, total) : sliceOpChannels(base.op, total - share);
        add({ op: gpuPart, mode: { kind: "gpu" }, dim, ratio, source: base.source });
        add({ op: cpuPart, mode: { kind: "cpu" }, dim, ratio, source: base.source });
      }
      for (const ratio of options.splitRatios) {
        const share = shareOf(dim, total, ratio);
        if (share <= 0 || share >= total) continue;
        add({ op: base.op, mode: { kind: "split", dim, ratio }, dim, ratio, source: base.source });
      }
    }
  }
  return cases;
}

/** Base ops of every sweepable node of a lowered graph, de-duplicated; also what was skipped and why. */
export function baseOpsOfGraph(graph: Graph, modelName: string, only?: ReadonlySet<string>): { ops: BaseOp[]; skipped: Map<string, number> } {
  const ops: BaseOp[] = [];
  const skipped = new Map<string, number>();
  const seen = new Set<string>();
  for (const node of graph.nodes) {
    if (only !== undefined && !only.has(node.op)) {
      skipped.set("not in --only", (skipped.get("not in --only") ?? 0) + 1);
      continue;
    }
    const b = baseOpOf(graph, node, `${modelName}:${node.name}`);
    if (typeof b === "string") {
      skipped.set(b, (skipped.get(b) ?? 0) + 1);
      continue;
    }
    const key = opKey(b.op);
    if (seen.has(key)) continue;
    seen.add(key);
    ops.push(b);
  }
  return { ops, skipped };
}
