/**
 * Output shapes of every known op from its (static) input shapes and typed
 * attributes. Pure functions; the infer-shapes pass walks the graph and calls
 * `inferOutputShapes`. Conv and pooling also resolve auto_pad and defaults
 * into explicit attributes here (see `resolveWindow`), so every later stage
 * reads explicit pads, strides and dilations.
 */

import { CompilerError } from "../../diag/errors.js";
import type { Node, NodeOf } from "../graph.js";
import type { StaticShape } from "../tensor.js";
import type { AutoPad } from "./attrs.js";

export interface ShapeContext {
  /** Static shapes of the node's inputs ("" inputs are undefined). */
  readonly inputs: readonly (StaticShape | undefined)[];
  /** Constant integer values of inputs, where constant. */
  readonly constant: (index: number) => readonly number[] | undefined;
}

function fail(node: Node, cause: string): never {
  throw new CompilerError("CODL-E030", { node: node.name, op: node.onnxOp, cause });
}

function need(node: Node, ctx: ShapeContext, index: number): StaticShape {
  const s = ctx.inputs[index];
  if (s === undefined) fail(node, `input ${index} is missing or has no known shape`);
  return s;
}

export function normaliseAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function broadcastShapes(node: Node, shapes: readonly StaticShape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i] as number;
      const cur = out[o] as number;
      if (cur === 1) out[o] = d;
      else if (d !== 1 && d !== cur) fail(node, `shapes [${shapes.map((x) => x.join("x")).join("], [")}] do not broadcast`);
    }
  }
  return out;
}

export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** Begins then ends, explicit. */
  readonly pads: readonly number[];
  readonly out: readonly number[];
}

/** Output extent of a sliding window over `spatial`, with auto_pad resolved to explicit pads (ONNX/ORT rules). */
export function resolveWindow(
  node: Node,
  spatial: readonly number[],
  kernel: readonly number[],
  attrs: { strides: readonly number[] | undefined; dilations: readonly number[] | undefined; pads: readonly number[] | undefined; autoPad: AutoPad },
  ceilMode = false,
): Window {
  const n = spatial.length;
  if (kernel.length !== n) fail(node, `kernel has ${kernel.length} dims but the input has ${n} spatial dims`);
  const strides = attrs.strides ?? new Array<number>(n).fill(1);
  const dilations = attrs.dilations ?? new Array<number>(n).fill(1);
  if (strides.length !== n || dilations.length !== n) fail(node, "strides/dilations rank does not match the kernel");
  const pads = [...(attrs.pads ?? new Array<number>(2 * n).fill(0))];
  if (pads.length !== 2 * n) fail(node, `pads has ${pads.length} values, expected ${2 * n}`);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const input = spatial[i] as number;
    const s = strides[i] as number;
    const keff = ((kernel[i] as number) - 1) * (dilations[i] as number) + 1;
    if (attrs.autoPad === "SAME_UPPER" || attrs.autoPad === "SAME_LOWER") {
      const o = Math.ceil(input / s);
      const total = Math.max(0, (o - 1) * s + keff - input);
      const small = Math.floor(total / 2);
      pads[i] = attrs.autoPad === "SAME_UPPER" ? small : total - small;
      pads[i + n] = total - (pads[i] as number);
      out.push(o);
      continue;
    }
    if (attrs.autoPad === "VALID") {
      pads[i] = 0;
      pads[i + n] = 0;
    }
    const span = input + (pads[i] as number) + (pads[i + n] as number) - keff;
    if (span < 0) fail(node, `the window (${keff}) is larger than the padded input (${input + (pads[i] as number) + (pads[i + n] as number)}) on spatial axis ${i}`);
    let o = (ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    // A window that would start entirely inside the end padding is dropped (ONNX and ORT).
    if (ceilMode && (o - 1) * s >= input + (pads[i] as number)) o -= 1;
    out.push(o);
  }
  return { kernel, strides, dilations, pads, out };
}

type Infer<K extends Node["op"]> = (node: Extract<Node, { op: K }>, ctx: ShapeContext) => number[][];

