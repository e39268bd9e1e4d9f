/**
 * codl's own OpenCL kernels: which one runs for an operator, and its launch
 * geometry. The emitter bakes these numbers into the generated source; the
 * predictor counts the same blocks.
 *
 * Storage is image2d RGBA (channels packed by 4) or a buffer with the same
 * slice layout. Every convolution work item computes `block` outputs:
 *
 *   block = [bx columns, 1 row, bz slices]   (bz slices = 4·bz output channels)
 *   for s in src slices, for (ky, kx) in taps:   ← loop = slices(ic/groups)·kh·kw
 *     read bx input texels, bz·4 weight texels; 16·bx·bz MACs
 *
 * The block grows with the work available per compute unit, counted in
 * waves, so small layers still fill the GPU and large ones reuse registers:
 *
 *   waves/CU ≤ 4 → 1×1×1 · ≤ 12 → 2×1×1 · ≤ 24 → 2×1×2 · else 4×1×2 (1×1 conv) or 2×1×2
 *
 * Element-wise operators are `gpu.eltwise`, `gpu.concat`, `gpu.resize`,
 * `gpu.layout` (Transpose, Reshape, Flatten, Squeeze, Unsqueeze: the generic
 * element kernel) or `gpu.element` (Pad, Softmax, …), all on one grid: a work
 * item per output pixel of 4 channels. The last four keep loop = 4 from when they ran the
 * generic element kernel (a scalar loop over 4 lanes, emit/gpu.ts); Concat,
 * Resize, Pad, Softmax, BatchNormalization and PRelu now have float4 kernels
 * (emit/gpu-vector-kernels.ts), and the profiles' models for those ids were
 * fitted on the generic kernel, so they over-price them until retrained.
 */

import { type Dim3, type GpuLaunch, type GpuSpec, pickConvWorkGroup, pickSimpleWorkGroup, summariseLaunch } from "./gpu-blocking.js";
import { LAYOUT_OPS } from "./layout.js";
import { ceilDiv, type OpConfig, slices } from "./op-config.js";


export const GPU_KERNELS = [
  "gpu.conv2d_1x1",
  "gpu.conv2d_direct",
  "gpu.dwconv2d",
  "gpu.pool",
  "gpu.fc",
  "gpu.eltwise",
  "gpu.concat",
  "gpu.resize",
  "gpu.element",
  "gpu.layout",
  "gpu.transform",
] as const;
export type GpuKernelId = (typeof GPU_KERNELS)[number];

const ELEMENT_BYTES = 2; // fp16 storage

/** Element-wise operators priced as `gpu.eltwise` (emit/gpu-vector-kernels.ts). */
const VECTOR_ELTWISE: ReadonlySet<string> = new Set(["Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh"]);

export function selectGpuKernel(c: OpConfig): GpuKernelId {
  switch (c.op) {
    case "conv2d":
      if (c.groups === c.ic && c.groups === c.oc && c.groups > 1) return "gpu.dwconv2d";
      return c.kh === 1 && c.kw === 1 && c.sh === 1 && c.sw === 1 && c.groups === 1 ? "gpu.conv2d_1x1" : "gpu.conv2d_direct";
    case "depthwise_conv2d":
      return "gpu.dwconv2d";
    case "pool":
      return "gpu.pool";
    case "fc":
      return "gpu.fc";
    case "eltwise":
      if (c.onnxOp === undefined || VECTOR_ELTWISE.has(c.onnxOp)) return "gpu.eltwise";
      if (c.onnxOp === "Concat") return "gpu.concat";
      if (c.onnxOp === "Resize") return "gpu.resize";
      return LAYOUT_OPS.has(c.onnxOp) ? "gpu.layout" : "gpu.element";
    default:
      return "gpu.transform";
  }
}

/**
 * float4 reads of one Softmax item before its own: a pass for the maximum and
 * one for the sum over the axis (`kh`), in float4 slices when the axis is the
 * channels (mode "channels"); 0 for any other operator.
 */
