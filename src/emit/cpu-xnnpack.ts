/**
 * XNNPACK descriptors for the CPU half, where the runtime has the operator
 * (model_desc.h CpuKind) and XNNPACK computes exactly ONNX's result; anything
 * else returns undefined and runs as a generated C++ kernel (cpu.ts).
 *
 * H split: the operator is described over the CPU's input row slab with the
 * slab's own padding, so XNNPACK's output rows are exactly the CPU's rows:
 *
 *   output rows [a, b) read input rows [a·s − pt, (b−1)·s − pt + F_eff)
 *   clipped to [lo, hi);  slab pad_top = lo − (a·s − pt),  pad_bottom = end − hi
 *
 * OC split: the CPU's output channels [c0, c1) with the weight rows of that
 * slice (whole groups for grouped convolutions; depthwise and pooling read
 * only their own input channels).
 *
 * Weights in XNNPACK's layouts: convolution [groups][group_oc][kh][kw][group_ic]
 * (ONNX's OIHW per output channel, transposed to OHWI), fully connected [out][in].
 */

import type { Activation } from "../ir/graph.js";
import type { CpuHalfSpec, CpuViewSpec } from "./cpu.js";
import { cpuOutputView } from "./cpu.js";
import { dims4 } from "./element.js";
import type { OpContext } from "./op-context.js";

/** A fused activation XNNPACK can apply (a clamp), or undefined. */
function clampOf(a: Activation | undefined): { out_min: number; out_max: number } | undefined {
  if (a === undefined) return { out_min: Number.NEGATIVE_INFINITY, out_max: Number.POSITIVE_INFINITY };
  if (a.kind === "relu") return { out_min: 0, out_max: Number.POSITIVE_INFINITY };
  if (a.kind === "relu6") return { out_min: 0, out_max: 6 };
  if (a.kind === "clip") return { out_min: a.min, out_max: a.max };
  return undefined;
}

/**
 * What runs after the XNNPACK operator: a clamp it fuses itself, or an
 * activation the runtime applies in place to the output view (PostAct in
 * model_desc.h) for those XNNPACK cannot fuse, so a convolution with
 * LeakyRelu, HardSwish or Sigmoid still runs on XNNPACK.
 */
function epilogueOf(a: Activation | undefined): Record<string, number | string> | undefined {
  const clamp = clampOf(a);
  if (clamp !== undefined) return clamp;
  const none = { out_min: Number.NEGATIVE_INFINITY, out_max: Number.POSITIVE_INFINITY };
  switch (a?.kind) {
    case "leakyRelu":
      return { ...none, post: "PostAct::kLeakyRelu", post_alpha: a.alpha };
    case "hardSwish":
      return { ...none, post: "PostAct::kHardSwish" };
    case "sigmoid":
      return { ...none, post: "PostAct::kSigmoid" };
    default:
      return undefined;
  }
}

interface Window {
  readonly k: number;
  readonly s: number;
  readonly d: number;
  readonly pad: number;
}

/** Input slab and its padding for output rows [a, b) (or columns, for the width). */
function slab(w: Window, inLen: number, a: number, b: number): { lo: number; hi: number; padA: number; padB: number } {
  const fEff = (w.k - 1) * w.d + 1;
  const start = a * w.s - w.pad;
  const end = (b - 1) * w.s - w.pad + fEff;
  const lo = Math.max(0, Math.min(inLen, start));
  const hi = Math.max(lo, Math.min(inLen, end));
  return { lo, hi, padA: lo - start, padB: end - hi };
}

function rowsView(tensor: number, h: number, lo: number, hi: number): CpuViewSpec {
  return lo === 0 && hi === h ? { tensor, row0: 0, rows: 0, ch0: 0, chs: 0 } : { tensor, row0: lo, rows: hi - lo, ch0: 0, chs: 0 };
}

/** Output rows and channels of the CPU's part. */
function cpuPart(ctx: OpContext): { a: number; b: number; c0: number; c1: number } {
  const r = ctx.op.cpu!;
  const d = ctx.out.dims;
  return ctx.op.dim === "OC" ? { a: 0, b: d.h, c0: r[0], c1: r[1] } : { a: r[0], b: r[1], c0: 0, c1: d.c };
}

