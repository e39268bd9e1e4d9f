/**
 * A tiny evaluator for the shape arithmetic exporters emit. torch.onnx writes
 * `x.view(x.size(0), -1)` as Shape → Gather → Unsqueeze → Concat → Reshape;
 * tf2onnx and paddle2onnx write similar Cast/Slice/Mul chains. Once shapes are
 * static these are constants, and infer-shapes folds them through `evaluate`.
 *
 * Values are small (at most MAX_FOLD_ELEMENTS), so plain number arrays do;
 * int64 values beyond ±2^53 saturate, which only ever means "to the end".
 */

import type { DType } from "../ir/dtype.js";
import { isFloat } from "../ir/dtype.js";
import type { Node, RawAttr } from "../ir/graph.js";
import type { StaticShape } from "../ir/tensor.js";

export const MAX_FOLD_ELEMENTS = 4096;

export interface Value {
  readonly dtype: DType;
  readonly shape: StaticShape;
  readonly data: readonly number[];
}

/** Inputs of the node as values; for Shape/Size only the shape of input 0 is needed. */
export interface FoldInputs {
  readonly values: readonly (Value | undefined)[];
  readonly shapes: readonly (StaticShape | undefined)[];
}

const FOLDABLE = new Set([
  "Shape", "Size", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Add", "Sub", "Mul", "Div",
  "Reshape", "Flatten", "ConstantOfShape", "Floor", "Ceil", "Neg", "Abs", "Sqrt", "Equal", "Where", "Range",
  "ReduceProd", "Max", "Min", "Identity", "Expand", "Transpose",
]);

/** Whether codl may fold this node once its inputs are known. */
export function isFoldable(node: Node): boolean {
  return node.domain === "" && FOLDABLE.has(node.onnxOp);
}

/** Only Shape and Size fold without constant inputs: they read the static shape. */
export function needsOnlyShape(node: Node): boolean {
  return node.onnxOp === "Shape" || node.onnxOp === "Size";
}

const size = (shape: StaticShape): number => shape.reduce((p, d) => p * d, 1);
const int64 = (data: readonly number[], shape: StaticShape = [data.length]): Value => ({ dtype: "int64", shape, data });

function rawInt(node: Node, name: string, fallback: number): number {
  const a = rawAttr(node, name);
  return a?.kind === "int" ? a.value : fallback;
}

function rawInts(node: Node, name: string): readonly number[] | undefined {
  const a = rawAttr(node, name);
  return a?.kind === "ints" ? a.value : undefined;
}

function rawAttr(node: Node, name: string): RawAttr | undefined {
  return node.op === "Unknown" ? node.attrs[name] : undefined;
}

function axisOf(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

function strides(shape: StaticShape): number[] {
  const out = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) out[i] = (out[i + 1] as number) * (shape[i + 1] as number);
  return out;
}

function broadcast(a: Value, b: Value, f: (x: number, y: number) => number, dtype: DType): Value | undefined {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array<number>(rank - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array<number>(rank - b.shape.length).fill(1), ...b.shape];
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = pa[i] as number;
    const y = pb[i] as number;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    shape.push(Math.max(x, y));
  }
  const n = size(shape);
  const sa = strides(pa);
  const sb = strides(pb);
  const so = strides(shape);
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      const c = Math.floor(i / (so[d] as number)) % (shape[d] as number);
      if ((pa[d] as number) !== 1) ia += c * (sa[d] as number);
      if ((pb[d] as number) !== 1) ib += c * (sb[d] as number);
    }
    data[i] = f(a.data[ia] as number, b.data[ib] as number);
  }
  return { dtype, shape, data };
}

function arith(op: string, a: Value, b: Value): Value | undefined {
  const float = isFloat(a.dtype);
  const fns: Record<string, (x: number, y: number) => number> = {
    Add: (x, y) => x + y,
    Sub: (x, y) => x - y,
    Mul: (x, y) => x * y,
    // Integer division truncates in ONNX Runtime.
    Div: (x, y) => (float ? x / y : Math.trunc(x / y)),
    Max: Math.max,
    Min: Math.min,
    Equal: (x, y) => (x === y ? 1 : 0),
  };
  const f = fns[op];
  if (f === undefined) return undefined;
  return broadcast(a, b, f, op === "Equal" ? "bool" : a.dtype);
}

function castTo(to: number, v: Value): Value | undefined {
  const types: Record<number, DType> = { 1: "float32", 6: "int32", 7: "int64", 9: "bool", 11: "float64" };
  const dtype = types[to];
  if (dtype === undefined) return undefined;
  const data = isFloat(dtype) ? v.data : dtype === "bool" ? v.data.map((x) => (x !== 0 ? 1 : 0)) : v.data.map(Math.trunc);
  return { dtype, shape: v.shape, data };
}