function conv(node: NodeOf<"Conv">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const w = need(node, ctx, 1);
  if (x.length < 3) fail(node, `input must be N×C×spatial, got rank ${x.length}`);
  if (w.length !== x.length) fail(node, `weight rank ${w.length} differs from input rank ${x.length}`);
  const g = node.attrs.group;
  const [n, c] = x as [number, number];
  const [m, cPerGroup] = w as [number, number];
  if (g < 1 || c % g !== 0 || m % g !== 0) fail(node, `group ${g} does not divide input channels ${c} and output channels ${m}`);
  if (cPerGroup * g !== c) fail(node, `weight expects ${cPerGroup * g} input channels, the input has ${c}`);
  const bias = ctx.inputs[2];
  if (bias !== undefined && (bias.length !== 1 || bias[0] !== m)) fail(node, `bias must have ${m} values`);
  const kernel = node.attrs.kernelShape ?? w.slice(2);
  if (kernel.some((k, i) => k !== w[i + 2])) fail(node, `kernel_shape [${kernel.join(", ")}] disagrees with the weight [${w.join(", ")}]`);
  const win = resolveWindow(node, x.slice(2), kernel, node.attrs);
  node.attrs = { ...node.attrs, kernelShape: win.kernel, strides: win.strides, dilations: win.dilations, pads: win.pads, autoPad: "NOTSET" };
  return [[n, m, ...win.out]];
}

function convTranspose(node: NodeOf<"ConvTranspose">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const w = need(node, ctx, 1);
  if (x.length < 3 || w.length !== x.length) fail(node, `input rank ${x.length} and weight rank ${w.length} are incompatible`);
  const g = node.attrs.group;
  const [n, c] = x as [number, number];
  if (w[0] !== c) fail(node, `weight expects ${w[0]} input channels, the input has ${c}`);
  if (g < 1 || c % g !== 0) fail(node, `group ${g} does not divide input channels ${c}`);
  const m = (w[1] as number) * g;
  const spatial = x.slice(2);
  const k = node.attrs.kernelShape ?? w.slice(2);
  const r = spatial.length;
  const strides = node.attrs.strides ?? new Array<number>(r).fill(1);
  const dil = node.attrs.dilations ?? new Array<number>(r).fill(1);
  const outPad = node.attrs.outputPadding ?? new Array<number>(r).fill(0);
  const pads = [...(node.attrs.pads ?? new Array<number>(2 * r).fill(0))];
  const requested = node.attrs.outputShape?.slice(-r);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const s = strides[i] as number;
    const keff = ((k[i] as number) - 1) * (dil[i] as number) + 1;
    const full = s * ((spatial[i] as number) - 1) + (outPad[i] as number) + keff;
    const auto = node.attrs.autoPad === "SAME_UPPER" || node.attrs.autoPad === "SAME_LOWER";
    const target = requested?.[i] ?? (auto ? (spatial[i] as number) * s : undefined);
    if (target !== undefined) {
      const total = full - target;
      if (total < 0) fail(node, `output_shape ${target} is larger than the transposed convolution can produce (${full})`);
      // ORT's rule: SAME_UPPER puts the smaller half first, otherwise the larger half.
      const half = Math.floor(total / 2);
      pads[i] = node.attrs.autoPad === "SAME_UPPER" ? half : total - half;
      pads[i + r] = total - (pads[i] as number);
      out.push(target);
    } else {
      const o = full - (pads[i] as number) - (pads[i + r] as number);
      if (o <= 0) fail(node, `output extent ${o} on spatial axis ${i} is not positive`);
      out.push(o);
    }
  }
  node.attrs = { ...node.attrs, kernelShape: k, strides, dilations: dil, pads, outputPadding: outPad, autoPad: "NOTSET", outputShape: undefined };
  return [[n, m, ...out]];
}

function pool(node: NodeOf<"MaxPool"> | NodeOf<"AveragePool">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  if (x.length < 3) fail(node, `input must be N×C×spatial, got rank ${x.length}`);
  if (node.attrs.kernelShape.length === 0) fail(node, "kernel_shape is required");
  const win = resolveWindow(node, x.slice(2), node.attrs.kernelShape, node.attrs, node.attrs.ceilMode);
  node.attrs = { ...node.attrs, strides: win.strides, dilations: win.dilations, pads: win.pads, autoPad: "NOTSET" };
  const shape = [x[0] as number, x[1] as number, ...win.out];
  // MaxPool's optional second output (indices) has the same shape.
  return node.outputs.map(() => shape);
}

