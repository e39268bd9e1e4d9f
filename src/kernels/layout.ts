/**
 * Where the elements of a tensor of any rank sit in the runtime's buffers:
 * NHWC over the N×C×H×W view of emit/element.ts `dims4` (rank 3 is N×C×L,
 * rank 2 N×C, rank 1 N; rank > 4 folds its tail into W). The layout
 * operators (Transpose, Reshape, Flatten, Squeeze, Unsqueeze) move elements
 * between two such buffers; the CPU emitter walks both with these strides,
 * and kernels/from-ir.ts marks an operator that moves nothing out of order
 * as a copy (`OpConfig.mode` "copy"), so the record prices what runs.
 */

const product = (xs: readonly number[]): number => xs.reduce((p, v) => p * v, 1);

/** Elements between neighbours along each axis of `shape` in the NHWC buffer. */
export function bufferStrides(shape: readonly number[]): number[] {
  const r = shape.length;
  if (r <= 1) return r === 0 ? [] : [1];
  const c = shape[1] ?? 1;
  const h = r >= 3 ? (shape[2] ?? 1) : 1;
  const w = r >= 4 ? product(shape.slice(3)) : 1;
  const strides = [h * w * c, 1];
  if (r >= 3) strides.push(w * c);
  for (let k = 3; k < r; k++) strides.push(c * product(shape.slice(k + 1)));
  return strides;
}

/** Row-major strides: each axis's step in the logical (ONNX) order. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  return shape.map((_, k) => product(shape.slice(k + 1)));
}

/** Whether two stride lists step alike along every axis that has more than one element. */
function sameSteps(shape: readonly number[], a: readonly number[], b: readonly number[]): boolean {
  return shape.every((d, k) => d <= 1 || a[k] === b[k]);
}

/** Whether a buffer of `shape` holds its elements in logical order (C = 1, or H = W = 1). */
export function bufferInLogicalOrder(shape: readonly number[]): boolean {
  return sameSteps(shape, bufferStrides(shape), rowMajorStrides(shape));
}

/**
 * Whether a layout operator's output buffer is its input buffer's bytes in
 * the same order: a Transpose whose permuted input steps are the output's,
 * or a reshape (Reshape, Flatten, Squeeze, Unsqueeze) between two buffers in
 * logical order.
 */
export function layoutIsCopy(inShape: readonly number[], outShape: readonly number[], perm: readonly number[] | undefined): boolean {
  if (perm === undefined) return bufferInLogicalOrder(inShape) && bufferInLogicalOrder(outShape);
  const inStrides = bufferStrides(inShape);
  return sameSteps(
    outShape,
    perm.map((p) => inStrides[p] ?? 0),
    bufferStrides(outShape),
  );
}

/** One loop of a layout operator's element moves: `dim` steps, `inStride` and `outStride` elements apart in the buffers. */
export interface MoveAxis {
  readonly dim: number;
  readonly inStride: number;
  readonly outStride: number;
}

/**
 * A layout operator as nested loops over axes (outermost first) that each
 * step both buffers by a constant: the output's axes for a Transpose; for a
 * reshape, the common refinement of the two shapes (each axis split where
 * the other shape's boundaries fall, e.g. [1, 32, 32, 12] → [1, 3072, 4]
 * walks 32 × 32 × 3 × 4). Axes of one element are dropped. Undefined when a
 * reshape's shapes have no common refinement ([4, 6] → [3, 8]).
 */
export function layoutMoves(inShape: readonly number[], outShape: readonly number[], perm: readonly number[] | undefined): MoveAxis[] | undefined {
  const inStrides = bufferStrides(inShape);
  const outStrides = bufferStrides(outShape);
  if (perm !== undefined) {
    return outShape.map((dim, k) => ({ dim, inStride: inStrides[perm[k] ?? 0] ?? 0, outStride: outStrides[k] ?? 0 })).filter((a) => a.dim > 1);
  }
  const axes: MoveAxis[] = [];
  let i = inShape.length - 1;
  let o = outShape.length - 1;
  let restIn = inShape[i] ?? 1;
  let restOut = outShape[o] ?? 1;
  // Strides of the part of the current input and output axis not yet walked.
  let inStep = inStrides[i] ?? 1;
  let outStep = outStrides[o] ?? 1;
  while (i >= 0 && o >= 0) {
    if (restIn === 1 || restOut === 1) {
      if (restIn === 1 && --i >= 0) [restIn, inStep] = [inShape[i] ?? 1, inStrides[i] ?? 1];
      if (restOut === 1 && --o >= 0) [restOut, outStep] = [outShape[o] ?? 1, outStrides[o] ?? 1];
      continue;
    }
    const dim = Math.min(restIn, restOut);
    if (restIn % dim !== 0 || restOut % dim !== 0) return undefined;
    axes.push({ dim, inStride: inStep, outStride: outStep });
    restIn /= dim;
    restOut /= dim;
    inStep *= dim;
    outStep *= dim;
  }
  return axes.reverse();
}

/** The layout operators: they move elements and compute nothing. */
export const LAYOUT_OPS: ReadonlySet<string> = new Set(["Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze"]);

/**
 * A Softmax over `shape` at `axis`: the axes it reduces (opset < 13,
 * `legacy`: every axis from `axis` on), the elements of one softmax row, and
 * whether those are the innermost run of the NHWC buffer, i.e. every reduced
 * axis longer than 1 comes after every other one in N, H, W, C order (rank
 * ≤ 4). Only then does XNNPACK's softmax apply (emit/cpu-xnnpack.ts), and
 * the record says so (`OpConfig.mode` "channels").
 */
export function softmaxAxes(shape: readonly number[], axis: number, legacy: boolean): { reduced: boolean[]; length: number; innermost: boolean } {
  const r = shape.length;
  const a = axis < 0 ? axis + r : axis;
  const reduced = shape.map((_, i) => (legacy ? i >= a : i === a));
  const length = shape.reduce((p, d, i) => (reduced[i] ? p * d : p), 1);
  let innermost = r >= 1 && r <= 4;
  let inRun = false;
  // Logical axes 0..3 are n, c, h, w; the buffer runs n, h, w, c.
  for (const i of [0, 2, 3, 1]) {
    if (i >= r || shape[i] === 1) continue;
    if (reduced[i]) inRun = true;
    else if (inRun) innermost = false;
  }
  return { reduced, length, innermost };
}
