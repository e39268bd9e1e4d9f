/**
 * Turns an ONNX node's type, opset and raw attributes into an IR node with
 * typed camelCase attributes. One parser per op kind, registered in PARSERS;
 * anything absent from the table becomes an "Unknown" node.
 *
 * Attributes that later opsets moved to inputs (Clip min/max, Pad pads,
 * Squeeze/Unsqueeze/ReduceMean axes, Resize scales/sizes) are left undefined
 * here and filled by the infer-shapes pass once those inputs are constant.
 */

import type { Node, RawAttrs } from "../graph.js";
import { type AttrMap, type AutoPad, type ConvAttrs, type KnownOp, PAD_MODES, type PoolAttrs } from "./attrs.js";
import { AttrReader } from "./attrs-read.js";

export interface NodeSource {
  readonly name: string;
  readonly onnxOp: string;
  readonly domain: string;
  /** Opset version of the node's domain. */
  readonly opset: number;
  readonly inputs: string[];
  readonly outputs: string[];
  readonly attrs: RawAttrs;
}

type Parser<K extends KnownOp> = (r: AttrReader, src: NodeSource) => AttrMap[K];
type ParserTable = { readonly [K in KnownOp]: Parser<K> };

const AUTO_PADS: readonly AutoPad[] = ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"];
const none = (): Record<string, never> => ({});

function conv(r: AttrReader): ConvAttrs {
  return {
    kernelShape: r.positiveInts("kernel_shape"),
    strides: r.positiveInts("strides"),
    dilations: r.positiveInts("dilations"),
    pads: r.nonNegativeInts("pads"),
    autoPad: r.oneOf("auto_pad", AUTO_PADS, "NOTSET"),
    group: r.int("group", 1),
  };
}

function pool(r: AttrReader, countIncludePad: boolean): PoolAttrs {
  return {
    kernelShape: r.positiveInts("kernel_shape") ?? [],
    strides: r.positiveInts("strides"),
    dilations: r.positiveInts("dilations"),
    pads: r.nonNegativeInts("pads"),
    autoPad: r.oneOf("auto_pad", AUTO_PADS, "NOTSET"),
    ceilMode: r.int("ceil_mode", 0) !== 0,
    countIncludePad,
  };
}

const PARSERS: ParserTable = {
  Conv: conv,
  ConvTranspose: (r) => ({ ...conv(r), outputPadding: r.nonNegativeInts("output_padding"), outputShape: r.positiveInts("output_shape") }),
  BatchNormalization: (r) => ({ epsilon: r.float("epsilon", 1e-5) }),
  Relu: none,
  LeakyRelu: (r) => ({ alpha: r.float("alpha", 0.01) }),
  PRelu: none,
  // Opset < 11 has min/max attributes; later opsets take inputs (resolved in infer-shapes).
  Clip: (r) => ({ min: r.float("min", Number.NEGATIVE_INFINITY), max: r.float("max", Number.POSITIVE_INFINITY) }),
  Sigmoid: none,
  HardSigmoid: (r) => ({ alpha: r.float("alpha", 0.2), beta: r.float("beta", 0.5) }),
  HardSwish: none,
  Tanh: none,
  Add: none,
  Mul: none,
  Sub: none,
  Div: none,
  Concat: (r) => ({ axis: r.int("axis", 1) }),
  MaxPool: (r) => pool(r, false),
  AveragePool: (r) => pool(r, r.int("count_include_pad", 0) !== 0),
  GlobalAveragePool: none,
  GlobalMaxPool: none,
  Gemm: (r) => ({ alpha: r.float("alpha", 1), beta: r.float("beta", 1), transA: r.int("transA", 0) !== 0, transB: r.int("transB", 0) !== 0 }),
  MatMul: none,
  Flatten: (r) => ({ axis: r.int("axis", 1) }),
  Reshape: (r) => ({ allowzero: r.int("allowzero", 0) !== 0 }),
  Transpose: (r) => ({ perm: r.ints("perm") }),
  Squeeze: (r) => ({ axes: r.ints("axes") }),
  Unsqueeze: (r) => ({ axes: r.ints("axes") }),
  Softmax: (r, src) => ({ axis: r.int("axis", src.opset < 13 ? 1 : -1), legacy: src.opset < 13 }),
  Resize: (r, src) => {
    const upsample = src.onnxOp === "Upsample";
    const mode = r.oneOf("mode", ["nearest", "linear", "bilinear", "cubic"], "nearest");
    return {
      mode: mode === "bilinear" ? "linear" : mode,
      // Upsample and Resize-10 are asymmetric; Resize-11+ defaults to half_pixel.
      coordinateTransformationMode: upsample || src.opset < 11 ? "asymmetric" : r.string("coordinate_transformation_mode", "half_pixel"),
      nearestMode: upsample || src.opset < 11 ? "floor" : r.string("nearest_mode", "round_prefer_floor"),
      scales: r.floats("scales"),
      sizes: undefined,
    };
  },
  Pad: (r) => ({
    mode: r.oneOf("mode", PAD_MODES, "constant"),
    pads: r.ints("pads") ?? r.ints("paddings"),
    value: r.float("value", 0),
  }),
  ReduceMean: (r) => ({ axes: r.ints("axes"), keepdims: r.int("keepdims", 1) !== 0 }),
};

/** ONNX op types that map onto another IR op kind. */
const ALIASES: Readonly<Record<string, KnownOp>> = { Upsample: "Resize" };

export function isKnownOp(op: string): op is KnownOp {
  return Object.hasOwn(PARSERS, op);
}

/** The IR op kind an ONNX (domain, type) pair imports as. */
export function irOpOf(domain: string, onnxOp: string): KnownOp | "Unknown" {
  if (domain !== "") return "Unknown";
  const op = ALIASES[onnxOp] ?? onnxOp;
  return isKnownOp(op) ? op : "Unknown";
}

export function parseNode(src: NodeSource): Node {
  const base = {
    name: src.name,
    onnxOp: src.onnxOp,
    domain: src.domain,
    inputs: src.inputs,
    outputs: src.outputs,
    fusedFrom: [src.name],
    activation: undefined,
  };
  const op = irOpOf(src.domain, src.onnxOp);
  if (op === "Unknown") return { ...base, op, attrs: src.attrs };
  const reader = new AttrReader(src.attrs, src.name, src.onnxOp);
  return buildNode(op, PARSERS[op](reader, src), base);
}

function buildNode<K extends KnownOp>(op: K, attrs: AttrMap[K], base: Omit<Node, "op" | "attrs">): Node {
  return { ...base, op, attrs } as Node;
}
