/**
 * From (kernel id, operator configuration, profile) to the Work a model is
 * evaluated on. Kernel ids are namespaced: `gpu.*` are codl's OpenCL kernels,
 * `cpu.*` XNNPACK calls, `tflite.*` the reference kernels of public data.
 */

import type { CpuSection, GpuSection } from "../device/profile-schema.js";
import { type CpuKernelId, cpuTiling } from "../kernels/cpu-xnnpack.js";
import type { GpuSpec } from "../kernels/gpu-blocking.js";
import { type GpuKernelId, gpuLaunch } from "../kernels/gpu-conv.js";
import { flops, type OpConfig, tensorBytes } from "../kernels/op-config.js";
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
    return cpuWork(t, tensorBytes(c, 4), flops(c), post);
  }
  if (kernel.startsWith("tflite.")) return gpuWork(tfliteLaunch(kernel, c, p.gpu), flops(c), c.kh * c.kw);
  return gpuWork(gpuLaunch(c, p.gpu, kernel as GpuKernelId), flops(c), c.kh * c.kw);
}
