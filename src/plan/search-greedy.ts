/**
 * `codl-greedy`: the paper's Algorithm 1 on one linear path.
 *
 * Input: ParPlan, the best unchained choice of every operator (choices.ts,
 * with data movement counted). From a head operator not yet in a chain, for
 * every ratio ρ of the grid within [ρ_head − δ, ρ_head + δ] (δ = 0.3; ρ = 0
 * for CPU-only, 1 for GPU-only heads), append the next operators one by one
 * while appending does not lose time (line 8: T_gain ≥ 0, with line 10's
 * T_noChain = T_chain + T_ParPlan(next)), re-pricing the whole chain with
 * its halo adjusted each time (lines 11–13). The chain with the largest gain
 * over running its operators as in ParPlan is recorded (lines 14–16) and
 * kept (line 17); the next head is the operator after it (line 18). A head
 * that forms no gainful chain keeps its ParPlan choice.
 *
 * Two readings of the listing are made explicit here: the gain recorded is
 * cumulative (ParPlan time of the chain's operators − chain time), and the
 * scan restarts at the head for every ρ. Chains are H chains, as in the paper.
 */

import type { CostModel, Home } from "./cost.js";
import { type OpChoices, splitCost } from "./choices.js";
import { homeAfter, type Segment } from "./evaluate.js";
import { chainCost } from "./halo.js";
import type { PlanOp } from "./ops.js";

export const GREEDY_DELTA = 0.3;

export interface ParPlanEntry {
  readonly segment: Segment;
  /** Its unchained cost, data movement included. */
  readonly totalMs: number;
  /** The GPU's share: 0 CPU-only, 1 GPU-only, else the split ratio. */
  readonly ratio: number;
}

/** The best unchained placement of one operator given where its inputs live. */
export function parPlanOf(model: CostModel, op: PlanOp, homes: readonly Home[], choices: OpChoices): ParPlanEntry {
  const candidates: ParPlanEntry[] = [];
  for (const side of ["gpu", "cpu"] as const) {
    const ms = side === "cpu" ? choices.cpuMs : choices.gpuMs;
    if (Number.isFinite(ms)) candidates.push({ segment: { kind: "whole", op: op.index, side }, totalMs: ms + model.entryMs(op, side, homes), ratio: side === "gpu" ? 1 : 0 });
  }
  const h = choices.best.H;
  if (h !== undefined) candidates.push({ segment: { kind: "chain", ops: [op.index], ratio: h.ratio, share: h.share }, totalMs: h.totalMs, ratio: h.ratio });
  const oc = choices.best.OC;
  if (oc !== undefined) candidates.push({ segment: { kind: "oc", op: op.index, ratio: oc.ratio, share: oc.share }, totalMs: oc.totalMs, ratio: oc.ratio });
  let best = candidates[0]!;
  for (const c of candidates) if (c.totalMs < best.totalMs) best = c;
  return best;
}

/** Runs Algorithm 1 over a path; `entryHomes` are where the first operator's inputs live. */
export function searchPathGreedy(
  model: CostModel,
  ops: readonly PlanOp[],
  entryHomes: readonly Home[],
  choices: readonly OpChoices[],
  ratios: readonly number[],
  maxChain: number,
): Segment[] {
  const m = ops.length;
  const segments: Segment[] = [];
  // Home of each operator's output once decided (or as ParPlan leaves it, for operators ahead).
  const homes: Home[] = [];
  const plans: ParPlanEntry[] = [];
  const planAt = (k: number): ParPlanEntry => {
    while (plans.length <= k) {
      const j = plans.length;
      const entry = parPlanOf(model, ops[j]!, j === 0 ? entryHomes : [homes[j - 1] ?? "any"], choices[j]!);
      plans.push(entry);
      homes[j] = homeAfter(entry.segment);
    }
    return plans[k]!;
  };
  let next = 0;
  while (next < m) {
    const head = next;
    const headPlan = planAt(head);
    let bestChain: { end: number; ratio: number; share: number } | undefined;
    let maxGain = 0;
    if (ops[head]!.dims.includes("H")) {
      for (const ratio of ratios) {
        if (ratio < headPlan.ratio - GREEDY_DELTA - 1e-9 || ratio > headPlan.ratio + GREEDY_DELTA + 1e-9) continue;
        const headShare = model.shareOf(ops[head]!, "H", ratio);
        if (headShare === undefined) continue;
        let tChain = splitCost(model, ops[head]!, "H", ratio, headShare).totalMs;
        let parSum = headPlan.totalMs;
        let gain = 0;
        for (let i = head + 1; gain >= 0 && i < m && i - head < maxChain; i++) {
          const op = ops[i]!;
          const share = model.shareOf(op, "H", ratio);
          if (!op.dims.includes("H") || share === undefined) break;
          const p = planAt(i);
          const tNoChain = tChain + p.totalMs;
          parSum += p.totalMs;
          tChain = chainCost(model, ops.slice(head, i + 1), ratio, share).totalMs;
          gain = tNoChain - tChain;
          const cumulative = parSum - tChain;
          if (cumulative > maxGain + 1e-12) {
            maxGain = cumulative;
            bestChain = { end: i, ratio, share };
          }
        }
      }
    }
    if (bestChain !== undefined) {
      segments.push({ kind: "chain", ops: ops.slice(head, bestChain.end + 1).map((o) => o.index), ratio: bestChain.ratio, share: bestChain.share });
      for (let k = head; k <= bestChain.end; k++) homes[k] = "gpu";
      next = bestChain.end + 1;
      // ParPlan entries after the chain were priced for the unchained data flow: price them again.
      plans.length = Math.min(plans.length, next);
    } else {
      segments.push(headPlan.segment);
      next = head + 1;
    }
  }
  return segments;
}
