/**
 * Vectorised OpenCL kernels for the data-movement and element-wise operators:
 * one work item per output pixel of 4 channels (one image texel), reading
 * whole texels, on the element-wise grid of kernels/gpu-conv.ts `gpuLaunch`
 * (under the operator's id, `gpu.eltwise`, `gpu.concat`, `gpu.resize` or
 * `gpu.element`: the numbers the predictor prices):
 *
 *   eltwise   unary and binary arithmetic with ONNX broadcasting, PRelu and
 *             unfused BatchNormalization; a constant operand is packed as
 *             float4 per channel block (a channel-broadcast one as a splat)
 *   concat    along N, H or W: the texel of the input the coordinate falls in;
 *             along C: a texel move when every offset is a multiple of 4,
 *             else a gather of 4 lanes
 *   pad       spatial pads (constant, edge, reflect, wrap): one texel load
 *   resize    nearest or bilinear: 1 or 4 texel loads per pixel
 *   softmax   along C, H or W: two passes over the axis in texels
 *
 * Anything else (rank > 4, channel padding, Reshape-like layout changes)
 * returns undefined and gets gpu.ts's generic kernel.
 */

import { gpuLaunch, selectGpuKernel } from "../kernels/gpu-conv.js";
import { BINARY_ARITHMETIC } from "../kernels/op-config.js";
import { floatLit as F, intLit as I } from "./c-text.js";
import { ClTensor } from "./cl.js";
import { activationExpr, type Dims4, dims4, ElementGen, sameDims } from "./element.js";
import { finish, sliceConfig } from "./gpu-conv-kernels.js";
import { addGpuWeights, type GpuKernelSpec, type GpuPart, gpuPartOf, type KernelArgSpec, outputTensor, rowOf } from "./gpu.js";
import type { OpContext } from "./op-context.js";

const LANES = ["x", "y", "z", "w"] as const;

/** The element-wise grid over the GPU's part, and the preamble that names n, y, x, cb. */
function pixelGrid(ctx: OpContext) {
  const part = gpuPartOf(ctx);
  const o = ctx.out.dims;
  const cb0 = Math.floor(part.c0 / 4);
  const cbs = Math.ceil(part.c1 / 4) - cb0;
  // The predictor's id for this operator (gpu.eltwise, gpu.concat, …): every one has this grid.
  const cfg = sliceConfig(ctx, part);
  const launch = gpuLaunch(cfg, ctx.profile.gpu, selectGpuKernel(cfg));
  if (launch.grid[2] < cbs || launch.grid[1] < o.n * part.rows || launch.grid[0] < o.w) return undefined;
  const preamble = [
    "const int x = get_global_id(0);",
    "const int r = get_global_id(1);",
    `const int cb = ${I(cb0)} + (int)get_global_id(2);`,
    `if (x >= ${I(o.w)} || r >= ${I(o.n)} * rows || cb >= ${I(cb0 + cbs)}) return;`,
    ...rowOf(o.n, "y"),
  ];
  return { part, launch, preamble };
}

function dataInput(ctx: OpContext, slot: number): ClTensor | undefined {
  const t = ctx.tensor(slot);
  return t === undefined ? undefined : new ClTensor(`in${slot}`, t.dims, t.gpu ?? "image", "read");
}

function vectorKernel(ctx: OpContext, part: GpuPart, entry: string, what: string, ins: readonly { slot: number; t: ClTensor }[], extra: { params: string[]; args: KernelArgSpec[] }, body: string[], launch: { global: readonly number[]; local: readonly number[] }): GpuKernelSpec {
  const out = outputTensor(ctx, part);
  const params = [...ins.map((i) => i.t.param()), ...extra.params, out.param()];
  const args: KernelArgSpec[] = [...ins.map((i): KernelArgSpec => ({ kind: "tensor", tensor: ctx.tensor(i.slot)!.id })), ...extra.args, { kind: "tensor", tensor: ctx.out.id }];
  const store = `const float4 v = ${activationExpr(ctx.node.activation, "res")};`;
  return finish(ctx, part, entry, what, [...ins.map((i) => i.t), out], params, [...body, store, out.st4("n", "y", "x", "cb", "v")], args, launch);
}

