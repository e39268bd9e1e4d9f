/**
 * XNNPACK descriptors for the CPU half (filled in below); an operator without
 * one runs as a generated C++ kernel (cpu.ts).
 */

import type { CpuHalfSpec } from "./cpu.js";
import type { OpContext } from "./op-context.js";

export function xnnpackHalf(_ctx: OpContext): CpuHalfSpec | undefined {
  return undefined;
}
