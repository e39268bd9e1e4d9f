/**
 * IR node → OpConfig: the adapter between the IR (NCHW, typed ONNX
 * attributes) and the operator records kernels/ and predict/ reason about
 * (NHWC field names of the samples CSV). It also describes each operator's
 * row geometry, `RowMap`: which input rows a range of output rows reads.
 * The planner propagates halos with it and the emitter will bake the same
 * numbers into kernels, so both agree on what a slab is.
 *
 * Shapes are taken as N×C×H×W; rank 3 is N×C×L (L as H, W = 1), rank 2 is
 * N×C (H = W = 1). Operators that are pure data movement or element-wise
 * get an `eltwise` record over their output, which the eltwise kernel
 * models price as a copy.
 */

import type { Graph, Node } from "../ir/graph.js";
import { elementCount, isStatic, type StaticShape } from "../ir/tensor.js";
import { layoutIsCopy, softmaxAxes } from "./layout.js";
import type { Activation, OpConfig } from "./op-config.js";

/** How an operator is planned: what it may be split along, and what it is. */
export type IrOpClass =
  | "conv"
  | "conv_transpose"
  | "pool"
  | "global_pool"
  | "fc"
  | "eltwise"
  | "concat"
  | "resize"
  | "pad"
  | "layout"
  | "softmax";

/**
 * Output rows [a, b) of the operator read input rows `inputRange(map, a, b)`.
 * `window`: convolution and pooling (F_eff = (F − 1)·dilation + 1);
 * `transposed`: ConvTranspose; `identity`: element-wise and channel concat;
 * `pad`: rows shifted by the top padding (reflect/edge read mirrored rows);
 * `scale`: Resize; `all`: every row (fully connected, global pooling, layout).
 */
export type RowMap =
  | { readonly kind: "window"; readonly fEff: number; readonly stride: number; readonly padTop: number; readonly inRows: number }
  | { readonly kind: "transposed"; readonly fEff: number; readonly stride: number; readonly padTop: number; readonly inRows: number }
  | { readonly kind: "identity"; readonly inRows: number }
  | { readonly kind: "pad"; readonly top: number; readonly mode: "constant" | "reflect" | "edge" | "wrap"; readonly inRows: number }
  | { readonly kind: "scale"; readonly scale: number; readonly linear: boolean; readonly coord: ResizeCoord; readonly inRows: number }
  | { readonly kind: "all"; readonly inRows: number };

/** Resize's source row of output row o: (o + ½)/scale − ½, o/scale, or o·(in − 1)/(out − 1). */
export type ResizeCoord = "half_pixel" | "asymmetric" | "align_corners";

export interface IrOp {
  readonly opClass: IrOpClass;
  /** The whole operator as kernels/ and predict/ see it. */
  readonly config: OpConfig;
  readonly rowMap: RowMap;
  /** Output extent along H and along channels (the two split dimensions). */
  readonly outRows: number;
  readonly outChannels: number;
  /** Output channels per group (a grouped, non-depthwise conv splits only at group boundaries). */
  readonly channelsPerGroup: number;
  /** Bytes of the output tensor, fp32 (what crossing processors moves). */
  readonly outputBytes: number;
}