function gather(node: Node, data: Value, idx: Value): Value | undefined {
  const axis = axisOf(rawInt(node, "axis", 0), data.shape.length);
  const outer = size(data.shape.slice(0, axis));
  const dim = data.shape[axis] as number;
  const inner = size(data.shape.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of idx.data) {
      const i = raw < 0 ? raw + dim : raw;
      if (i < 0 || i >= dim) return undefined;
      for (let k = 0; k < inner; k++) out.push(data.data[(o * dim + i) * inner + k] as number);
    }
  }
  return { dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)], data: out };
}

function slice(node: Node, x: Value, inputs: readonly (Value | undefined)[]): Value | undefined {
  const fromInputs = inputs[1] !== undefined;
  const starts = fromInputs ? inputs[1]?.data : rawInts(node, "starts");
  const ends = fromInputs ? inputs[2]?.data : rawInts(node, "ends");
  if (starts === undefined || ends === undefined) return undefined;
  const axes = (fromInputs ? inputs[3]?.data : rawInts(node, "axes")) ?? starts.map((_, i) => i);
  const steps = (fromInputs ? inputs[4]?.data : undefined) ?? starts.map(() => 1);
  // Only 1-D slicing occurs in shape arithmetic; anything else is left unfolded.
  if (x.shape.length !== 1 || axes.length !== 1 || axisOf(axes[0] as number, 1) !== 0) return undefined;
  const n = x.shape[0] as number;
  const step = steps[0] as number;
  if (step === 0) return undefined;
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  const norm = (v: number): number => (v < 0 ? v + n : v);
  const out: number[] = [];
  if (step > 0) {
    for (let i = clamp(norm(starts[0] as number), 0, n); i < clamp(norm(ends[0] as number), 0, n); i += step) out.push(x.data[i] as number);
  } else {
    for (let i = clamp(norm(starts[0] as number), -1, n - 1); i > clamp(norm(ends[0] as number), -1, n - 1); i += step) out.push(x.data[i] as number);
  }
  return { dtype: x.dtype, shape: [out.length], data: out };
}

function transposeValue(node: Node, x: Value): Value {
  const rank = x.shape.length;
  const perm = (node.op === "Transpose" ? node.attrs.perm : rawInts(node, "perm")) ?? x.shape.map((_, i) => rank - 1 - i);
  const shape = perm.map((p) => x.shape[p] as number);
  const si = strides(x.shape);
  const so = strides(shape);
  const data = new Array<number>(x.data.length);
  for (let i = 0; i < data.length; i++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += (Math.floor(i / (so[d] as number)) % (shape[d] as number)) * (si[perm[d] as number] as number);
    data[i] = x.data[src] as number;
  }
  return { dtype: x.dtype, shape, data };
}

