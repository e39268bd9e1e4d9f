/**
 * Shared GPU blocking arithmetic: work-group picking and the launch summary
 * (work-groups, rounds over compute units, waves) that both the predictor and
 * the emitter read. A launch says exactly which blocks run:
 *
 *   grid   = ceil(output / block)          work items needed
 *   local  = pickConvWorkGroup(grid)       work-group shape
 *   global = ceil(grid / local) · local    padded launch
 *   rounds = ceil(workGroups / computeUnits)
 */

import { ceilDiv } from "./op-config.js";

export type Dim3 = readonly [number, number, number];

/** The GPU parameters blocking depends on (a subset of a profile's `gpu`). */
export interface GpuSpec {
  readonly vendor: "adreno" | "mali" | "pocl" | "other";
  readonly computeUnits: number;
  readonly waveSize: number;
  readonly maxWorkGroupSize: number;
  /** Constant memory usable by a kernel without a slow path, in bytes. */
  readonly constantMemoryBytes: number;
  /** Work items sharing one FC output block's K loop (profile gpu.fcSplitK). */
  readonly fcSplitK?: number;
}

export interface GpuLaunch {
  /** Implementation id, e.g. `gpu.conv2d_1x1` or `tflite.conv_generic`. */
  readonly kernel: string;
  /** Outputs per work item: columns, rows, channel slices of 4. */
  readonly block: Dim3;
  readonly grid: Dim3;
  readonly local: Dim3;
  readonly global: Dim3;
  readonly workGroups: number;
  /** Padded work items (global size product). */
  readonly workItems: number;
  /** Serial inner-loop iterations per work item (source slices × filter taps). */
  readonly loop: number;
  readonly computeUnits: number;
  readonly rounds: number;
  readonly wavesPerWorkGroup: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly weightBytes: number;
}

export function biggestDivisor(n: number, max: number): number {
  for (let i = Math.min(n, max); i > 1; i--) if (n % i === 0) return i;
  return 1;
}

/**
 * Work-group shape for convolution-like grids: the largest divisor of the
 * slice count (up to maxZ) in z, then fill x, then y, within min(256, maxSize)
 * items. This is TFLite's fast-tuning rule; codl keeps it for its own kernels
 * because it never pads z, and it reproduces the public data's padding cliffs.
 */
export function pickConvWorkGroup(grid: Dim3, maxSize: number, maxZ: number): Dim3 {
  const z = biggestDivisor(grid[2], maxZ);
  const xy = Math.max(1, Math.floor(Math.min(256, maxSize) / z));
  const x = Math.min(grid[0], xy);
  let y = Math.min(Math.floor(xy / x), grid[1]);
  if (y === grid[1] && grid[1] % 2 === 0) y = grid[1] / 2;
  return [x, Math.max(1, y), z];
}

/** Work-group shape for element-wise-like grids: z by 8/4/2 priority, x half the grid. */
export function pickSimpleWorkGroup(grid: Dim3, maxSize: number): Dim3 {
  const gz = grid[2];
  const z = gz % 8 === 0 ? 8 : gz % 4 === 0 ? 4 : gz % 2 === 0 ? 2 : 1;
  const xy = Math.max(1, Math.floor(maxSize / z));
  const x = grid[0] === 1 ? 1 : Math.min(ceilDiv(grid[0], 2), xy);
  const y = Math.max(1, Math.min(Math.floor(xy / x), grid[1]));
  return [x, y, z];
}

export interface LaunchInput {
  readonly kernel: string;
  readonly block: Dim3;
  readonly grid: Dim3;
  readonly local: Dim3;
  readonly loop: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly weightBytes: number;
}

export function summariseLaunch(gpu: GpuSpec, l: LaunchInput): GpuLaunch {
  const gx = ceilDiv(l.grid[0], l.local[0]);
  const gy = ceilDiv(l.grid[1], l.local[1]);
  const gz = ceilDiv(l.grid[2], l.local[2]);
  const workGroups = gx * gy * gz;
  const global: Dim3 = [gx * l.local[0], gy * l.local[1], gz * l.local[2]];
  const groupSize = l.local[0] * l.local[1] * l.local[2];
  // An explicit literal, not a spread: this runs millions of times per plan search.
  return {
    kernel: l.kernel,
    block: l.block,
    grid: l.grid,
    local: l.local,
    loop: l.loop,
    inputBytes: l.inputBytes,
    outputBytes: l.outputBytes,
    weightBytes: l.weightBytes,
    global,
    workGroups,
    workItems: workGroups * groupSize,
    computeUnits: gpu.computeUnits,
    rounds: ceilDiv(workGroups, gpu.computeUnits),
    wavesPerWorkGroup: ceilDiv(groupSize, gpu.waveSize),
  };
}
