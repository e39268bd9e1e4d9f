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
 * slice (any slice of a one-group convolution, whole groups of a grouped one;
 * depthwise and pooling read only their own input channels).
 *
 * What runs where (XNNPACK, and the forms that keep the C++ loop):
 *   Conv, ConvTranspose           whole, H, OC (ConvTranspose H: not when the
 *                                 stride exceeds the filter, see deconv)
 *   MaxPool, AveragePool          whole, H, OC (not: 1×1 windows, average with
 *                                 counted padding, dilation or ceil_mode)
 *   GlobalAveragePool, ReduceMean over H·W, GlobalMaxPool   whole, OC
 *   Gemm, MatMul (2-D, constant B)                          whole, OC
 *   Add, Sub, Mul, Div (4-D tensors, constants of rank ≤ 4) whole, H
 *   Relu, Clip, Sigmoid, LeakyRelu, HardSwish, PRelu        whole, H
 *   Softmax (reduced axes contiguous in NHWC)               whole (CPU only)
 *   Resize linear (exact coordinate modes)                  whole (H: loop)
 *   Pad constant                                            whole, H
 * XNNPACK (Feb 2022) has no Tanh, HardSigmoid, nearest Resize, reflect or
 * edge Pad, transpose, or strided softmax: those stay loops, as do Concat
 * and layout operators (copies).
 *
 * Weights in XNNPACK's layouts: convolution [groups][group_oc][kh][kw][group_ic]
 * (ONNX's OIHW per output channel, transposed to OHWI), deconvolution the
 * same from ONNX's [ic][oc/groups][kh][kw], fully connected [out][in].
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import type { Activation } from "../ir/graph.js";
import type { CpuHalfSpec, CpuViewSpec } from "./cpu.js";
import { cpuOutputView } from "./cpu.js";
import { inputRange } from "../kernels/from-ir.js";
import { softmaxAxes } from "../kernels/layout.js";
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
    case "tanh":
      return { ...none, post: "PostAct::kTanh" };
    default:
      return undefined;
  }
}

/**
 * The groups of the CPU's output channels [c0, c1): with one group, any slice
 * of its channels (XNNPACK writes group_oc channels at the output's stride);
 * with several, whole groups only.
 */
function groupSlice(g: number, ocg: number, c0: number, c1: number): { g0: number; groups: number; groupOc: number } | undefined {
  if (g === 1) return { g0: 0, groups: 1, groupOc: c1 - c0 };
  if (c0 % ocg !== 0 || c1 % ocg !== 0) return undefined;
  return { g0: c0 / ocg, groups: (c1 - c0) / ocg, groupOc: ocg };
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
    case "GlobalMaxPool":
      return globalMaxPool(ctx);
    case "GlobalAveragePool":
    case "ReduceMean": {
      const clamp = clampOf(node.activation);
      const x = ctx.tensor(0);
      if (clamp === undefined || x === undefined || x.shape.length !== 4) return undefined;
      // ReduceMean over H and W is a global average pool ([N, C] and [N, C, 1, 1] share one buffer layout).
      if (node.op === "ReduceMean" && [...(node.attrs.axes ?? [])].map((v) => (v + 4) % 4).sort((p, q) => p - q).join() !== "2,3") return undefined;
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
    case "Sub":
    case "Mul":
    case "Div":
      return binary(ctx);
    case "Relu":
    case "Clip":
    case "Sigmoid":
    case "LeakyRelu":
    case "HardSwish":
    case "PRelu":
      return unary(ctx);
    case "ConvTranspose":
      return deconv(ctx);
    case "Softmax":
      return softmax(ctx);
    case "Resize":
      return resizeBilinear(ctx);
    case "Pad":
      return constantPad(ctx);
    default:
      return undefined;
  }
}

/** True when the CPU computes the whole output (no split, or a split that left it everything). */
function cpuWhole(ctx: OpContext): boolean {
  const { a, b, c0, c1 } = cpuPart(ctx);
  const d = ctx.out.dims;
  return a === 0 && b === d.h && c0 === 0 && c1 === d.c;
}

const WHOLE = { row0: 0, rows: 0, ch0: 0, chs: 0 } as const;

