/**
 * From (kernel id, operator configuration, profile) to the Work a model is
 * evaluated on. Kernel ids are namespaced: `gpu.*` are codl's OpenCL kernels,
 * `cpu.*` XNNPACK calls, `tflite.*` the reference kernels of public data.
 */

import type { CpuSection, GpuSection } from "../device/profile-schema.js";
import { type CpuKernelId, cpuTiling } from "../kernels/cpu-xnnpack.js";
import type { GpuSpec } from "../kernels/gpu-blocking.js";
import { type GpuKernelId, gpuLaunch } from "../kernels/gpu-conv.js";
import { eltwiseInputs, flops, type OpConfig, tensorBytes } from "../kernels/op-config.js";
import { tfliteLaunch } from "../kernels/tflite-gpu.js";
import { cpuWork, gpuWork, type Work } from "./features.js";

export interface Processors {
  readonly cpu: CpuSection;
  readonly gpu: GpuSection;
}

export function gpuSpecOf(gpu: GpuSection): GpuSpec {
  return gpu;
}

export function workOf(kernel: string, c: OpConfig, p: Processors): Work {
  if (kernel.startsWith("cpu.")) {
    const t = cpuTiling(c, { threads: p.cpu.threads, mr: p.cpu.xnnpack.mr, nr: p.cpu.xnnpack.nr, cr: p.cpu.xnnpack.cr }, kernel as CpuKernelId);
    // An activation XNNPACK does not fuse ("other": LeakyRelu, HardSwish, Sigmoid) is a pass over the outputs.
    const post = (kernel === "cpu.gemm" || kernel === "cpu.dwconv") && c.activation === "other" ? c.n * c.oh * c.ow * c.oc : 0;
    return cpuWork(t, tensorBytes(c, 4), flops(c), post, { inputs: eltwiseInputs(c), onnxOp: c.onnxOp, mode: c.mode });
  }
  if (kernel.startsWith("tflite.")) return gpuWork(tfliteLaunch(kernel, c, p.gpu), flops(c), { taps: c.kh * c.kw, onnxOp: c.onnxOp, mode: c.mode });
  return gpuWork(gpuLaunch(c, p.gpu, kernel as GpuKernelId), flops(c), { taps: c.kh * c.kw, insideShare: insideTapShare(c), inputs: eltwiseInputs(c), onnxOp: c.onnxOp, mode: c.mode });
}

/** Filter taps of one dimension that land inside the input, summed over its outputs (closed form per tap). */
function insideTaps(input: number, output: number, k: number, stride: number, dilation: number, pad: number): number {
  let n = 0;
  for (let t = 0; t < k; t++) {
    // output o reads input o·stride + t·dilation − pad; count o in [0, output) with that in [0, input)
    const lo = Math.max(0, Math.ceil((pad - t * dilation) / stride));
    const hi = Math.min(output - 1, Math.floor((input - 1 + pad - t * dilation) / stride));
    if (hi >= lo) n += hi - lo + 1;
  }
  return n;
}

/**
 * The share of a convolution's (or a pooling window's) taps that read inside
 * its input (1 without padding). Width padding is not recorded: it is the total a same-size output
 * needs, split as ONNX's symmetric pads are (the extra column at the end).
 */
export function insideTapShare(c: OpConfig): number {
  if ((c.op !== "conv2d" && c.op !== "depthwise_conv2d" && c.op !== "pool") || c.kh * c.kw === 1 || c.oh <= 0 || c.ow <= 0) return 1;
  const d = c.dilation ?? 1;
  const padW = Math.floor(Math.max(0, (c.ow - 1) * c.sw + (c.kw - 1) * d + 1 - c.iw) / 2);
  const rows = insideTaps(c.ih, c.oh, c.kh, c.sh, d, c.padTop ?? 0);
  const cols = insideTaps(c.iw, c.ow, c.kw, c.sw, d, padW);
  return (rows * cols) / (c.oh * c.kh * c.ow * c.kw);
}