/** Evaluates a foldable node; undefined when it cannot (the node then stays). */
export function evaluate(node: Node, inputs: FoldInputs): Value[] | undefined {
  const v = inputs.values;
  const x = v[0];
  switch (node.onnxOp) {
    case "Shape": {
      const shape = inputs.shapes[0];
      if (shape === undefined) return undefined;
      const rank = shape.length;
      const start = Math.min(Math.max(axisOf(rawInt(node, "start", 0), rank), 0), rank);
      const end = Math.min(Math.max(axisOf(rawInt(node, "end", rank), rank), 0), rank);
      return [int64(shape.slice(start, end))];
    }
    case "Size": {
      const shape = inputs.shapes[0];
      return shape === undefined ? undefined : [int64([size(shape)], [])];
    }
    case "Identity":
      return x === undefined ? undefined : [x];
    case "Gather":
      return x === undefined || v[1] === undefined ? undefined : wrap(gather(node, x, v[1]));
    case "Unsqueeze":
    case "Squeeze": {
      if (x === undefined) return undefined;
      const attrs = node.op === "Unsqueeze" || node.op === "Squeeze" ? node.attrs.axes : undefined;
      const axes = v[1]?.data ?? attrs ?? rawInts(node, "axes");
      if (node.onnxOp === "Squeeze") {
        const norm = axes?.map((a) => axisOf(a, x.shape.length));
        return [{ ...x, shape: x.shape.filter((d, i) => (norm === undefined ? d !== 1 : !norm.includes(i))) }];
      }
      if (axes === undefined) return undefined;
      const rank = x.shape.length + axes.length;
      const norm = axes.map((a) => axisOf(a, rank));
      const shape: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : (x.shape[j++] as number));
      return [{ ...x, shape }];
    }
    case "Concat": {
      if (v.some((e) => e === undefined) || x === undefined) return undefined;
      const all = v as readonly Value[];
      if (all.some((e) => e.shape.length !== 1)) return undefined;
      const data = all.flatMap((e) => e.data);
      return [{ dtype: x.dtype, shape: [data.length], data }];
    }
    case "Slice":
      return x === undefined ? undefined : wrap(slice(node, x, v));
    case "Cast":
      return x === undefined ? undefined : wrap(castTo(rawInt(node, "to", 0), x));
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
    case "Max":
    case "Min":
    case "Equal":
      return x === undefined || v[1] === undefined || v.length !== 2 ? undefined : wrap(arith(node.onnxOp, x, v[1]));
    case "Floor":
    case "Ceil":
    case "Neg":
    case "Abs":
    case "Sqrt": {
      if (x === undefined) return undefined;
      const f = { Floor: Math.floor, Ceil: Math.ceil, Neg: (a: number) => -a, Abs: Math.abs, Sqrt: Math.sqrt }[node.onnxOp];
      return f === undefined ? undefined : [{ ...x, data: x.data.map(f) }];
    }
    case "Reshape": {
      if (x === undefined || v[1] === undefined) return undefined;
      let inferred = -1;
      const shape = v[1].data.map((d, i) => {
        if (d === 0) return x.shape[i] as number;
        if (d === -1) inferred = i;
        return d === -1 ? 1 : d;
      });
      if (inferred >= 0) shape[inferred] = x.data.length / size(shape);
      return size(shape) === x.data.length ? [{ ...x, shape }] : undefined;
    }
    case "Flatten": {
      if (x === undefined) return undefined;
      const axis = axisOf(node.op === "Flatten" ? node.attrs.axis : rawInt(node, "axis", 1), x.shape.length);
      return [{ ...x, shape: [size(x.shape.slice(0, axis)), size(x.shape.slice(axis))] }];
    }
    case "ConstantOfShape": {
      if (x === undefined) return undefined;
      const n = size(x.data);
      if (n > MAX_FOLD_ELEMENTS) return undefined;
      const valueAttr = rawAttr(node, "value");
      const fill = valueAttr?.kind === "tensor" && valueAttr.value.data !== undefined ? valueAttr.value : undefined;
      const dtype: DType = fill?.dtype ?? "float32";
      const scalar = fill === undefined ? 0 : readFirst(fill.data?.bytes(), dtype);
      return [{ dtype, shape: [...x.data], data: new Array<number>(n).fill(scalar) }];
    }
    case "Where": {
      const [c, a, b] = v;
      if (c === undefined || a === undefined || b === undefined) return undefined;
      const ab = broadcast(a, b, (p) => p, a.dtype);
      if (ab === undefined) return undefined;
      const picked = broadcast(c, a, (cond, av) => (cond ? av : Number.NaN), a.dtype);
      const other = broadcast(c, b, (cond, bv) => (cond ? Number.NaN : bv), b.dtype);
      if (picked === undefined || other === undefined) return undefined;
      return [{ ...picked, data: picked.data.map((p, i) => (Number.isNaN(p) ? (other.data[i] as number) : p)) }];
    }
    case "Range": {
      const [s, l, d] = v;
      if (s === undefined || l === undefined || d === undefined) return undefined;
      const start = s.data[0] as number;
      const limit = l.data[0] as number;
      const delta = d.data[0] as number;
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      if (!Number.isFinite(n) || n > MAX_FOLD_ELEMENTS) return undefined;
      return [{ dtype: s.dtype, shape: [n], data: Array.from({ length: n }, (_, i) => start + i * delta) }];
    }
    case "ReduceProd": {
      if (x === undefined || x.shape.length > 1) return undefined;
      const keep = rawInt(node, "keepdims", 1) !== 0;
      return [{ dtype: x.dtype, shape: keep ? [1] : [], data: [x.data.reduce((p, e) => p * e, 1)] }];
    }
    case "Expand": {
      if (x === undefined || v[1] === undefined) return undefined;
      const target: Value = { dtype: x.dtype, shape: v[1].data, data: new Array<number>(size(v[1].data)).fill(0) };
      if (target.data.length > MAX_FOLD_ELEMENTS) return undefined;
      return wrap(broadcast(x, target, (p) => p, x.dtype));
    }
    case "Transpose":
      return x === undefined ? undefined : [transposeValue(node, x)];
    default:
      return undefined;
  }
}

function wrap(value: Value | undefined): Value[] | undefined {
  return value === undefined ? undefined : [value];
}

function readFirst(bytes: Uint8Array | undefined, dtype: DType): number {
  if (bytes === undefined || bytes.byteLength === 0) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "float32":
      return view.getFloat32(0, true);
    case "int64":
      return Number(view.getBigInt64(0, true));
    case "int32":
      return view.getInt32(0, true);
    case "float64":
      return view.getFloat64(0, true);
    default:
      return view.getUint8(0);
  }
}