export function xnnpackHalf(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  switch (node.op) {
    case "Conv":
      return conv(ctx);
    case "MaxPool":
    case "AveragePool":
      return pool(ctx);
    case "GlobalAveragePool": {
      const clamp = clampOf(node.activation);
      const x = ctx.tensor(0);
      if (clamp === undefined || x === undefined || ctx.out.shape.length !== 4) return undefined;
      const { c0, c1 } = cpuPart(ctx);
      const whole = c0 === 0 && c1 === x.dims.c;
      return {
        kind: "kGlobalAvgPool",
        inputs: [{ tensor: x.id, row0: 0, rows: 0, ch0: whole ? 0 : c0, chs: whole ? 0 : c1 - c0 }],
        output: cpuOutputView(ctx),
        fields: { ...clamp },
      };
    }
    case "Gemm":
    case "MatMul":
      return fullyConnected(ctx);
    case "Add":
    case "Mul":
      return binary(ctx);
    case "Relu":
    case "Clip":
    case "Sigmoid": {
      const x = ctx.tensor(0);
      if (x === undefined || node.activation !== undefined || x.shape.join() !== ctx.out.shape.join()) return undefined;
      const { a, b } = cpuPart(ctx);
      if (ctx.op.dim === "OC") return undefined;
      const fields: Record<string, number> = node.op === "Relu" ? { out_min: 0, out_max: Number.POSITIVE_INFINITY } : node.op === "Clip" ? { out_min: node.attrs.min, out_max: node.attrs.max } : {};
      return { kind: node.op === "Sigmoid" ? "kSigmoid" : "kClamp", inputs: [rowsView(x.id, x.dims.h, a, b)], output: cpuOutputView(ctx), fields };
    }
    default:
      return undefined;
  }
}

function conv(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  if (node.op !== "Conv") return undefined;
  const clamp = epilogueOf(node.activation);
  const x = ctx.tensor(0);
  if (clamp === undefined || x === undefined || !ctx.isConst(1) || (node.inputs[2] !== undefined && node.inputs[2] !== "" && !ctx.isConst(2))) return undefined;
  const wShape = ctx.shape(1);
  if (wShape.length !== 4 || ctx.out.shape.length !== 4) return undefined;
  const [oc, icg, kh, kw] = wShape as [number, number, number, number];
  const a = node.attrs;
  const g = a.group;
  const ocg = oc / g;
  const { a: r0, b: r1, c0, c1 } = cpuPart(ctx);
  if (c0 % ocg !== 0 || c1 % ocg !== 0) return undefined;
  const d = x.dims;
  const hw: Window = { k: kh, s: a.strides?.[0] ?? 1, d: a.dilations?.[0] ?? 1, pad: a.pads?.[0] ?? 0 };
  const ww: Window = { k: kw, s: a.strides?.[1] ?? 1, d: a.dilations?.[1] ?? 1, pad: a.pads?.[1] ?? 0 };
  const rows = slab(hw, d.h, r0, r1);
  const cols = slab(ww, d.w, 0, ctx.out.dims.w);
  const g0 = c0 / ocg;
  const groups = (c1 - c0) / ocg;
  const W = ctx.constant(1);
  const packed = new Float32Array((c1 - c0) * kh * kw * icg);
  let k = 0;
  for (let o = c0; o < c1; o++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let i = 0; i < icg; i++) packed[k++] = W[((o * icg + i) * kh + y) * kw + xx]!;
  const weights = ctx.weights.add(packed, "host", `${ctx.label()} CPU weights [${c0}, ${c1}) OHWI`);
  const bias = node.inputs[2] === undefined || node.inputs[2] === "" ? -1 : ctx.weights.add(ctx.constant(2).slice(c0, c1), "host", `${ctx.label()} CPU bias [${c0}, ${c1})`);
  const inCh0 = g0 * icg;
  const inChs = groups * icg;
  const wholeCh = inCh0 === 0 && inChs === d.c;
  const input: CpuViewSpec = { ...rowsView(x.id, d.h, rows.lo, rows.hi), ch0: wholeCh ? 0 : inCh0, chs: wholeCh ? 0 : inChs };
  return {
    kind: "kConv2d",
    inputs: [input],
    output: cpuOutputView(ctx),
    fields: {
      pad_top: rows.padA,
      pad_right: cols.padB,
      pad_bottom: rows.padB,
      pad_left: cols.padA,
      kernel_h: kh,
      kernel_w: kw,
      stride_h: hw.s,
      stride_w: ww.s,
      dilation_h: hw.d,
      dilation_w: ww.d,
      groups,
      group_ic: icg,
      group_oc: ocg,
      weights,
      bias,
      ...clamp,
    },
  };
}

