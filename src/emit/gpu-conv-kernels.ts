/**
 * Vectorised OpenCL kernels for the heavy operators (filled in below); an
 * operator without one uses gpu.ts's generic element kernel.
 */

import type { GpuKernelSpec } from "./gpu.js";
import type { OpContext } from "./op-context.js";

export function specialisedGpuKernel(_ctx: OpContext): GpuKernelSpec | undefined {
  return undefined;
}
