/**
 * `codl`'s chain search: an exact dynamic programme over chain boundaries
 * and ratios on one linear path (DESIGN.md §4). The state is how many of the
 * path's operators are placed and where the last output lives (its home,
 * CPU or GPU; split operators and chains leave it on the GPU):
 *
 *   best[0][·]    = 0                      (the path's entry: homes of the producers outside it)
 *   best[k+1][s]  = min over h of best[k][h] + T_whole(op_k, s) + move(h → s)      s ∈ {cpu, gpu}
 *   best[k+1][gpu] = min of
 *       min_h best[k][h] + T_OC(op_k, ρ)                                           every ρ
 *       min_h best[i][h] + T_chain(op_i..op_k, ρ)   for k−L < i ≤ k, ops i..k H-splittable, every ρ
 *
 * For a path  conv1 → conv2 → pool3  the last transition considered for
 * best[3][gpu] includes the chains [pool3], [conv2 pool3] and
 * [conv1 conv2 pool3] at every ratio, each priced with the halo propagated
 * backwards from pool3 (halo.ts). Walking i downwards from k extends the
 * chain by one operator at its front, so the halo and the summed compute
 * are updated incrementally: O(N·L·|R|) operator predictions per path, not
 * O(N·L²·|R|).
 *
 * Exact under the predictor for the path given the homes of its inputs;
 * paths are solved in topological order, so across a DAG the search is
 * exact per path and greedy between paths.
 */

import type { CostModel, Home, Side } from "./cost.js";
import { closeGap, inSlabBytes, outSlabBytes, rowPartsMs, stepBack } from "./halo.js";
import type { OpChoices } from "./choices.js";
import type { Segment } from "./evaluate.js";
import type { PlanOp } from "./ops.js";

type Choice =
  | { readonly kind: "whole"; readonly side: Side; readonly from: number }
  | { readonly kind: "oc"; readonly ratio: number; readonly share: number; readonly from: number }
  | { readonly kind: "chain"; readonly start: number; readonly ratio: number; readonly share: number; readonly from: number };

const SIDES: readonly Side[] = ["cpu", "gpu"];

export interface PathSearch {
  readonly segments: Segment[];
  readonly totalMs: number;
}

/**
 * Solves one path. `ops` are the path's operators in order; `entryHomes` the
 * homes of the first operator's data inputs; `choices` the per-op table.
 */
export function searchPathDp(
  model: CostModel,
  ops: readonly PlanOp[],
  entryHomes: readonly Home[],
  choices: readonly OpChoices[],
  ratios: readonly number[],
  maxChain: number,
): PathSearch {
  const m = ops.length;
  const best: number[][] = Array.from({ length: m + 1 }, () => [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
  const choice: (Choice | undefined)[][] = Array.from({ length: m + 1 }, () => [undefined, undefined]);
  best[0] = [0, 0];
  const relax = (k: number, s: number, cost: number, c: Choice): void => {
    if (cost < best[k]![s]!) {
      best[k]![s] = cost;
      choice[k]![s] = c;
    }
  };
  const minAt = (k: number): { cost: number; from: number } => {
    const [c0, c1] = best[k] as [number, number];
    return c1 < c0 ? { cost: c1, from: 1 } : { cost: c0, from: 0 };
  };
  for (let k = 0; k < m; k++) {
    const op = ops[k]!;
    const ch = choices[k]!;
    // Whole operator on one side.
    for (let s = 0; s < 2; s++) {
      const side = SIDES[s]!;
      const ms = side === "cpu" ? ch.cpuMs : ch.gpuMs;
      if (!Number.isFinite(ms)) continue;
      for (let h = 0; h < 2; h++) {
        const prev = best[k]![h]!;
        if (!Number.isFinite(prev)) continue;
        const entry = k === 0 ? model.entryMs(op, side, entryHomes) : h === s ? 0 : model.entryMs(op, side, [SIDES[h]!]);
        relax(k + 1, s, prev + ms + entry, { kind: "whole", side, from: h });
        if (k === 0) break; // the entry does not depend on h
      }
    }
    const start = minAt(k);
    // OC split: its cost does not depend on where the input lives.
    const oc = ch.best.OC;
    if (oc !== undefined) relax(k + 1, 1, start.cost + oc.totalMs, { kind: "oc", ratio: oc.ratio, share: oc.share, from: start.from });
    // H chains ending at k, extended backwards one operator at a time.
    if (!op.dims.includes("H")) continue;
    const last = op;
    for (const { ratio, share } of model.shares(last, "H", ratios)) {
      const outBytes = outSlabBytes(last, share);
      let gpuEnd = share;
      let cpuStart = share;
      let cpuMs = 0;
      let gpuMs = 0;
      for (let i = k; i >= 0 && k - i < maxChain; i--) {
        const cur = ops[i]!;
        if (!cur.dims.includes("H")) break;
        [gpuEnd, cpuStart] = closeGap(cur, ratio, gpuEnd, cpuStart);
        const parts = rowPartsMs(model, cur, gpuEnd, cpuStart);
        cpuMs += parts.cpuMs;
        gpuMs += parts.gpuMs;
        const sh = model.sharing(inSlabBytes(cur, Math.max(0, Math.min(cpuStart, cur.ir.outRows))), outBytes);
        const total = sh.transformMs + sh.mapMs + sh.syncMs + Math.max(cpuMs, gpuMs);
        const from = minAt(i);
        relax(k + 1, 1, from.cost + total, { kind: "chain", start: i, ratio, share, from: from.from });
        [gpuEnd, cpuStart] = stepBack(cur, gpuEnd, cpuStart);
      }
    }
  }
  // Backtrack from the cheaper final home.
  const end = minAt(m);
  const segments: Segment[] = [];
  let k = m;
  let s = end.from;
  while (k > 0) {
    const c = choice[k]![s]!;
    if (c.kind === "whole") {
      segments.push({ kind: "whole", op: ops[k - 1]!.index, side: c.side });
      k -= 1;
    } else if (c.kind === "oc") {
      segments.push({ kind: "oc", op: ops[k - 1]!.index, ratio: c.ratio, share: c.share });
      k -= 1;
    } else {
      segments.push({ kind: "chain", ops: ops.slice(c.start, k).map((o) => o.index), ratio: c.ratio, share: c.share });
      k = c.start;
    }
    s = c.from;
  }
  segments.reverse();
  return { segments, totalMs: end.cost };
}