interface Nchw {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

function nchwOf(shape: StaticShape): Nchw {
  const d = (i: number): number => shape[i] ?? 1;
  if (shape.length === 0) return { n: 1, c: 1, h: 1, w: 1 };
  if (shape.length === 1) return { n: 1, c: d(0), h: 1, w: 1 };
  if (shape.length <= 4) return { n: d(0), c: d(1), h: d(2), w: d(3) };
  return { n: d(0), c: d(1), h: d(2), w: elementCount(shape.slice(3)) };
}

function shapeOf(graph: Graph, name: string | undefined): StaticShape {
  const s = name === undefined || name === "" ? undefined : graph.tensors.get(name)?.shape;
  return isStatic(s) ? s : [1];
}

function activationOf(node: Node): Activation {
  const a = node.activation;
  if (a === undefined) return "none";
  if (a.kind === "relu" || a.kind === "relu6") return a.kind;
  return "other";
}

/** An element-wise record over a tensor of `out` (input the same extent). */
function eltwiseConfig(node: Node, out: Nchw, activation: Activation = "none"): OpConfig {
  return { op: "eltwise", n: out.n, ih: out.h, iw: out.w, ic: out.c, oh: out.h, ow: out.w, oc: out.c, kh: 1, kw: 1, sh: 1, sw: 1, groups: 1, activation, onnxOp: onnxOpOf(node) };
}

function onnxOpOf(node: Node): string {
  return node.op === "Unknown" ? node.onnxOp : node.op;
}

function build(opClass: IrOpClass, config: OpConfig, rowMap: RowMap, out: Nchw, channelsPerGroup = 1): IrOp {
  return { opClass, config, rowMap, outRows: out.h, outChannels: out.c, channelsPerGroup, outputBytes: out.n * out.c * out.h * out.w * 4 };
}

const at = (xs: readonly number[] | undefined, i: number, fallback: number): number => xs?.[i] ?? fallback;

/** The planner's view of one IR node (shapes must be static: run the pipeline first). */
export function irOpOf(graph: Graph, node: Node): IrOp {
  const outShape = shapeOf(graph, node.outputs[0]);
  const out = nchwOf(outShape);
  const x = nchwOf(shapeOf(graph, node.inputs[0]));
  const act = activationOf(node);
  const all: RowMap = { kind: "all", inRows: x.h };
  switch (node.op) {
    case "Conv": {
      const w = shapeOf(graph, node.inputs[1]);
      const kh = w[2] ?? 1;
      const kw = w[3] ?? 1;
      const a = node.attrs;
      const group = a.group;
      const sh = at(a.strides, 0, 1);
      const dil = at(a.dilations, 0, 1);
      const padTop = at(a.pads, 0, 0);
      const depthwise = group > 1 && group === x.c && group === out.c;
      const config: OpConfig = {
        op: depthwise ? "depthwise_conv2d" : "conv2d",
        n: x.n,
        ih: x.h,
        iw: x.w,
        ic: x.c,
        oh: out.h,
        ow: out.w,
        oc: out.c,
        kh,
        kw,
        sh,
        sw: at(a.strides, 1, 1),
        groups: group,
        dilation: dil,
        padTop,
        activation: act,
      };
      const rowMap: RowMap = { kind: "window", fEff: (kh - 1) * dil + 1, stride: sh, padTop, inRows: x.h };
      return build("conv", config, rowMap, out, depthwise ? 1 : out.c / group);
    }
    case "ConvTranspose": {
      const w = shapeOf(graph, node.inputs[1]);
      const a = node.attrs;
      const kh = w[2] ?? 1;
      const kw = w[3] ?? 1;
      const sh = at(a.strides, 0, 1);
      const sw = at(a.strides, 1, 1);
      const dil = at(a.dilations, 0, 1);
      // Priced as its sub-pixel equivalent: a stride-1 conv over the output with ceil(k/s) taps per axis,
      // which has the same multiply-adds (ih·iw·ic·oc·kh·kw / groups).
      const config: OpConfig = {
        op: "conv2d",
        n: x.n,
        ih: x.h,
        iw: x.w,
        ic: x.c,
        oh: out.h,
        ow: out.w,
        oc: out.c,
        kh: Math.ceil(kh / sh),
        kw: Math.ceil(kw / sw),
        sh: 1,
        sw: 1,
        groups: a.group,
        dilation: 1,
        padTop: 0,
        activation: act,
      };
      const rowMap: RowMap = { kind: "transposed", fEff: (kh - 1) * dil + 1, stride: sh, padTop: at(a.pads, 0, 0), inRows: x.h };
      return build("conv_transpose", config, rowMap, out, out.c / a.group);
    }
    case "MaxPool":
    case "AveragePool": {
      const a = node.attrs;
      const kh = a.kernelShape[0] ?? 1;
      const sh = at(a.strides, 0, 1);
      const dil = at(a.dilations, 0, 1);
      const padTop = at(a.pads, 0, 0);
      const config: OpConfig = {
        op: "pool",
        n: x.n,
        ih: x.h,
        iw: x.w,
        ic: x.c,
        oh: out.h,
        ow: out.w,
        oc: out.c,
        kh,
        kw: a.kernelShape[1] ?? 1,
        sh,
        sw: at(a.strides, 1, 1),
        groups: 1,
        dilation: dil,
        padTop,
        activation: act,
        onnxOp: node.op,
      };
      return build("pool", config, { kind: "window", fEff: (kh - 1) * dil + 1, stride: sh, padTop, inRows: x.h }, out);
    }
    case "GlobalAveragePool":
    case "GlobalMaxPool":
    case "ReduceMean": {
      const config: OpConfig = { op: "pool", n: x.n, ih: x.h, iw: x.w, ic: x.c, oh: 1, ow: 1, oc: x.c, kh: x.h, kw: x.w, sh: 1, sw: 1, groups: 1, activation: act, onnxOp: node.op };
      return build("global_pool", config, all, { ...out, c: x.c, h: 1, w: 1 });
    }
    case "Gemm":
    case "MatMul": {
      const a = shapeOf(graph, node.inputs[0]);
      const transA = node.op === "Gemm" && node.attrs.transA;
      const k = transA ? (a[a.length - 2] ?? 1) : (a[a.length - 1] ?? 1);
      const nOut = outShape[outShape.length - 1] ?? 1;
      const m = elementCount(outShape) / nOut;
      const config: OpConfig = { op: "fc", n: m, ih: 1, iw: 1, ic: k, oh: 1, ow: 1, oc: nOut, kh: 1, kw: 1, sh: 1, sw: 1, groups: 1, activation: act };
      return build("fc", config, all, { n: m, c: nOut, h: 1, w: 1 });
    }
    case "Concat": {
      const rank = outShape.length;
      const axis = node.attrs.axis < 0 ? node.attrs.axis + rank : node.attrs.axis;
      // Concatenating channels keeps rows aligned; along H or W it does not.
      const rowMap: RowMap = axis === 1 && rank === 4 ? { kind: "identity", inRows: out.h } : all;
      return build("concat", { ...eltwiseConfig(node, out), ...concatMode(graph, node, axis, rank) }, rowMap, out);
    }
    case "Resize": {
      const linear = node.attrs.mode !== "nearest";
      const scale = out.h / Math.max(1, x.h);
      const ct = node.attrs.coordinateTransformationMode;
      const coord: ResizeCoord = ct === "asymmetric" || ct === "align_corners" ? ct : "half_pixel";
      const rowMap: RowMap = outShape.length === 4 && x.n === out.n && x.c === out.c ? { kind: "scale", scale, linear, coord, inRows: x.h } : all;
      return build("resize", { ...eltwiseConfig(node, out), mode: node.attrs.mode }, rowMap, out);
    }
    case "Pad": {
      const pads = node.attrs.pads ?? [];
      const rank = outShape.length;
      const onlySpatial = rank === 4 && [0, 1, 4, 5].every((i) => (pads[i] ?? 0) === 0);
      const rowMap: RowMap = onlySpatial ? { kind: "pad", top: pads[2] ?? 0, mode: node.attrs.mode, inRows: x.h } : all;
      return build("pad", { ...eltwiseConfig(node, out), mode: node.attrs.mode }, rowMap, out);
    }
    case "Softmax": {
      // The row length as a reduction window (kh), and whether a row is the buffer's innermost run (XNNPACK's softmax).
      const { length, innermost } = softmaxAxes(outShape, node.attrs.axis, node.attrs.legacy);
      return build("softmax", { ...eltwiseConfig(node, out), kh: length, ...(innermost ? { mode: "channels" } : {}) }, all, out);
    }
    case "Transpose":
    case "Reshape":
    case "Flatten":
    case "Squeeze":
    case "Unsqueeze": {
      const flat = { n: 1, c: elementCount(outShape), h: 1, w: 1 };
      const inShape = shapeOf(graph, node.inputs[0]);
      const perm = node.op === "Transpose" ? (node.attrs.perm ?? [...inShape.keys()].reverse()) : undefined;
      return build("layout", { ...eltwiseConfig(node, flat), ...(layoutIsCopy(inShape, outShape, perm) ? { mode: "copy" } : {}) }, all, flat);
    }
    default: {
      // Element-wise: activations, binary arithmetic (broadcast), BatchNormalization, PRelu.
      const same = out.h === x.h && outShape.length === 4;
      return build("eltwise", eltwiseConfig(node, out, act), same ? { kind: "identity", inRows: x.h } : all, out);
    }
  }
}

/** A channel Concat whose input offsets are not all multiples of 4 (the GPU reads it lane by lane): mode "unaligned". */
function concatMode(graph: Graph, node: Node, axis: number, rank: number): { mode?: string } {
  if (axis !== 1 || rank > 4) return {};
  let offset = 0;
  for (const input of node.inputs.slice(0, -1)) {
    offset += shapeOf(graph, input)[1] ?? 1;
    if (offset % 4 !== 0) return { mode: "unaligned" };
  }
  return {};
}

/** OpConfig of a node (shortcut for predict-only callers). */
export function opConfigOf(graph: Graph, node: Node): OpConfig {
  return irOpOf(graph, node).config;
}

/** Input rows [lo, hi) that output rows [a, b) read, clipped to the input. */
export function inputRange(map: RowMap, a: number, b: number): readonly [number, number] {
  if (b <= a) return [0, 0];
  const n = map.inRows;
  const clip = (lo: number, hi: number): readonly [number, number] => {
    const l = Math.max(0, Math.min(n, lo));
    return [l, Math.max(l, Math.min(n, hi))];
  };
  switch (map.kind) {
    case "window":
      return clip(a * map.stride - map.padTop, (b - 1) * map.stride - map.padTop + map.fEff);
    case "transposed": {
      // Output row o = i·s − pad + t (t < F_eff) reads input i with i·s ≤ o + pad < i·s + F_eff.
      const lo = Math.ceil((a + map.padTop - map.fEff + 1) / map.stride);
      const hi = Math.floor((b - 1 + map.padTop) / map.stride) + 1;
      return clip(lo, hi);
    }
    case "identity":
      return clip(a, b);
    case "pad": {
      if (map.mode === "constant") return clip(a - map.top, b - map.top);
      // Rows inside the input map one to one; only the padded ends fold back (at most `top` rows each side).
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      const inner0 = Math.max(a, map.top);
      const inner1 = Math.min(b, map.top + n);
      if (inner1 > inner0) {
        lo = inner0 - map.top;
        hi = inner1 - map.top;
      }
      for (let r = a; r < b && r < map.top; r++) {
        const s = padSource(r - map.top, n, map.mode);
        lo = Math.min(lo, s);
        hi = Math.max(hi, s + 1);
      }
      for (let r = Math.max(a, map.top + n); r < b; r++) {
        const s = padSource(r - map.top, n, map.mode);
        lo = Math.min(lo, s);
        hi = Math.max(hi, s + 1);
      }
      return clip(lo, hi);
    }
    case "scale": {
      if (map.coord === "align_corners") {
        // The kernels compute o·(in − 1)/(out − 1) in float32, which may land just below an integer: one row of margin each side.
        const step = (n - 1) / Math.max(1, Math.round(map.scale * n) - 1);
        return clip(Math.floor(a * step) - 1, Math.floor((b - 1) * step) + (map.linear ? 3 : 2));
      }
      const halfPixel = map.coord === "half_pixel";
      const src = (o: number): number => (halfPixel ? (o + 0.5) / map.scale - 0.5 : o / map.scale);
      const lo = Math.floor(src(a));
      const hi = Math.floor(src(b - 1)) + (map.linear ? 2 : 1);
      // Nearest rounding modes may round up: one extra row keeps the slab a superset.
      return clip(lo, map.linear ? hi : hi + (halfPixel ? 1 : 0));
    }
    case "all":
      return [0, n];
  }
}

function padSource(i: number, n: number, mode: "reflect" | "edge" | "wrap"): number {
  if (n <= 1) return 0;
  if (mode === "edge") return Math.max(0, Math.min(n - 1, i));
  if (mode === "wrap") return ((i % n) + n) % n;
  const period = 2 * (n - 1);
  let r = ((i % period) + period) % period;
  if (r >= n) r = period - r;
  return r;
}