function pool(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  if (node.op !== "MaxPool" && node.op !== "AveragePool") return undefined;
  const clamp = clampOf(node.activation);
  const x = ctx.tensor(0);
  const a = node.attrs;
  if (clamp === undefined || x === undefined || a.kernelShape.length !== 2 || ctx.out.shape.length !== 4) return undefined;
  const [kh, kw] = a.kernelShape as [number, number];
  if (kh * kw < 2) return undefined; // XNNPACK refuses 1×1 pooling
  const dil = [a.dilations?.[0] ?? 1, a.dilations?.[1] ?? 1];
  const pads = a.pads ?? [0, 0, 0, 0];
  const avg = node.op === "AveragePool";
  // XNNPACK's average excludes padding, and has no dilation.
  if (avg && ((a.countIncludePad && pads.some((p) => p !== 0)) || dil.some((v) => v !== 1) || a.ceilMode)) return undefined;
  const d = x.dims;
  const hw: Window = { k: kh, s: a.strides?.[0] ?? 1, d: dil[0]!, pad: pads[0] ?? 0 };
  const ww: Window = { k: kw, s: a.strides?.[1] ?? 1, d: dil[1]!, pad: pads[1] ?? 0 };
  const { a: r0, b: r1, c0, c1 } = cpuPart(ctx);
  const rows = slab(hw, d.h, r0, r1);
  const cols = slab(ww, d.w, 0, ctx.out.dims.w);
  // A padded window that reads no input row at all would be -inf (max) or 0/0 (average) in XNNPACK.
  if (rows.padA >= (kh - 1) * hw.d + 1 || cols.padA >= (kw - 1) * ww.d + 1) return undefined;
  const wholeCh = c0 === 0 && c1 === d.c;
  return {
    kind: avg ? "kAvgPool2d" : "kMaxPool2d",
    inputs: [{ ...rowsView(x.id, d.h, rows.lo, rows.hi), ch0: wholeCh ? 0 : c0, chs: wholeCh ? 0 : c1 - c0 }],
    output: cpuOutputView(ctx),
    fields: {
      pad_top: rows.padA,
      pad_right: cols.padB,
      pad_bottom: rows.padB,
      pad_left: cols.padA,
      kernel_h: kh,
      kernel_w: kw,
      stride_h: hw.s,
      stride_w: ww.s,
      dilation_h: hw.d,
      dilation_w: ww.d,
      ...clamp,
    },
  };
}

function fullyConnected(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const clamp = clampOf(node.activation);
  const x = ctx.tensor(0);
  if (clamp === undefined || x === undefined || !ctx.isConst(1)) return undefined;
  const aShape = ctx.shape(0);
  const bShape = ctx.shape(1);
  if (aShape.length !== 2 || bShape.length !== 2 || ctx.out.shape.length !== 2) return undefined;
  let alpha = 1;
  let beta = 1;
  let transB = false;
  let cSlot = -1;
  if (node.op === "Gemm") {
    if (node.attrs.transA) return undefined;
    ({ alpha, beta } = node.attrs);
    transB = node.attrs.transB;
    if (node.inputs[2] !== undefined && node.inputs[2] !== "") {
      if (!ctx.isConst(2)) return undefined;
      const cs = ctx.shape(2);
      if (cs.length > 2 || (cs.length === 2 && cs[0] !== 1)) return undefined;
      cSlot = 2;
    }
  } else if (node.op !== "MatMul") return undefined;
  const K = aShape[1]!;
  const N = ctx.out.shape[1]!;
  const { c0, c1 } = cpuPart(ctx);
  const B = ctx.constant(1);
  const packed = new Float32Array((c1 - c0) * K);
  for (let o = c0; o < c1; o++) for (let i = 0; i < K; i++) packed[(o - c0) * K + i] = alpha * B[transB ? o * K + i : i * N + o]!;
  const weights = ctx.weights.add(packed, "host", `${ctx.label()} CPU weights [${c0}, ${c1}) x ${K}`);
  let bias = -1;
  if (cSlot >= 0 && beta !== 0) {
    const C = ctx.constant(cSlot);
    const b = new Float32Array(c1 - c0);
    for (let o = c0; o < c1; o++) b[o - c0] = beta * (C.length === 1 ? C[0]! : C[o]!);
    bias = ctx.weights.add(b, "host", `${ctx.label()} CPU bias [${c0}, ${c1})`);
  }
  return { kind: "kFullyConnected", inputs: [{ tensor: x.id, row0: 0, rows: 0, ch0: 0, chs: 0 }], output: cpuOutputView(ctx), fields: { weights, bias, ...clamp } };
}

function binary(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const clamp = epilogueOf(node.activation);
  const a = ctx.tensor(0);
  const b = ctx.tensor(1);
  if (clamp === undefined || a === undefined || b === undefined || ctx.op.dim === "OC") return undefined;
  const out = ctx.out;
  if (out.shape.length !== 4 || a.shape.length !== 4 || b.shape.length !== 4) return undefined;
  const { a: r0, b: r1 } = cpuPart(ctx);
  const view = (t: typeof a) => {
    const d = dims4(t.shape);
    return d.h === out.dims.h ? rowsView(t.id, d.h, r0, r1) : { tensor: t.id, row0: 0, rows: 0, ch0: 0, chs: 0 };
  };
  return { kind: node.op === "Add" ? "kAdd" : "kMultiply", inputs: [view(a), view(b)], output: cpuOutputView(ctx), fields: { ...clamp } };
}
