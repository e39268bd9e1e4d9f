/**
 * Cost of one operator split between CPU and GPU (the paper's Eq. 2):
 *
 *   T = T_transform + T_map + T_sync + max(T_cpu(part), T_gpu(part))
 *
 * Sharing terms are paid only where data crosses processors: at the
 * boundaries of a chain, never inside it (`chained`). ρ = 0 is CPU-only,
 * ρ = 1 GPU-only; neither pays sharing.
 *
 *   H split (rows):   GPU output rows [0, g), CPU rows [g, OH); each reads its
 *                     input rows plus the halo its filter needs.
 *   OC split:         GPU output channels [0, c) with c a multiple of 4
 *                     (image slices), CPU the rest; both read all the input.
 */

import type { DeviceProfile, KernelModel, LinearBytes } from "../device/profile-schema.js";
import { CompilerError } from "../diag/errors.js";
import { selectCpuKernel } from "../kernels/cpu-xnnpack.js";
import { selectGpuKernel } from "../kernels/gpu-conv.js";
import type { OpConfig } from "../kernels/op-config.js";
import { evaluateModel } from "./kernel-model.js";
import { workOf } from "./work.js";

export type SplitDim = "H" | "OC";

export interface CoexecCost {
  readonly cpuMs: number;
  readonly gpuMs: number;
  readonly transformMs: number;
  readonly mapMs: number;
  readonly syncMs: number;
  readonly totalMs: number;
}

/** Input rows [lo, hi) that output rows [a, b) read, clipped to the tensor. */
export function inputRows(c: OpConfig, a: number, b: number): readonly [number, number] {
  if (b <= a) return [0, 0];
  const fEff = (c.kh - 1) * (c.dilation ?? 1) + 1;
  const pad = c.padTop ?? 0;
  const lo = Math.max(0, a * c.sh - pad);
  const hi = Math.min(c.ih, (b - 1) * c.sh - pad + fEff);
  return [lo, Math.max(lo, hi)];
}

/** The operator restricted to output rows [a, b). */
export function sliceRows(c: OpConfig, a: number, b: number): OpConfig {
  const [lo, hi] = inputRows(c, a, b);
  return withShape(c, hi - lo, b - a, c.ic, c.oc, c.groups, Math.max(0, (c.padTop ?? 0) - a * c.sh));
}

/** A copy with new rows/channels, written out field by field (spreads are slow on this hot path). */
function withShape(c: OpConfig, ih: number, oh: number, ic: number, oc: number, groups: number, padTop: number): OpConfig {
  return { op: c.op, n: c.n, ih, iw: c.iw, ic, oh, ow: c.ow, oc, kh: c.kh, kw: c.kw, sh: c.sh, sw: c.sw, groups, dilation: c.dilation ?? 1, padTop, activation: c.activation ?? "none", onnxOp: c.onnxOp, mode: c.mode };
}

/** The operator restricted to `oc` output channels (depthwise also slices its input). */
export function sliceChannels(c: OpConfig, oc: number): OpConfig {
  const depthwise = c.op === "depthwise_conv2d" || c.op === "pool" || (c.groups > 1 && c.groups === c.ic);
  return depthwise ? withShape(c, c.ih, c.oh, oc, oc, c.groups > 1 ? oc : c.groups, c.padTop ?? 0) : withShape(c, c.ih, c.oh, c.ic, oc, c.groups, c.padTop ?? 0);
}

/** GPU output rows or channels for ratio ρ (channels rounded to slices of 4). */
export function gpuShare(c: OpConfig, dim: SplitDim, ratio: number): number {
  if (dim === "H") return Math.min(c.oh, Math.max(0, Math.round(ratio * c.oh)));
  return Math.min(c.oc, Math.max(0, Math.round((ratio * c.oc) / 4) * 4));
}

export function modelFor(profile: DeviceProfile, kernel: string): KernelModel {
  const m = findModel(profile, kernel);
  if (m === undefined) throw new CompilerError("CODL-E061", { id: `${profile.id} (no model for kernel ${kernel})`, known: profile.kernelModels.map((k) => k.kernel).join(", ") });
  return m;
}

const modelIndex = new WeakMap<DeviceProfile, Map<string, KernelModel>>();

export function findModel(profile: DeviceProfile, kernel: string): KernelModel | undefined {
  let idx = modelIndex.get(profile);
  if (idx === undefined) {
    idx = new Map(profile.kernelModels.map((m) => [m.kernel, m]));
    modelIndex.set(profile, idx);
  }
  return idx.get(kernel);
}

/**
 * Kernel ids split off an older one. A profile trained before the split has
 * no model for them and prices them as before, with the older id's model.
 */
const SPLIT_FROM: Readonly<Record<string, string>> = {
  "cpu.custom": "cpu.eltwise",
  "cpu.layout": "cpu.custom",
  "cpu.concat": "cpu.eltwise",
  "cpu.resize": "cpu.eltwise",
  "cpu.pad": "cpu.eltwise",
  "cpu.math": "cpu.eltwise",
  "gpu.element": "gpu.eltwise",
  "gpu.layout": "gpu.element",
  "gpu.concat": "gpu.eltwise",
  "gpu.resize": "gpu.eltwise",
};

