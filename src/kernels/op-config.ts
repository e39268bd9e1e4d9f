/**
 * The operator configuration that kernels/ and predict/ reason about: one
 * operator (or one slice of it) with static shapes. Field names follow the
 * samples CSV of DESIGN.md §3, so a CSV row and an IR node map to the same
 * record. Layout is NHWC; `ic`/`oc` are channels, `groups` divides both.
 */

import { PAD_MODES, RESIZE_MODES } from "../ir/ops/attrs.js";

export const OP_KINDS = [
  "conv2d",
  "depthwise_conv2d",
  "pool",
  "fc",
  "eltwise",
  "transform_in",
  "transform_out",
  "map_in",
  "map_out",
  "sync",
] as const;
export type OpKind = (typeof OP_KINDS)[number];

export const ACTIVATIONS = ["none", "relu", "relu6", "other"] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface OpConfig {
  readonly op: OpKind;
  readonly n: number;
  readonly ih: number;
  readonly iw: number;
  readonly ic: number;
  readonly oh: number;
  readonly ow: number;
  readonly oc: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly groups: number;
  /** Dilation of the filter (1 when absent). */
  readonly dilation?: number;
  /** Top padding in rows; needed to place H-split halos exactly (0 when absent). */
  readonly padTop?: number;
  readonly activation?: Activation;
  /**
   * The ONNX operator an `eltwise` record stands for (Add, Concat, Resize, …).
   * It picks the implementation: XNNPACK or a generated C++ loop on the CPU,
   * the vectorised or the generic element kernel on the GPU. Absent: Add.
   * A `pool` record names its operator too (MaxPool, AveragePool,
   * GlobalAveragePool, …): the kernel is the same, the work per window is not.
   */
  readonly onnxOp?: string;
  /**
   * The variant of the operator's kernel that its shape does not tell apart
   * (OP_MODES; absent: the only one). The emitters pick by it, so the
   * record prices what runs:
   *   Pad      constant | reflect | edge | wrap. On host-pocl a constant 14×14×8
   *            pad on XNNPACK took 1.69 µs, a reflect one (a generated loop) 0.45 µs.
   *   Resize   nearest | linear | cubic. A whole linear Resize on the CPU is
   *            XNNPACK's bilinear kernel, nearest a generated loop.
   *   layout   copy: the elements keep their order in both NHWC buffers
   *            (Flatten of N×C×1×1, a Reshape of a channel vector): one memcpy.
   *   Concat   unaligned: a channel offset is not a multiple of 4, so the GPU
   *            reads each lane on its own (2.5× the aligned float4 kernel).
   *   Softmax  channels: a softmax row is the innermost run of the NHWC
   *            buffer (C, or what follows it when C is 1): XNNPACK's softmax
   *            on the CPU (kernels/layout.ts softmaxAxes), float4 steps on the
   *            GPU. The row's length is `kh` (a reduction window, as a pool's).
   */
  readonly mode?: string;
}

/** The values of `OpConfig.mode` (and of a samples CSV's `mode` column). */
export const OP_MODES = [...PAD_MODES, ...RESIZE_MODES, "copy", "unaligned", "channels"] as const;

/** The binary arithmetic codl's element-wise kernels run (both inputs read per output; the GPU emitter's list too). */
export const BINARY_ARITHMETIC: ReadonlySet<string> = new Set(["Add", "Sub", "Mul", "Div"]);

/** Input tensors an operator reads per output element: 2 for binary arithmetic (an `eltwise` record without onnxOp is an Add), else 1. */
export function eltwiseInputs(c: OpConfig): number {
  return c.op === "eltwise" && (c.onnxOp === undefined || BINARY_ARITHMETIC.has(c.onnxOp)) ? 2 : 1;
}

export function ceilDiv(a: number, b: number): number {
  return Math.floor((a + b - 1) / b);
}

/** Channel slices of 4, the unit of RGBA image storage. */
export function slices(channels: number): number {
  return ceilDiv(channels, 4);
}

/** Multiply-accumulates of a convolution-like operator (0 for data movement). */
export function macs(c: OpConfig): number {
  switch (c.op) {
    case "conv2d":
      return c.n * c.oh * c.ow * c.oc * (c.ic / c.groups) * c.kh * c.kw;
    case "depthwise_conv2d":
      return c.n * c.oh * c.ow * c.oc * c.kh * c.kw;
    case "fc":
      return c.n * c.ic * c.oc;
    case "pool":
      return c.n * c.oh * c.ow * c.oc * c.kh * c.kw;
    case "eltwise":
      return c.n * c.oh * c.ow * c.oc;
    default:
      return 0;
  }
}

/** FLOPs as 2 × MACs, the unit of the FLOPs-linear baseline. */
export function flops(c: OpConfig): number {
  return 2 * macs(c);
}

/** Bytes of the input, output and weight tensors at `elementBytes` per element. */
export function tensorBytes(c: OpConfig, elementBytes: number): { input: number; output: number; weights: number } {
  const input = c.n * c.ih * c.iw * c.ic * elementBytes;
  const output = c.n * c.oh * c.ow * c.oc * elementBytes;
  let weights = 0;
  if (c.op === "conv2d") weights = c.oc * (c.ic / c.groups) * c.kh * c.kw * elementBytes;
  else if (c.op === "depthwise_conv2d") weights = c.oc * c.kh * c.kw * elementBytes;
  else if (c.op === "fc") weights = c.ic * c.oc * elementBytes;
  return { input, output, weights };
}

/** A stable text key of the shape-relevant fields: the unit of the train/test split. */
export function configKey(c: OpConfig, kernel: string): string {
  return [c.op, kernel, c.n, c.ih, c.iw, c.ic, c.oh, c.ow, c.oc, c.kh, c.kw, c.sh, c.sw, c.groups, c.dilation ?? 1].join(",");
}
