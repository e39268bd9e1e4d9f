/**
 * Typed, camelCase attribute records for every operator codl understands.
 * One entry per IR op kind; `parse.ts` fills them from raw ONNX attributes
 * (and from constant inputs, for ops that moved attributes to inputs in
 * later opsets: Clip, Pad, Squeeze, Unsqueeze, ReduceMean, Resize).
 */

export type AutoPad = "NOTSET" | "SAME_UPPER" | "SAME_LOWER" | "VALID";

export interface ConvAttrs {
  /** Spatial kernel size; taken from the weight's shape when the attribute is absent. */
  readonly kernelShape: readonly number[] | undefined;
  readonly strides: readonly number[] | undefined;
  readonly dilations: readonly number[] | undefined;
  /** ONNX order: all begins, then all ends. */
  readonly pads: readonly number[] | undefined;
  readonly autoPad: AutoPad;
  readonly group: number;
}

export interface ConvTransposeAttrs extends ConvAttrs {
  readonly outputPadding: readonly number[] | undefined;
  readonly outputShape: readonly number[] | undefined;
}

export interface PoolAttrs {
  readonly kernelShape: readonly number[];
  readonly strides: readonly number[] | undefined;
  readonly dilations: readonly number[] | undefined;
  readonly pads: readonly number[] | undefined;
  readonly autoPad: AutoPad;
  readonly ceilMode: boolean;
  /** AveragePool only; false for MaxPool. */
  readonly countIncludePad: boolean;
}

/** ONNX Resize's modes. */
export const RESIZE_MODES = ["nearest", "linear", "cubic"] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

export interface ResizeAttrs {
  readonly mode: ResizeMode;
  readonly coordinateTransformationMode: string;
  readonly nearestMode: string;
  /** Per-axis scales, or undefined when `sizes` is given. Resolved from constant inputs. */
  readonly scales: readonly number[] | undefined;
  readonly sizes: readonly number[] | undefined;
}

/** ONNX Pad's modes. */
export const PAD_MODES = ["constant", "reflect", "edge", "wrap"] as const;

export interface PadAttrs {
  readonly mode: (typeof PAD_MODES)[number];
  /** ONNX order: all begins, then all ends, over every axis; from an input in opset ≥ 11. */
  readonly pads: readonly number[] | undefined;
  readonly value: number;
}

export interface AttrMap {
  Conv: ConvAttrs;
  ConvTranspose: ConvTransposeAttrs;
  BatchNormalization: { readonly epsilon: number };
  Relu: Record<string, never>;
  LeakyRelu: { readonly alpha: number };
  PRelu: Record<string, never>;
  Clip: { readonly min: number; readonly max: number };
  Sigmoid: Record<string, never>;
  HardSigmoid: { readonly alpha: number; readonly beta: number };
  HardSwish: Record<string, never>;
  Tanh: Record<string, never>;
  Add: Record<string, never>;
  Mul: Record<string, never>;
  Sub: Record<string, never>;
  Div: Record<string, never>;
  Concat: { readonly axis: number };
  MaxPool: PoolAttrs;
  AveragePool: PoolAttrs;
  GlobalAveragePool: Record<string, never>;
  GlobalMaxPool: Record<string, never>;
  Gemm: { readonly alpha: number; readonly beta: number; readonly transA: boolean; readonly transB: boolean };
  MatMul: Record<string, never>;
  Flatten: { readonly axis: number };
  /** The target shape is resolved from the constant second input during shape inference. */
  Reshape: { readonly allowzero: boolean };
  Transpose: { readonly perm: readonly number[] | undefined };
  Squeeze: { readonly axes: readonly number[] | undefined };
  Unsqueeze: { readonly axes: readonly number[] | undefined };
  /** `legacy` marks opset < 13 semantics (coerce to 2-D at `axis`). */
  Softmax: { readonly axis: number; readonly legacy: boolean };
  Resize: ResizeAttrs;
  Pad: PadAttrs;
  ReduceMean: { readonly axes: readonly number[] | undefined; readonly keepdims: boolean };
}

export type KnownOp = keyof AttrMap;
export type AttrsOf<K extends KnownOp> = AttrMap[K];