/** The kernel id whose model prices `kernel` on this profile. */
export function pricedKernel(profile: DeviceProfile, kernel: string): string {
  let k = kernel;
  // Walk back through the splits (cpu.layout → cpu.custom → cpu.eltwise) to the first id the profile has.
  while (findModel(profile, k) === undefined && SPLIT_FROM[k] !== undefined) k = SPLIT_FROM[k]!;
  return k;
}

export function predictGpuMs(profile: DeviceProfile, c: OpConfig): number {
  if (c.oh <= 0 || c.oc <= 0) return 0;
  const kernel = pricedKernel(profile, selectGpuKernel(c));
  return evaluateModel(modelFor(profile, kernel), workOf(kernel, c, profile));
}

export function predictCpuMs(profile: DeviceProfile, c: OpConfig): number {
  if (c.oh <= 0 || c.oc <= 0) return 0;
  const kernel = pricedKernel(profile, selectCpuKernel(c));
  return evaluateModel(modelFor(profile, kernel), workOf(kernel, c, profile));
}

/** Both parts of a split, each slowed by the other running beside it (profile.sharing.contention; 1 when absent). */
export function contended(profile: DeviceProfile, cpuMs: number, gpuMs: number): { cpuMs: number; gpuMs: number } {
  const k = profile.sharing.contention;
  if (k === undefined || cpuMs <= 0 || gpuMs <= 0) return { cpuMs, gpuMs };
  return { cpuMs: cpuMs * k.cpu, gpuMs: gpuMs * k.gpu };
}

export function linearBytesMs(m: LinearBytes, bytes: number): number {
  return bytes <= 0 ? 0 : m.interceptMs + m.perByteMs * bytes;
}

/** Bytes the CPU reads (its input slab) and writes (its output part), fp32. */
export function cpuSlabBytes(c: OpConfig, dim: SplitDim, share: number): { input: number; output: number } {
  if (dim === "H") {
    const [lo, hi] = inputRows(c, share, c.oh);
    return { input: c.n * (hi - lo) * c.iw * c.ic * 4, output: c.n * (c.oh - share) * c.ow * c.oc * 4 };
  }
  const inCh = sliceChannels(c, c.oc - share).ic;
  return { input: c.n * c.ih * c.iw * inCh * 4, output: c.n * c.oh * c.ow * (c.oc - share) * 4 };
}

export interface CoexecOptions {
  /** Inside a chain: no sharing at this operator. */
  readonly chained?: boolean;
}

export function predictCoexec(profile: DeviceProfile, c: OpConfig, dim: SplitDim, ratio: number, options: CoexecOptions = {}): CoexecCost {
  const share = gpuShare(c, dim, ratio);
  const total = dim === "H" ? c.oh : c.oc;
  if (share >= total) {
    const g = predictGpuMs(profile, c);
    return { cpuMs: 0, gpuMs: g, transformMs: 0, mapMs: 0, syncMs: 0, totalMs: g };
  }
  if (share <= 0) {
    const t = predictCpuMs(profile, c);
    return { cpuMs: t, gpuMs: 0, transformMs: 0, mapMs: 0, syncMs: 0, totalMs: t };
  }
  const gpuPart = dim === "H" ? sliceRows(c, 0, share) : sliceChannels(c, share);
  const cpuPart = dim === "H" ? sliceRows(c, share, c.oh) : sliceChannels(c, c.oc - share);
  const { cpuMs, gpuMs } = contended(profile, predictCpuMs(profile, cpuPart), predictGpuMs(profile, gpuPart));
  let transformMs = 0;
  let mapMs = 0;
  let syncMs = 0;
  if (options.chained !== true) {
    const s = profile.sharing;
    const bytes = cpuSlabBytes(c, dim, share);
    transformMs = linearBytesMs(s.transform, bytes.input) + linearBytesMs(s.transform, bytes.output);
    mapMs = linearBytesMs(s.map, bytes.input) + linearBytesMs(s.unmap, bytes.output);
    syncMs = s.syncMs;
  }
  return { cpuMs, gpuMs, transformMs, mapMs, syncMs, totalMs: transformMs + mapMs + syncMs + Math.max(cpuMs, gpuMs) };
}

export const RATIOS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

export interface BestSplit {
  readonly dim: SplitDim;
  readonly ratio: number;
  readonly cost: CoexecCost;
}

/** The paper's per-operator search: every dimension and ratio, minimum kept. */
export function bestSplit(profile: DeviceProfile, c: OpConfig, ratios: readonly number[] = RATIOS): BestSplit {
  let best: BestSplit | undefined;
  for (const dim of ["H", "OC"] as const) {
    for (const ratio of ratios) {
      const cost = predictCoexec(profile, c, dim, ratio);
      if (best === undefined || cost.totalMs < best.cost.totalMs) best = { dim, ratio, cost };
    }
  }
  return best ?? { dim: "H", ratio: 1, cost: predictCoexec(profile, c, "H", 1) };
}

/** The ideal bound for one operator: the best ratio with zero sharing cost. */
export function idealMs(profile: DeviceProfile, c: OpConfig, ratios: readonly number[] = RATIOS): number {
  let best = Number.POSITIVE_INFINITY;
  for (const dim of ["H", "OC"] as const) {
    for (const ratio of ratios) best = Math.min(best, predictCoexec(profile, c, dim, ratio, { chained: true }).totalMs);
  }
  return best;
}
