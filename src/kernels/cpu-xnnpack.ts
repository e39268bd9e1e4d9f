/**
 * The CPU half runs on XNNPACK. Its blocking, as pthreadpool runs it:
 *
 *   GEMM (conv as implicit GEMM, fc):  M = n·oh·ow pixels, N = oc, K = kh·kw·ic/groups
 *     micro-tile mr × nr (1 × nr when M = 1: XNNPACK's one-row kernel); tiles over M in mr rows and over N in nc columns,
 *     nc = nr·k chosen so that every thread gets about 5 tiles;
 *     rounds = ceil(tiles / threads), each tile = ceil(nc/nr) micro-kernels of K steps.
 *   depthwise / pool: one output row per task, channels in cr-wide vectors.
 *   custom: operators XNNPACK does not have run as generated C++ loops on one
 *     thread, element by element: rounds = rows, micro = elements per row.
 *     Concat, Resize and Pad (index maths per element) are `cpu.concat`,
 *     `cpu.resize` and `cpu.pad`; loops that call libm per element (Tanh,
 *     Exp, Log, Erf, Softmax) `cpu.math`; copies that only move elements
 *     (Transpose, Reshape, Flatten, Squeeze, Unsqueeze) `cpu.layout`; the rest
 *     (LeakyRelu, HardSwish, …) `cpu.custom`.
 *
 * mr, nr, cr and threads are profile parameters.
 */

import { ceilDiv, type OpConfig } from "./op-config.js";

export interface CpuSpec {
  readonly threads: number;
  readonly mr: number;
  readonly nr: number;
  /** Channel tile of depthwise and pooling micro-kernels. */
  readonly cr: number;
}

export const CPU_KERNELS = ["cpu.gemm", "cpu.dwconv", "cpu.pool", "cpu.eltwise", "cpu.concat", "cpu.resize", "cpu.pad", "cpu.math", "cpu.layout", "cpu.custom"] as const;
export type CpuKernelId = (typeof CPU_KERNELS)[number];

export interface CpuTiling {
  readonly kernel: CpuKernelId;
  /** Tasks handed to pthreadpool. */
  readonly tiles: number;
  /** ceil(tiles / threads): tasks on the busiest thread. */
  readonly rounds: number;
  /** Micro-kernel calls per task. */
  readonly microPerTile: number;
  /** Reduction steps per micro-kernel call. */
  readonly steps: number;
  readonly mr: number;
  readonly nr: number;
  readonly nc: number;
  /** Output pixels per task: mr for a GEMM tile, an output row's width for the row-per-task kernels. */
  readonly tilePixels: number;
}

/** Element-wise operators the runtime runs on XNNPACK (emit/cpu-xnnpack.ts); the rest are generated loops. */
const XNNPACK_ELTWISE: ReadonlySet<string> = new Set(["Add", "Mul", "Relu", "Clip", "Sigmoid"]);
/** Generated loops whose per-element work is a libm call, several times a multiply-add. */
const MATH_ELTWISE: ReadonlySet<string> = new Set(["Tanh", "Exp", "Log", "Erf", "Softmax", "Pow", "Sqrt"]);
const LOOP_KERNELS: Readonly<Record<string, CpuKernelId>> = {
  Concat: "cpu.concat",
  Resize: "cpu.resize",
  Pad: "cpu.pad",
  Transpose: "cpu.layout",
  Reshape: "cpu.layout",
  Flatten: "cpu.layout",
  Squeeze: "cpu.layout",
  Unsqueeze: "cpu.layout",
};

/**
 * Channels per pooling micro-kernel step: XNNPACK's max, average and global
 * average pools are c4 kernels on SSE and NEON alike (maxpool 9p8x c4,
 * avgpool 9p8x c4, gavgpool 7p7x c4), not the depthwise tile `cr`. On
 * host-pocl, 2×2/2 MaxPools of 16–48 channels came out 11–19 % low and
 * those of 4 channels 9 % high when priced in tiles of 16.
 */
const POOL_CHANNEL_TILE = 4;

export function selectCpuKernel(c: OpConfig): CpuKernelId {
  if (c.op === "depthwise_conv2d" || (c.op === "conv2d" && c.groups > 1 && c.groups === c.ic && c.groups === c.oc)) return "cpu.dwconv";
  if (c.op === "pool") return "cpu.pool";
  if (c.op === "conv2d" || c.op === "fc") return "cpu.gemm";
  if (c.onnxOp === undefined || XNNPACK_ELTWISE.has(c.onnxOp)) return "cpu.eltwise";
  return LOOP_KERNELS[c.onnxOp] ?? (MATH_ELTWISE.has(c.onnxOp) ? "cpu.math" : "cpu.custom");
}

export function cpuTiling(c: OpConfig, cpu: CpuSpec, kernel: CpuKernelId = selectCpuKernel(c)): CpuTiling {
  const threads = Math.max(1, cpu.threads);
  if (kernel === "cpu.gemm") {
    const m = c.op === "fc" ? c.n : c.n * c.oh * c.ow;
    const groupOc = c.op === "fc" ? c.oc : c.oc / c.groups;
    const k = c.op === "fc" ? c.ic : (c.ic / c.groups) * c.kh * c.kw;
    const groups = c.op === "fc" ? 1 : c.groups;
    // One output row (batch 1 FC, a 1×1 output): XNNPACK runs its one-row micro-kernel ("mr1_case").
    const mr = m === 1 ? 1 : cpu.mr;
    const mTiles = groups * ceilDiv(m, mr);
    let nc = groupOc;
    if (threads > 1) {
      const maxNc = ceilDiv(groupOc * mTiles, threads * 5);
      if (maxNc < nc) nc = Math.min(nc, ceilDiv(maxNc, cpu.nr) * cpu.nr);
    }
    const tiles = mTiles * ceilDiv(groupOc, nc);
    return { kernel, tiles, rounds: ceilDiv(tiles, threads), microPerTile: ceilDiv(nc, cpu.nr), steps: k, mr, nr: cpu.nr, nc, tilePixels: mr };
  }
  const rows = c.n * c.oh;
  if (kernel !== "cpu.eltwise" && kernel !== "cpu.dwconv" && kernel !== "cpu.pool") return { kernel, tiles: rows, rounds: rows, microPerTile: c.ow * c.oc, steps: 1, mr: 1, nr: 1, nc: c.oc, tilePixels: c.ow };
  const steps = kernel === "cpu.eltwise" ? 1 : c.kh * c.kw;
  const channelTile = kernel === "cpu.pool" ? POOL_CHANNEL_TILE : cpu.cr;
  return {
    kernel,
    tiles: rows,
    rounds: ceilDiv(rows, threads),
    // Element-wise XNNPACK kernels run over the row's contiguous w·c elements (no per-pixel channel tile to pad):
    // on host-pocl a Sigmoid over 14×14×4 took 0.22 µs, half what 16-lane tiles of 4 channels would cost.
    microPerTile: kernel === "cpu.eltwise" ? ceilDiv(c.ow * c.oc, cpu.cr) : c.ow * ceilDiv(c.oc, channelTile),
    steps,
    mr: 1,
    nr: channelTile,
    nc: c.oc,
    tilePixels: c.ow,
  };
}
