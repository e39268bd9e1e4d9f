/**
 * `codl diff`: what changed between two plans, for reviewing a plan change
 * in CI. Operators are matched by name; an operator is listed when its
 * decision (processor, dimension, ratio) or its chain membership changed,
 * or when it exists on one side only. The total predicted delta and the
 * per-operator deltas come with it.
 */

import type { Plan } from "../plan/schema.js";
import { decisionOf } from "./report.js";

export interface DiffRow {
  readonly name: string;
  readonly op: string;
  readonly before: string | null;
  readonly after: string | null;
  readonly beforeMs: number | null;
  readonly afterMs: number | null;
  readonly deltaMs: number;
}

export interface PlanDiff {
  readonly a: { readonly model: string; readonly device: string; readonly strategy: string; readonly predictedMs: number };
  readonly b: { readonly model: string; readonly device: string; readonly strategy: string; readonly predictedMs: number };
  readonly deltaMs: number;
  readonly changed: readonly DiffRow[];
  readonly unchanged: number;
}

function describe(o: Plan["operators"][number], plan: Plan): string {
  const chain = o.placement.chain === null ? undefined : plan.chains[o.placement.chain];
  return chain === undefined ? decisionOf(o) : `${decisionOf(o)} chain[${chain.operators.map((i) => plan.operators[i]?.name ?? i).join(",")}]`;
}

const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function diffPlans(a: Plan, b: Plan): PlanDiff {
  const byName = new Map(b.operators.map((o) => [o.name, o]));
  const seen = new Set<string>();
  const changed: DiffRow[] = [];
  let unchanged = 0;
  for (const o of a.operators) {
    seen.add(o.name);
    const other = byName.get(o.name);
    const before = describe(o, a);
    const after = other === undefined ? null : describe(other, b);
    if (after === before) {
      unchanged++;
      continue;
    }
    const afterMs = other?.predicted.totalMs ?? null;
    changed.push({ name: o.name, op: o.op, before, after, beforeMs: o.predicted.totalMs, afterMs, deltaMs: r6((afterMs ?? 0) - o.predicted.totalMs) });
  }
  for (const o of b.operators) {
    if (seen.has(o.name)) continue;
    changed.push({ name: o.name, op: o.op, before: null, after: describe(o, b), beforeMs: null, afterMs: o.predicted.totalMs, deltaMs: o.predicted.totalMs });
  }
  const side = (p: Plan) => ({ model: p.model.name, device: p.profile.id, strategy: p.strategy, predictedMs: p.totals.predictedMs });
  return { a: side(a), b: side(b), deltaMs: r6(b.totals.predictedMs - a.totals.predictedMs), changed, unchanged };
}

export function formatDiffText(d: PlanDiff): string {
  const pct = d.a.predictedMs > 0 ? (100 * d.deltaMs) / d.a.predictedMs : 0;
  const lines = [
    `A: ${d.a.model} on ${d.a.device}, ${d.a.strategy}: ${d.a.predictedMs.toFixed(3)} ms`,
    `B: ${d.b.model} on ${d.b.device}, ${d.b.strategy}: ${d.b.predictedMs.toFixed(3)} ms`,
    `predicted latency: ${d.deltaMs >= 0 ? "+" : ""}${d.deltaMs.toFixed(3)} ms (${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%)`,
    `${d.changed.length} operators changed, ${d.unchanged} unchanged`,
  ];
  for (const c of d.changed) {
    lines.push(`  ${c.name} (${c.op}): ${c.before ?? "(absent)"} → ${c.after ?? "(absent)"}  ${c.deltaMs >= 0 ? "+" : ""}${c.deltaMs.toFixed(3)} ms`);
  }
  return `${lines.join("\n")}\n`;
}