const same = (node: Node, ctx: ShapeContext): number[][] => [[...need(node, ctx, 0)]];
const binary = (node: Node, ctx: ShapeContext): number[][] => [broadcastShapes(node, [need(node, ctx, 0), need(node, ctx, 1)])];
const global = (node: Node, ctx: ShapeContext): number[][] => {
  const x = need(node, ctx, 0);
  if (x.length < 3) fail(node, `input must be N×C×spatial, got rank ${x.length}`);
  return [[x[0] as number, x[1] as number, ...x.slice(2).map(() => 1)]];
};

function gemm(node: NodeOf<"Gemm">, ctx: ShapeContext): number[][] {
  const a = need(node, ctx, 0);
  const b = need(node, ctx, 1);
  if (a.length !== 2 || b.length !== 2) fail(node, `A and B must be 2-D, got ranks ${a.length} and ${b.length}`);
  const [m, ka] = node.attrs.transA ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = node.attrs.transB ? [b[1], b[0]] : [b[0], b[1]];
  if (ka !== kb) fail(node, `inner dimensions differ: ${ka} vs ${kb}`);
  const out = [m as number, n as number];
  const c = ctx.inputs[2];
  if (c !== undefined) broadcastShapes(node, [out, c]);
  return [out];
}

function matmul(node: NodeOf<"MatMul">, ctx: ShapeContext): number[][] {
  const a = need(node, ctx, 0);
  const b = need(node, ctx, 1);
  if (a.length === 0 || b.length === 0) fail(node, "MatMul inputs must not be scalars");
  const a2 = a.length === 1 ? [1, a[0] as number] : a;
  const b2 = b.length === 1 ? [b[0] as number, 1] : b;
  const k1 = a2[a2.length - 1];
  const k2 = b2[b2.length - 2];
  if (k1 !== k2) fail(node, `inner dimensions differ: ${k1} vs ${k2}`);
  const batch = broadcastShapes(node, [a2.slice(0, -2), b2.slice(0, -2)]);
  const out = [...batch];
  if (a.length > 1) out.push(a2[a2.length - 2] as number);
  if (b.length > 1) out.push(b2[b2.length - 1] as number);
  return [out];
}

function reshape(node: NodeOf<"Reshape">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const target = ctx.constant(1);
  if (target === undefined) {
    throw new CompilerError("CODL-E041", { node: node.name, op: node.onnxOp, cause: "the target shape is not a constant" });
  }
  const total = x.reduce((p, d) => p * d, 1);
  let inferred = -1;
  const out = target.map((d, i) => {
    if (d === 0 && !node.attrs.allowzero) {
      if (i >= x.length) fail(node, `0 at axis ${i} copies a dimension the input does not have`);
      return x[i] as number;
    }
    if (d === -1) {
      if (inferred >= 0) fail(node, "more than one -1 in the target shape");
      inferred = i;
      return 1;
    }
    if (d < 0) fail(node, `invalid target dimension ${d}`);
    return d;
  });
  const known = out.reduce((p, d) => p * d, 1);
  if (inferred >= 0) {
    if (known === 0 || total % known !== 0) fail(node, `cannot reshape ${total} elements into [${target.join(", ")}]`);
    out[inferred] = total / known;
  } else if (known !== total) {
    fail(node, `cannot reshape [${x.join(", ")}] (${total} elements) into [${out.join(", ")}]`);
  }
  return [out];
}

function flatten(node: NodeOf<"Flatten">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const axis = node.attrs.axis < 0 ? node.attrs.axis + x.length : node.attrs.axis;
  if (axis < 0 || axis > x.length) fail(node, `axis ${node.attrs.axis} is out of range for rank ${x.length}`);
  const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);
  return [[prod(x.slice(0, axis)), prod(x.slice(axis))]];
}

function transpose(node: NodeOf<"Transpose">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const perm = node.attrs.perm ?? x.map((_, i) => x.length - 1 - i);
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== x.length || sorted.some((p, i) => p !== i)) fail(node, `perm [${perm.join(", ")}] is not a permutation of rank ${x.length}`);
  return [perm.map((p) => x[p] as number)];
}