function softmaxSteps(c: OpConfig): number {
  if (c.onnxOp !== "Softmax") return 0;
  return 2 * (c.mode === "channels" ? slices(c.kh) : c.kh);
}

export function convBlock(c: OpConfig, gpu: GpuSpec, oneByOne: boolean): Dim3 {
  const waves = (c.n * c.oh * c.ow * slices(c.oc)) / gpu.computeUnits / gpu.waveSize;
  if (waves <= 4) return [1, 1, 1];
  if (waves <= 12) return [2, 1, 1];
  if (waves <= 24 || !oneByOne) return [2, 1, 2];
  return [4, 1, 2];
}

/** Work items per FC output block (profile gpu.fcSplitK), never more than the K loop has float4 steps. */
export function fcSplit(c: OpConfig, gpu: GpuSpec): number {
  const want = Math.min(gpu.fcSplitK ?? 1, gpu.maxWorkGroupSize);
  let k = 1;
  while (k * 2 <= want && k * 2 <= slices(c.ic)) k *= 2;
  return k;
}

export function gpuLaunch(c: OpConfig, gpu: GpuSpec, kernel: GpuKernelId = selectGpuKernel(c)): GpuLaunch {
  const e = ELEMENT_BYTES;
  const inputBytes = c.n * c.ih * c.iw * slices(c.ic) * 4 * e;
  const outputBytes = c.n * c.oh * c.ow * slices(c.oc) * 4 * e;
  const rows = c.n * c.oh;
  switch (kernel) {
    case "gpu.conv2d_1x1":
    case "gpu.conv2d_direct": {
      const block = convBlock(c, gpu, kernel === "gpu.conv2d_1x1");
      const grid: Dim3 = [ceilDiv(c.ow, block[0]), ceilDiv(rows, block[1]), ceilDiv(slices(c.oc), block[2])];
      return summariseLaunch(gpu, {
        kernel,
        block,
        grid,
        local: pickConvWorkGroup(grid, gpu.maxWorkGroupSize, 64),
        loop: slices(c.ic / c.groups) * c.kh * c.kw,
        inputBytes,
        outputBytes,
        weightBytes: slices(c.ic / c.groups) * slices(c.oc) * 16 * c.kh * c.kw * e,
      });
    }
    case "gpu.dwconv2d":
    case "gpu.pool": {
      const block: Dim3 = c.ow >= 16 ? [2, 1, 1] : [1, 1, 1];
      const grid: Dim3 = [ceilDiv(c.ow, block[0]), rows, slices(c.oc)];
      return summariseLaunch(gpu, {
        kernel,
        block,
        grid,
        local: pickSimpleWorkGroup(grid, Math.min(256, gpu.maxWorkGroupSize)),
        loop: c.kh * c.kw,
        inputBytes,
        outputBytes,
        weightBytes: kernel === "gpu.dwconv2d" ? slices(c.oc) * 4 * c.kh * c.kw * e : 0,
      });
    }
    case "gpu.fc": {
      const split = fcSplit(c, gpu);
      const grid: Dim3 = [slices(c.oc) * split, c.n, 1];
      return summariseLaunch(gpu, {
        kernel,
        block: [1, 1, 1],
        grid,
        local: [split > 1 ? split : Math.min(grid[0], 64), 1, 1],
        loop: ceilDiv(slices(c.ic), split),
        inputBytes,
        outputBytes,
        weightBytes: slices(c.ic) * slices(c.oc) * 16 * e,
      });
    }
    default: {
      const grid: Dim3 = [c.ow, rows, slices(c.oc)];
      return summariseLaunch(gpu, {
        kernel,
        block: [1, 1, 1],
        grid,
        local: pickSimpleWorkGroup(grid, Math.min(256, gpu.maxWorkGroupSize)),
        loop: kernel === "gpu.concat" || kernel === "gpu.resize" || kernel === "gpu.element" || kernel === "gpu.layout" ? 4 * (1 + softmaxSteps(c)) : 1,
        inputBytes,
        outputBytes,
        weightBytes: 0,
      });
    }
  }
}
