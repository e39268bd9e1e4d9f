/**
 * Per-operator choices (the paper's §4.1): every dimension the operator may
 * be split along × every ratio of the grid, plus CPU-only and GPU-only,
 * each scored unchained (sharing paid). The best per dimension is kept for
 * the plan's "alternatives", the ideal bound (zero sharing) for `ideal`
 * and for reason codes.
 */

import type { CostModel, SplitCost } from "./cost.js";
import { chainCost } from "./halo.js";
import type { PlanOp, SplitDim } from "./ops.js";

export interface OpChoices {
  readonly cpuMs: number;
  readonly gpuMs: number;
  readonly best: Readonly<Record<SplitDim, SplitCost | undefined>>;
  /** Fastest split by compute alone (max(cpu, gpu), no sharing); +∞ when none. */
  readonly splitComputeMs: number;
  /** min(cpu, gpu, splitComputeMs): the ideal bound of this operator. */
  readonly idealMs: number;
}

/** An H split of one operator: a chain of length 1. */
export function splitH(model: CostModel, op: PlanOp, ratio: number, share: number): SplitCost {
  const c = chainCost(model, [op], ratio, share);
  return { dim: "H", ratio, share, cpuMs: c.cpuMs, gpuMs: c.gpuMs, transformMs: c.transformMs, mapMs: c.mapMs, syncMs: c.syncMs, totalMs: c.totalMs };
}

export function splitCost(model: CostModel, op: PlanOp, dim: SplitDim, ratio: number, share: number): SplitCost {
  return dim === "H" ? splitH(model, op, ratio, share) : model.splitOc(op, ratio, share);
}

export function opChoices(model: CostModel, op: PlanOp, ratios: readonly number[]): OpChoices {
  const cpuMs = model.wholeMs(op, "cpu");
  const gpuMs = model.wholeMs(op, "gpu");
  const best: Record<SplitDim, SplitCost | undefined> = { H: undefined, OC: undefined };
  let splitComputeMs = Number.POSITIVE_INFINITY;
  for (const dim of op.dims) {
    for (const { ratio, share } of model.shares(op, dim, ratios)) {
      const c = splitCost(model, op, dim, ratio, share);
      splitComputeMs = Math.min(splitComputeMs, Math.max(c.cpuMs, c.gpuMs));
      const b = best[dim];
      if (b === undefined || c.totalMs < b.totalMs) best[dim] = c;
    }
  }
  return { cpuMs, gpuMs, best, splitComputeMs, idealMs: Math.min(cpuMs, gpuMs, splitComputeMs) };
}