function squeeze(node: NodeOf<"Squeeze">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const axes = node.attrs.axes?.map((a) => normaliseAxis(node, a, x.length));
  if (axes === undefined) return [x.filter((d) => d !== 1)];
  for (const a of axes) if (x[a] !== 1) fail(node, `cannot squeeze axis ${a} of size ${x[a]}`);
  return [x.filter((_, i) => !axes.includes(i))];
}

function unsqueeze(node: NodeOf<"Unsqueeze">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  if (node.attrs.axes === undefined) fail(node, "axes are required");
  const rank = x.length + node.attrs.axes.length;
  const axes = node.attrs.axes.map((a) => normaliseAxis(node, a, rank));
  if (new Set(axes).size !== axes.length) fail(node, "repeated axes");
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : (x[j++] as number));
  return [out];
}

function concat(node: NodeOf<"Concat">, ctx: ShapeContext): number[][] {
  const shapes = node.inputs.map((_, i) => need(node, ctx, i));
  const first = shapes[0];
  if (first === undefined) fail(node, "no inputs");
  const axis = normaliseAxis(node, node.attrs.axis, first.length);
  const out = [...first];
  out[axis] = 0;
  for (const s of shapes) {
    if (s.length !== first.length || s.some((d, i) => i !== axis && d !== first[i])) {
      fail(node, `inputs [${shapes.map((x) => x.join("x")).join("], [")}] differ outside axis ${axis}`);
    }
    out[axis] = (out[axis] as number) + (s[axis] as number);
  }
  return [out];
}

function resize(node: NodeOf<"Resize">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const { sizes, scales } = node.attrs;
  if (sizes !== undefined) {
    if (sizes.length !== x.length) fail(node, `sizes has ${sizes.length} values for rank ${x.length}`);
    return [[...sizes]];
  }
  if (scales === undefined) fail(node, "neither scales nor sizes is given");
  if (scales.length !== x.length) fail(node, `scales has ${scales.length} values for rank ${x.length}`);
  return [x.map((d, i) => Math.floor(d * (scales[i] as number)))];
}

function pad(node: NodeOf<"Pad">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const pads = node.attrs.pads;
  if (pads === undefined) fail(node, "pads are required");
  if (pads.length !== 2 * x.length) fail(node, `pads has ${pads.length} values for rank ${x.length}`);
  const out = x.map((d, i) => d + (pads[i] as number) + (pads[i + x.length] as number));
  if (out.some((d) => d <= 0)) fail(node, `padding makes an empty tensor [${out.join(", ")}]`);
  return [out];
}

function reduceMean(node: NodeOf<"ReduceMean">, ctx: ShapeContext): number[][] {
  const x = need(node, ctx, 0);
  const axes = (node.attrs.axes ?? x.map((_, i) => i)).map((a) => normaliseAxis(node, a, x.length));
  if (node.attrs.keepdims) return [x.map((d, i) => (axes.includes(i) ? 1 : d))];
  return [x.filter((_, i) => !axes.includes(i))];
}

const INFER: { readonly [K in Node["op"]]: Infer<K> | undefined } = {
  Conv: conv,
  ConvTranspose: convTranspose,
  BatchNormalization: same,
  Relu: same,
  LeakyRelu: same,
  PRelu: same,
  Clip: same,
  Sigmoid: same,
  HardSigmoid: same,
  HardSwish: same,
  Tanh: same,
  Add: binary,
  Mul: binary,
  Sub: binary,
  Div: binary,
  Concat: concat,
  MaxPool: pool,
  AveragePool: pool,
  GlobalAveragePool: global,
  GlobalMaxPool: global,
  Gemm: gemm,
  MatMul: matmul,
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Softmax: same,
  Resize: resize,
  Pad: pad,
  ReduceMean: reduceMean,
  Unknown: undefined,
};

/** Output shapes of a known node; undefined for Unknown nodes. May rewrite attrs into explicit form. */
export function inferOutputShapes(node: Node, ctx: ShapeContext): number[][] | undefined {
  const infer = INFER[node.op] as ((n: Node, c: ShapeContext) => number[][]) | undefined;
  return infer?.(node, ctx);
}