export function vectorGpuKernel(ctx: OpContext): GpuKernelSpec | undefined {
  if (ctx.out.shape.length > 4 || ctx.out.shape.length === 0) return undefined;
  switch (ctx.node.op) {
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
    case "PRelu":
    case "Relu":
    case "LeakyRelu":
    case "Clip":
    case "Sigmoid":
    case "HardSigmoid":
    case "HardSwish":
    case "Tanh":
      return eltwise(ctx);
    case "BatchNormalization":
      return batchNorm(ctx);
    case "Concat":
      return concat(ctx);
    case "Pad":
      return pad(ctx);
    case "Resize":
      return resize(ctx);
    case "Softmax":
      return softmax(ctx);
    default:
      return undefined;
  }
}

/** Coordinates of the output pixel in an operand of dims `d` broadcast to the output `o`. */
function broadcastCoords(d: Dims4, o: Dims4): { n: string; y: string; x: string } {
  return { n: d.n === 1 && o.n !== 1 ? "0" : "n", y: d.h === 1 && o.h !== 1 ? "0" : "y", x: d.w === 1 && o.w !== 1 ? "0" : "x" };
}

/** A constant operand as float4 per pixel and channel block of its own (padded) dims; a channel broadcast is a splat. */
function packConstant(values: Float32Array, d: Dims4): Float32Array {
  const blocks = d.c === 1 ? 1 : Math.ceil(d.c / 4);
  const packed = new Float32Array(d.n * d.h * d.w * blocks * 4);
  for (let n = 0; n < d.n; n++) {
    for (let y = 0; y < d.h; y++) {
      for (let x = 0; x < d.w; x++) {
        const p = ((n * d.h + y) * d.w + x) * blocks * 4;
        for (let c = 0; c < (d.c === 1 ? 4 : d.c); c++) packed[p + c] = values[((n * d.c + (d.c === 1 ? 0 : c)) * d.h + y) * d.w + x]!;
      }
    }
  }
  return packed;
}

function eltwise(ctx: OpContext): GpuKernelSpec | undefined {
  const g = pixelGrid(ctx);
  if (g === undefined) return undefined;
  const node = ctx.node;
  const o = ctx.out.dims;
  const r = ctx.out.shape.length;
  const ins: { slot: number; t: ClTensor }[] = [];
  const extra = { params: [] as string[], args: [] as KernelArgSpec[] };
  const loads: string[] = [];
  const vars: string[] = [];
  const binary = BINARY_ARITHMETIC.has(node.op) || node.op === "PRelu";
  for (const slot of binary ? [0, 1] : [0]) {
    if ((node.inputs[slot] ?? "") === "") return undefined;
    const shape = ctx.shape(slot);
    if (shape.length > r) return undefined;
    const d = dims4([...new Array<number>(r - shape.length).fill(1), ...shape]);
    if ((d.c !== o.c && d.c !== 1) || (d.h !== o.h && d.h !== 1) || (d.w !== o.w && d.w !== 1) || (d.n !== o.n && d.n !== 1)) return undefined;
    const at = broadcastCoords(d, o);
    const v = `e${slot}`;
    vars.push(v);
    if (ctx.isConst(slot)) {
      const k = addGpuWeights(ctx, `k${slot}`, packConstant(ctx.constant(slot), d), true, `${ctx.label()} GPU input ${slot}, float4 per channel block`);
      extra.params.push(k.param);
      extra.args.push({ kind: "weights", id: k.id });
      const blocks = d.c === 1 ? 1 : Math.ceil(d.c / 4);
      loads.push(`const float4 ${v} = ${k.at(`((${at.n} * ${I(d.h)} + ${at.y}) * ${I(d.w)} + ${at.x}) * ${I(blocks)} + ${d.c === 1 ? "0" : "cb"}`)};`);
      continue;
    }
    const t = ctx.tensor(slot)!;
    if (!sameDims(d, t.dims)) return undefined;
    const cl = dataInput(ctx, slot)!;
    ins.push({ slot, t: cl });
    loads.push(d.c === 1 && o.c !== 1 ? `const float4 ${v} = (float4)(${cl.ld(at.n, "0", at.y, at.x)});` : `const float4 ${v} = ${cl.ld4(at.n, at.y, at.x, "cb")};`);
  }
  // element.ts's expression of one lane, over float4 operands (its text works on vectors too).
  const operand = (slot: number) => vars[slot] ?? "0.0f";
  const gen = new ElementGen({ ...node, activation: undefined }, ctx.elementInputs(), ctx.out.shape, { load: operand, loadFlat: operand, konst: operand });
  const code = gen.generate();
  const vec = (s: string) => s.replace(/\bconst float\b/g, "const float4");
  const body = [...g.preamble, ...loads, ...code.stmts.map(vec), `const float4 res = ${code.value};`];
  return vectorKernel(ctx, g.part, "eltwise", "element-wise over float4 pixels (broadcast operands)", ins, extra, body, g.launch);
}

