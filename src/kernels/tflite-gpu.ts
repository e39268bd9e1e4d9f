/**
 * Reference geometry of the TFLite GPU delegate's OpenCL kernels (fp16,
 * fast tuning), used to calibrate profiles from public phone measurements
 * (datasets/mobile-gpu-ops). codl does not emit these kernels; it reuses
 * their blocking rules where they are sound (see gpu-conv.ts), and the
 * fitted per-unit times carry over through the shared feature family.
 *
 * Rules follow TFLite's conv_generic.cc (GuessBestParams), conv_constants.cc
 * (IsConvConstantsSupported) and work_group_picking.cc (GetWorkGroupConv).
 */

import { type Dim3, type GpuLaunch, type GpuSpec, pickConvWorkGroup, pickSimpleWorkGroup, summariseLaunch } from "./gpu-blocking.js";
import { ceilDiv, type OpConfig, slices } from "./op-config.js";

const HALF = 2;

/** ConvConstants keeps all weights in __constant memory: small filters, at most 8 output slices. */
export function usesConstantMemory(c: OpConfig, gpu: GpuSpec): boolean {
  if (c.op !== "conv2d" || c.groups !== 1) return false;
  const dot = c.oc % 4 === 0 ? false : c.ic % 4 === 0 ? true : c.oc * slices(c.ic) < c.ic * slices(c.oc);
  const aligned = dot ? c.oc * slices(c.ic) * 4 : c.ic * slices(c.oc) * 4;
  return aligned * c.kh * c.kw * HALF <= gpu.constantMemoryBytes && slices(c.oc) <= 8;
}

/** ConvGeneric's block (columns, rows, slices) per vendor, from the output task size. */
export function convGenericBlock(c: OpConfig, gpu: GpuSpec): Dim3 {
  const dstSlices = slices(c.oc);
  const task = c.n * c.oh * c.ow * dstSlices;
  if (gpu.vendor === "mali") {
    const perCu = task / gpu.computeUnits;
    let size = perCu <= 256 ? 1 : perCu <= 256 * 6 ? 2 : perCu <= 256 * 16 ? 4 : 8;
    if (c.kh !== 1 || c.kw !== 1) size = Math.min(size, 4);
    let b: [number, number, number];
    if (size === 8) b = dstSlices === 1 || dstSlices === 3 ? [2, 2, 1] : [2, 2, 2];
    else if (size === 4) b = dstSlices === 1 || dstSlices === 3 ? [2, 2, 1] : [2, 1, 2];
    else if (size === 2) b = [2, 1, 1];
    else b = [1, 1, 1];
    if (c.ow === 1) b = [1, b[0] * b[1], b[2]];
    if (c.oh === 1) b = [b[0] * b[1], 1, b[2]];
    return b;
  }
  // Adreno and others: by waves per compute unit (fp16 waves are 2× the profile's wave size).
  const waves = task / gpu.computeUnits / (gpu.waveSize * 2);
  if (waves <= 6) return [1, 1, 1];
  if (waves <= 12) return [2, 1, 1];
  if (waves <= 24) return [2, 1, 2];
  return [2, 2, 2];
}

function convBytes(c: OpConfig): { inputBytes: number; outputBytes: number; weightBytes: number } {
  return {
    inputBytes: c.n * c.ih * c.iw * slices(c.ic) * 4 * HALF,
    outputBytes: c.n * c.oh * c.ow * slices(c.oc) * 4 * HALF,
    weightBytes: slices(c.ic) * slices(c.oc) * 16 * c.kh * c.kw * HALF,
  };
}

/** The TFLite kernel family a public-data row ran, from its `kernel` column and shape. */
export function tfliteKernelId(c: OpConfig, algorithm: string, gpu: GpuSpec): string {
  if (algorithm.startsWith("convolution_winograd")) return "tflite.winograd_4x4_6x6";
  if (algorithm.startsWith("fully_connected")) return "tflite.fully_connected";
  if (algorithm.startsWith("depthwise")) return "tflite.depthwise";
  if (algorithm.startsWith("convolution_2d_grouped")) return "tflite.conv_grouped";
  if (algorithm.startsWith("pooling")) return "tflite.pooling";
  if (algorithm.startsWith("mean")) return "tflite.mean";
  if (algorithm.startsWith("convolution_2d")) {
    if (usesConstantMemory(c, gpu)) return "tflite.conv_constants";
    // TFLite's "kernel is 1" needs a 1×1 filter with stride 1 (no padding): a strided 1×1 runs the general path.
    return c.kh === 1 && c.kw === 1 && c.sh === 1 && c.sw === 1 ? "tflite.conv_generic_1x1" : "tflite.conv_generic";
  }
  return `tflite.${algorithm}`;
}

export function tfliteLaunch(kernel: string, c: OpConfig, gpu: GpuSpec): GpuLaunch {
  const bytes = convBytes(c);
  const srcSlices = slices(c.ic);
  const dstSlices = slices(c.oc);
  const maxZ = gpu.vendor === "adreno" ? 64 : 16;
  switch (kernel) {
    case "tflite.conv_constants": {
      const grid: Dim3 = [c.ow, c.n * c.oh, 1];
      return summariseLaunch(gpu, {
        kernel,
        block: [1, 1, dstSlices],
        grid,
        local: pickSimpleWorkGroup(grid, 256),
        loop: srcSlices * c.kh * c.kw,
        ...bytes,
      });
    }
    case "tflite.conv_generic":
    case "tflite.conv_generic_1x1":
    case "tflite.conv_grouped": {
      const block = convGenericBlock(c, gpu);
      const grid: Dim3 = [ceilDiv(c.ow, block[0]), ceilDiv(c.n * c.oh, block[1]), ceilDiv(dstSlices, block[2])];
      const perGroupSrc = kernel === "tflite.conv_grouped" ? slices(c.ic / c.groups) : srcSlices;
      return summariseLaunch(gpu, {
        kernel,
        block,
        grid,
        local: pickConvWorkGroup(grid, gpu.maxWorkGroupSize, maxZ),
        loop: perGroupSrc * c.kh * c.kw,
        ...bytes,
      });
    }
    case "tflite.winograd_4x4_6x6": {
      // Counted as its dominant part: the batched 36-tile GEMM over 4×4 output tiles.
      const tiles = ceilDiv(c.ow, 4) * ceilDiv(c.oh, 4) * c.n;
      const grid: Dim3 = [tiles, 36, dstSlices];
      return summariseLaunch(gpu, {
        kernel,
        block: [1, 1, 1],
        grid,
        local: pickConvWorkGroup(grid, gpu.maxWorkGroupSize, maxZ),
        loop: srcSlices,
        ...bytes,
      });
    }
    case "tflite.fully_connected": {
      // One work item per output slice and a quarter of the reduction; 4 threads reduce in local memory.
      const grid: Dim3 = [dstSlices, 4, 1];
      return summariseLaunch(gpu, {
        kernel,
        block: [1, 1, 1],
        grid,
        local: [Math.min(dstSlices, 16), 4, 1],
        loop: ceilDiv(srcSlices, 4),
        ...bytes,
      });
    }
    default: {
      // Depthwise, pooling, mean: one output slice per item, loop over the window.
      const grid: Dim3 = [c.ow, c.n * c.oh, dstSlices];
      const loop = kernel === "tflite.mean" ? c.ih * c.iw : c.kh * c.kw;
      return summariseLaunch(gpu, {
        kernel,
        block: [1, 1, 1],
        grid,
        local: pickSimpleWorkGroup(grid, 256),
        loop,
        ...bytes,
      });
    }
  }
}