function unary(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const x = ctx.tensor(0);
  if (x === undefined || node.activation !== undefined || x.shape.join() !== ctx.out.shape.join() || ctx.op.dim === "OC") return undefined;
  const { a, b } = cpuPart(ctx);
  const input = [rowsView(x.id, x.dims.h, a, b)];
  const output = cpuOutputView(ctx);
  switch (node.op) {
    case "Relu":
      return { kind: "kClamp", inputs: input, output, fields: { out_min: 0, out_max: Number.POSITIVE_INFINITY } };
    case "Clip":
      return { kind: "kClamp", inputs: input, output, fields: { out_min: node.attrs.min, out_max: node.attrs.max } };
    case "Sigmoid":
      return { kind: "kSigmoid", inputs: input, output, fields: {} };
    case "LeakyRelu":
      return { kind: "kLeakyRelu", inputs: input, output, fields: { post_alpha: node.attrs.alpha } };
    case "HardSwish":
      return { kind: "kHardSwish", inputs: input, output, fields: {} };
    case "PRelu": {
      const slope = preluSlope(ctx);
      return slope === undefined ? undefined : { kind: "kPRelu", inputs: input, output, fields: { weights: slope } };
    }
    default:
      return undefined;
  }
}

/** PRelu's slope as one value per channel (XNNPACK's layout), when it varies along channels only. */
function preluSlope(ctx: OpContext): number | undefined {
  if (!ctx.isConst(1) || ctx.out.shape.length !== 4) return undefined;
  const s = ctx.shape(1);
  const aligned = [...new Array<number>(4 - s.length).fill(1), ...s];
  if (s.length > 4 || aligned[0] !== 1 || aligned[2] !== 1 || aligned[3] !== 1) return undefined;
  const values = ctx.constant(1);
  const c = ctx.out.dims.c;
  const perChannel = Float32Array.from({ length: c }, (_, i) => values[values.length === 1 ? 0 : i]!);
  return ctx.weights.add(perChannel, "host", `${ctx.label()} CPU slope per channel`);
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
  const { a: r0, b: r1, c0, c1 } = cpuPart(ctx);
  const part = groupSlice(g, oc / g, c0, c1);
  if (part === undefined) return undefined;
  const { g0, groups, groupOc } = part;
  const d = x.dims;
  const hw: Window = { k: kh, s: a.strides?.[0] ?? 1, d: a.dilations?.[0] ?? 1, pad: a.pads?.[0] ?? 0 };
  const ww: Window = { k: kw, s: a.strides?.[1] ?? 1, d: a.dilations?.[1] ?? 1, pad: a.pads?.[1] ?? 0 };
  const rows = slab(hw, d.h, r0, r1);
  const cols = slab(ww, d.w, 0, ctx.out.dims.w);
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
      group_oc: groupOc,
      ...convChunkField(ctx.profile.cpu.convChunks, groups, groupOc, kh * kw * icg),
      weights,
      bias,
      ...clamp,
    },
  };
}

const CHUNK_STEP = 16;

/**
 * chunk_oc of a one-group convolution's CPU half under the profile's convChunks: output channels a
 * chunk, a multiple of 16, at most about chunkBytes of weights but no more than maxChunks chunks; no
 * field (one XNNPACK operator) when the profile has none, the weights are not above aboveBytes, or
 * one chunk would hold them all.
 */