function batchNorm(ctx: OpContext): GpuKernelSpec | undefined {
  const node = ctx.node;
  if (node.op !== "BatchNormalization" || ctx.tensor(0) === undefined || ![1, 2, 3, 4].every((s) => ctx.isConst(s))) return undefined;
  const g = pixelGrid(ctx);
  if (g === undefined) return undefined;
  const c = ctx.out.dims.c;
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((s) => ctx.constant(s)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  // y = x·s + b with s = scale / sqrt(var + ε) and b = bias − mean·s, per channel.
  const sb = new Float32Array(Math.ceil(c / 4) * 8);
  for (let k = 0; k < c; k++) {
    const s = scale[k]! / Math.sqrt(variance[k]! + node.attrs.epsilon);
    sb[(k >> 2) * 8 + (k & 3)] = s;
    sb[(k >> 2) * 8 + 4 + (k & 3)] = bias[k]! - mean[k]! * s;
  }
  const ss = addGpuWeights(ctx, "ss", sb, true, `${ctx.label()} GPU scale and shift, float4 pairs per channel block`);
  const inT = dataInput(ctx, 0)!;
  const body = [...g.preamble, `const float4 res = ${inT.ld4("n", "y", "x", "cb")} * ${ss.at("2 * cb")} + ${ss.at("2 * cb + 1")};`];
  return vectorKernel(ctx, g.part, "batchnorm", "batch normalisation over float4 pixels", [{ slot: 0, t: inT }], { params: [ss.param], args: [{ kind: "weights", id: ss.id }] }, body, g.launch);
}

/** The axis of `node` in the N×C×H×W view: 0 n, 1 c, 2 h, 3 w (rank ≤ 4). */
function viewAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function concat(ctx: OpContext): GpuKernelSpec | undefined {
  const node = ctx.node;
  if (node.op !== "Concat") return undefined;
  const g = pixelGrid(ctx);
  if (g === undefined) return undefined;
  const axis = viewAxis(node.attrs.axis, ctx.out.shape.length);
  const ins: { slot: number; t: ClTensor }[] = [];
  for (const slot of node.inputs.keys()) {
    const t = dataInput(ctx, slot);
    if (t === undefined || ctx.shape(slot).length !== ctx.out.shape.length) return undefined;
    ins.push({ slot, t });
  }
  const key = (["n", "c", "y", "x"] as const)[axis]!;
  const extent = (d: Dims4) => [d.n, d.c, d.h, d.w][axis]!;
  const body = [...g.preamble];
  let off = 0;
  const parts = ins.map((i) => {
    const p = { t: i.t, off, end: off + extent(i.t.dims) };
    off = p.end;
    return p;
  });
  if (axis !== 1) {
    body.push("float4 res;");
    parts.forEach((p, k) => {
      const at = { n: "n", y: "y", x: "x", [key]: `${key} - ${I(p.off)}` };
      body.push(`${k === 0 ? "" : "else "}${k === parts.length - 1 ? "" : `if (${key} < ${I(p.end)}) `}res = ${p.t.ld4(at.n, at.y, at.x, "cb")};`);
    });
  } else if (parts.every((p) => p.off % 4 === 0)) {
    body.push("float4 res;");
    parts.forEach((p, k) => {
      body.push(`${k === 0 ? "" : "else "}${k === parts.length - 1 ? "" : `if (cb < ${I(Math.ceil(p.end / 4))}) `}res = ${p.t.ld4("n", "y", "x", `cb - ${I(p.off / 4)}`)};`);
    });
  } else {
    // Unaligned channel offsets: each lane from the input its channel falls in.
    body.push("float4 res = (float4)(0.0f);");
    LANES.forEach((lane, l) => {
      body.push(`{`, `  const int c = cb * 4 + ${l};`);
      parts.forEach((p, k) => {
        body.push(`  ${k === 0 ? "" : "else "}if (c < ${I(p.end)}) res.${lane} = ${p.t.ld("n", `c - ${I(p.off)}`, "y", "x")};`);
      });
      body.push("}");
    });
  }
  return vectorKernel(ctx, g.part, "concat", `concatenation along ${"NCHW"[axis]} over float4 pixels`, ins, { params: [], args: [] }, body, g.launch);
}

/** Source index of padded coordinate `s` (already shifted by the pad) along an axis of `len`. */
function padIndex(mode: string, s: string, len: number): string[] {
  if (mode === "edge") return [`${s} = clamp(${s}, 0, ${I(len - 1)});`];
  if (mode === "wrap") return [`${s} = ((${s} % ${I(len)}) + ${I(len)}) % ${I(len)};`];
  if (mode === "reflect") {
    if (len === 1) return [`${s} = 0;`];
    const period = 2 * (len - 1);
    return [`${s} = ((${s} % ${I(period)}) + ${I(period)}) % ${I(period)};`, `if (${s} >= ${I(len)}) ${s} = ${I(period)} - ${s};`];
  }
  return [];
}

function pad(ctx: OpContext): GpuKernelSpec | undefined {
  const node = ctx.node;
  if (node.op !== "Pad" || ctx.out.shape.length !== 4) return undefined;
  const pads = node.attrs.pads;
  if (pads === undefined || [0, 1, 4, 5].some((i) => (pads[i] ?? 0) !== 0)) return undefined;
  const g = pixelGrid(ctx);
  const inT = dataInput(ctx, 0);
  if (g === undefined || inT === undefined) return undefined;
  const d = inT.dims;
  const mode = node.attrs.mode;
  const body = [...g.preamble, `int sy = y - ${I(pads[2] ?? 0)};`, `int sx = x - ${I(pads[3] ?? 0)};`, ...padIndex(mode, "sy", d.h), ...padIndex(mode, "sx", d.w)];
  if (mode === "constant") body.push(`const float4 res = sy >= 0 && sy < ${I(d.h)} && sx >= 0 && sx < ${I(d.w)} ? ${inT.ld4("n", "sy", "sx", "cb")} : (float4)(${F(node.attrs.value)});`);
  else body.push(`const float4 res = ${inT.ld4("n", "sy", "sx", "cb")};`);
  return vectorKernel(ctx, g.part, "pad", `${mode} padding over float4 pixels`, [{ slot: 0, t: inT }], { params: [], args: [] }, body, g.launch);
}

function resize(ctx: OpContext): GpuKernelSpec | undefined {
  const node = ctx.node;
  if (node.op !== "Resize" || node.attrs.mode === "cubic" || ctx.out.shape.length !== 4) return undefined;
  const x = ctx.tensor(0);
  if (x === undefined || x.shape.length !== 4 || x.dims.n !== ctx.out.dims.n || x.dims.c !== ctx.out.dims.c) return undefined;
  const g = pixelGrid(ctx);
  if (g === undefined) return undefined;
  const inT = dataInput(ctx, 0)!;
  // element.ts's coordinate arithmetic is per pixel; its loads become texel loads.
  const gen = new ElementGen({ ...node, activation: undefined }, ctx.elementInputs(), ctx.out.shape, {
    load: (_slot, n, _c, yy, xx) => inT.ld4(n, yy, xx, "cb"),
    loadFlat: () => "(float4)(0.0f)",
    konst: () => "0.0f",
  });
  const code = gen.generate();
  const body = [...g.preamble, ...code.stmts, `const float4 res = ${code.value};`];
  return vectorKernel(ctx, g.part, "resize", `${node.attrs.mode} resizing over float4 pixels`, [{ slot: 0, t: inT }], { params: [], args: [] }, body, g.launch);
}

function softmax(ctx: OpContext): GpuKernelSpec | undefined {
  const node = ctx.node;
  if (node.op !== "Softmax") return undefined;
  const r = ctx.out.shape.length;
  const axis = viewAxis(node.attrs.axis, r);
  // Legacy Softmax flattens [axis, rank): the same as one axis only when it is the last.
  if ((node.attrs.legacy && axis !== r - 1) || axis === 0) return undefined;
  const g = pixelGrid(ctx);
  const inT = dataInput(ctx, 0);
  if (g === undefined || inT === undefined) return undefined;
  const d = inT.dims;
  const body = [...g.preamble];
  if (axis === 1) {
    const blocks = Math.ceil(d.c / 4);
    const tail = d.c % 4;
    // Lanes past C take no part: −∞ for the maximum, 0 for the sum.
    const mask = (v: string, fill: string) => (tail === 0 ? [] : [`if (k == ${I(blocks - 1)}) ${v} = (float4)(${LANES.map((l, i) => (i < tail ? `${v}.${l}` : fill)).join(", ")});`]);
    body.push(
      "float4 m4 = (float4)(-INFINITY);",
      `for (int k = 0; k < ${I(blocks)}; k++) {`,
      `  float4 t = ${inT.ld4("n", "y", "x", "k")};`,
      ...mask("t", "-INFINITY").map((l) => `  ${l}`),
      "  m4 = fmax(m4, t);",
      "}",
      "const float m = fmax(fmax(m4.x, m4.y), fmax(m4.z, m4.w));",
      "float4 s4 = (float4)(0.0f);",
      `for (int k = 0; k < ${I(blocks)}; k++) {`,
      `  float4 t = exp(${inT.ld4("n", "y", "x", "k")} - m);`,
      ...mask("t", "0.0f").map((l) => `  ${l}`),
      "  s4 += t;",
      "}",
      `const float4 res = exp(${inT.ld4("n", "y", "x", "cb")} - m) / (s4.x + s4.y + s4.z + s4.w);`,
    );
  } else {
    const len = axis === 2 ? d.h : d.w;
    const at = (k: string) => (axis === 2 ? inT.ld4("n", k, "x", "cb") : inT.ld4("n", "y", k, "cb"));
    body.push(
      "float4 m = (float4)(-INFINITY);",
      `for (int k = 0; k < ${I(len)}; k++) m = fmax(m, ${at("k")});`,
      "float4 s = (float4)(0.0f);",
      `for (int k = 0; k < ${I(len)}; k++) s += exp(${at("k")} - m);`,
      `const float4 res = exp(${inT.ld4("n", "y", "x", "cb")} - m) / s;`,
    );
  }
  return vectorKernel(ctx, g.part, "softmax", `softmax along ${"NCHW"[axis]} over float4 pixels`, [{ slot: 0, t: inT }], { params: [], args: [] }, body, g.launch);
}