export function convChunkField(
  rule: DeviceProfile["cpu"]["convChunks"],
  groups: number,
  groupOc: number,
  perChannel: number,
): { chunk_oc?: number } {
  const bytes = perChannel * 4;
  if (rule === undefined || groups !== 1 || bytes * groupOc <= rule.aboveBytes) return {};
  const byCache = Math.floor(rule.chunkBytes / bytes / CHUNK_STEP) * CHUNK_STEP;
  const byCount = Math.ceil(Math.ceil(groupOc / rule.maxChunks) / CHUNK_STEP) * CHUNK_STEP;
  const chunk = Math.max(CHUNK_STEP, byCache, byCount);
  return chunk < groupOc ? { chunk_oc: chunk } : {};
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

/** GlobalMaxPool as a max pooling whose window is the whole map (XNNPACK has no global max pooling; it refuses a 1×1 window). */
function globalMaxPool(ctx: OpContext): CpuHalfSpec | undefined {
  const clamp = clampOf(ctx.node.activation);
  const x = ctx.tensor(0);
  if (clamp === undefined || x === undefined || ctx.out.shape.length !== 4 || x.shape.length !== 4 || x.dims.h * x.dims.w < 2) return undefined;
  const { c0, c1 } = cpuPart(ctx);
  const whole = c0 === 0 && c1 === x.dims.c;
  return {
    kind: "kMaxPool2d",
    inputs: [{ tensor: x.id, row0: 0, rows: 0, ch0: whole ? 0 : c0, chs: whole ? 0 : c1 - c0 }],
    output: cpuOutputView(ctx),
    fields: { kernel_h: x.dims.h, kernel_w: x.dims.w, stride_h: 1, stride_w: 1, dilation_h: 1, dilation_w: 1, ...clamp },
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

/**
 * Add, Sub, Mul, Div with broadcast, over the CPU's rows. Each operand is a
 * 4-D tensor view, or a constant of rank ≤ 4 carried as host weights in
 * NHWC order (only the CPU's rows of it when it has the output's height).
 */
function binary(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const clamp = epilogueOf(node.activation);
  const out = ctx.out;
  if (clamp === undefined || ctx.op.dim === "OC" || out.shape.length !== 4) return undefined;
  const { a: r0, b: r1 } = cpuPart(ctx);
  const inputs: CpuViewSpec[] = [];
  let constant: Record<string, number> = {};
  for (const slot of [0, 1]) {
    if (ctx.isConst(slot)) {
      if (Object.keys(constant).length > 0) return undefined;
      const s = ctx.shape(slot);
      if (s.length > 4) return undefined;
      const [n, c, h, w] = [...new Array<number>(4 - s.length).fill(1), ...s] as [number, number, number, number];
      const [y0, y1] = h === out.dims.h && h > 1 ? [r0, r1] : [0, h];
      const values = ctx.constant(slot);
      const nhwc = new Float32Array(n * (y1 - y0) * w * c);
      let k = 0;
      for (let i = 0; i < n; i++) for (let y = y0; y < y1; y++) for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) nhwc[k++] = values[((i * c + ch) * h + y) * w + x]!;
      const weights = ctx.weights.add(nhwc, "host", `${ctx.label()} CPU operand ${slot} rows [${y0}, ${y1}) NHWC`);
      constant = { const_operand: slot + 1, "const_shape[0]": n, "const_shape[1]": y1 - y0, "const_shape[2]": w, "const_shape[3]": c, weights };
      continue;
    }
    const t = ctx.tensor(slot);
    if (t === undefined || t.shape.length !== 4) return undefined;
    inputs.push(t.dims.h === out.dims.h ? rowsView(t.id, t.dims.h, r0, r1) : { tensor: t.id, ...WHOLE });
  }
  if (inputs.length === 0) return undefined;
  const kind = { Add: "kAdd", Sub: "kSubtract", Mul: "kMultiply", Div: "kDivide" }[node.op as "Add" | "Sub" | "Mul" | "Div"];
  return { kind, inputs, output: cpuOutputView(ctx), fields: { ...constant, ...clamp } };
}

/**
 * ConvTranspose as XNNPACK's deconvolution, whose geometry is ONNX's: output
 * row o = i·s + t·d − pad_top, and output_padding appends rows at the bottom
 * (XNNPACK's adjustment, which must stay below the stride).
 *
 * H split: output rows [a, b) read input rows [lo, hi) (inputRange, as the
 * planner's halo). Over that slab XNNPACK's rows start at lo·s − pad_top, so
 * the slab's pad_top is a + pad_top − lo·s, and its last row ends either
 * past b (cropped by pad_bottom) or before it (the missing rows, which only
 * the bias reaches, become the adjustment). When the stride exceeds the
 * filter, output row a can fall in a gap that no input row reaches and the
 * slab would need a negative pad_top: that form keeps the C++ loop.
 */
function deconv(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  if (node.op !== "ConvTranspose") return undefined;
  const post = epilogueOf(node.activation);
  const x = ctx.tensor(0);
  const hasBias = node.inputs[2] !== undefined && node.inputs[2] !== "";
  if (post === undefined || x === undefined || !ctx.isConst(1) || (hasBias && !ctx.isConst(2))) return undefined;
  const wShape = ctx.shape(1);
  if (wShape.length !== 4 || ctx.out.shape.length !== 4) return undefined;
  const [ic, ocg, kh, kw] = wShape as [number, number, number, number];
  const at = node.attrs;
  const g = at.group;
  const icg = ic / g;
  const { a: r0, b: r1, c0, c1 } = cpuPart(ctx);
  const part = groupSlice(g, ocg, c0, c1);
  if (part === undefined) return undefined;
  const [sh, sw] = [at.strides?.[0] ?? 1, at.strides?.[1] ?? 1];
  const [dh, dw] = [at.dilations?.[0] ?? 1, at.dilations?.[1] ?? 1];
  const pads = at.pads ?? [0, 0, 0, 0];
  // ONNX allows output_padding up to the dilation; XNNPACK's adjustment stays below the stride.
  const adjW = at.outputPadding?.[1] ?? 0;
  if (adjW >= sw) return undefined;
  const fEff = (kh - 1) * dh + 1;
  const padTop = pads[0] ?? 0;
  const [lo, hi] = inputRange({ kind: "transposed", fEff, stride: sh, padTop, inRows: x.dims.h }, r0, r1);
  const slabTop = r0 + padTop - lo * sh;
  if (hi <= lo || slabTop < 0) return undefined;
  const slabEnd = (hi - 1) * sh + fEff - 1;
  const lastRow = r1 - 1 + padTop;
  const slabBottom = Math.max(0, slabEnd - lastRow);
  const adjH = Math.max(0, lastRow - slabEnd);
  if (adjH >= sh) return undefined;
  const W = ctx.constant(1);
  const packed = new Float32Array((c1 - c0) * kh * kw * icg);
  let k = 0;
  // ONNX's [ic][oc/groups][kh][kw] to XNNPACK's [groups][group_oc][kh][kw][group_ic], output channel by channel.
  for (let oc = c0; oc < c1; oc++) {
    const gi = Math.floor(oc / ocg);
    const o = oc - gi * ocg;
    for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) for (let i = 0; i < icg; i++) packed[k++] = W[(((gi * icg + i) * ocg + o) * kh + y) * kw + xx]!;
  }
  const weights = ctx.weights.add(packed, "host", `${ctx.label()} CPU weights [${c0}, ${c1}) GOHWI`);
  const bias = hasBias ? ctx.weights.add(ctx.constant(2).slice(c0, c1), "host", `${ctx.label()} CPU bias [${c0}, ${c1})`) : -1;
  const wholeCh = part.g0 === 0 && part.groups === g;
  const input: CpuViewSpec = { ...rowsView(x.id, x.dims.h, lo, hi), ch0: wholeCh ? 0 : part.g0 * icg, chs: wholeCh ? 0 : part.groups * icg };
  return {
    kind: "kDeconv2d",
    inputs: [input],
    output: cpuOutputView(ctx),
    fields: {
      pad_top: slabTop,
      pad_right: pads[3] ?? 0,
      pad_bottom: slabBottom,
      pad_left: pads[1] ?? 0,
      kernel_h: kh,
      kernel_w: kw,
      stride_h: sh,
      stride_w: sw,
      dilation_h: dh,
      dilation_w: dw,
      groups: part.groups,
      group_ic: icg,
      group_oc: part.groupOc,
      adj_h: adjH,
      adj_w: adjW,
      weights,
      bias,
      ...post,
    },
  };
}

/**
 * Softmax on XNNPACK when the reduced elements of every softmax row are one
 * contiguous run of the NHWC buffer: the reduced axes (one axis, or opset <
 * 13's flattened tail) must come after every other non-trivial axis in
 * N, H, W, C order, e.g. axis 1 of a 4-D tensor, or the last axis of [N, K].
 * Order inside the run does not matter to a softmax. Softmax has no GPU
 * kernel, so the CPU always computes it whole.
 */
function softmax(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const x = ctx.tensor(0);
  const shape = ctx.out.shape;
  const r = shape.length;
  if (node.op !== "Softmax" || x === undefined || node.activation !== undefined || r < 1 || r > 4 || !cpuWhole(ctx)) return undefined;
  const { length, innermost } = softmaxAxes(shape, node.attrs.axis, node.attrs.legacy);
  if (!innermost) return undefined;
  return { kind: "kSoftmax", inputs: [{ tensor: x.id, ...WHOLE }], output: cpuOutputView(ctx), fields: { softmax_len: length } };
}

/**
 * Resize linear on XNNPACK's bilinear resize, whose sampling is ONNX's for
 * three coordinate modes: half_pixel (and pytorch_half_pixel when no axis
 * resizes to 1) with default flags, align_corners, and asymmetric as
 * TensorFlow's legacy mode. XNNPACK takes the scale as in/out, ONNX as
 * 1/scale: they agree only when out = in · scale exactly (or sizes were
 * given), except for align_corners, which both derive from the sizes.
 * H split keeps the C++ loop: XNNPACK derives its grid from the heights it
 * is given, so a row slab would resample at a different scale.
 */
function resizeBilinear(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const x = ctx.tensor(0);
  if (node.op !== "Resize" || x === undefined || node.activation !== undefined || node.attrs.mode !== "linear" || !cpuWhole(ctx)) return undefined;
  const out = ctx.out;
  if (out.shape.length !== 4 || x.shape.length !== 4 || x.dims.n !== out.dims.n || x.dims.c !== out.dims.c) return undefined;
  const scales = node.attrs.scales;
  const exact = scales === undefined || (scales[2] === out.dims.h / x.dims.h && scales[3] === out.dims.w / x.dims.w);
  const ct = node.attrs.coordinateTransformationMode;
  let flags: string;
  if (ct === "align_corners") flags = "0x8u /* XNN_FLAG_ALIGN_CORNERS */";
  else if (!exact) return undefined;
  else if (ct === "half_pixel" || (ct === "pytorch_half_pixel" && out.dims.h > 1 && out.dims.w > 1)) flags = "0";
  else if (ct === "asymmetric") flags = "0x4u /* XNN_FLAG_TENSORFLOW_LEGACY_MODE */";
  else return undefined;
  return { kind: "kResizeBilinear", inputs: [{ tensor: x.id, ...WHOLE }], output: cpuOutputView(ctx), fields: { flags } };
}

/**
 * Pad in constant mode on XNNPACK's constant_pad_nd, on profiles with more than one CPU thread (non-negative pads; the
 * batch axis unpadded). H split: output rows [a, b) hold input rows [lo, hi)
 * shifted by the top padding, with the padded rows of [a, b) above and below
 * them; a slab of padding rows only keeps the C++ loop.
 */
function constantPad(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const x = ctx.tensor(0);
  if (node.op !== "Pad" || x === undefined || node.activation !== undefined || node.attrs.mode !== "constant" || ctx.op.dim === "OC") return undefined;
  // On one thread the generated loop is faster at every size measured: 1.6–7.6× on host-pocl (10 small_pad shapes up to
  // 58×58×16, side by side, BENCHMARKS.md issue 6, tenth session). With more threads XNNPACK splits rows; not measured.
  if (ctx.profile.cpu.threads <= 1) return undefined;
  const p = node.attrs.pads ?? [];
  if (ctx.out.shape.length !== 4 || x.shape.length !== 4 || p.length !== 8 || p.some((v) => v < 0) || p[0] !== 0 || p[4] !== 0) return undefined;
  const [top, left, right] = [p[2]!, p[3]!, p[7]!];
  const { a, b } = cpuPart(ctx);
  const [lo, hi] = inputRange({ kind: "pad", top, mode: "constant", inRows: x.dims.h }, a, b);
  if (hi <= lo) return undefined;
  const rowsTop = lo + top - a;
  const rowsBottom = b - (hi + top);
  if (rowsTop < 0 || rowsBottom < 0) return undefined;
  return {
    kind: "kConstantPad",
    inputs: [rowsView(x.id, x.dims.h, lo, hi)],
    output: cpuOutputView(ctx),
    fields: { pad_top: rowsTop, pad_bottom: rowsBottom, pad_left: left, pad_right: right, pad_ch_begin: p[1]!, pad_ch_end: p[5]!, pad_value: node.attrs.value },
  };
}
