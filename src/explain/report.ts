/**
 * `codl explain`'s report, built from a plan document alone (so a bundle
 * explains itself without the model): one row per operator with its
 * decision, chain, predicted parts, the best alternative per dimension with
 * its delta, and the reason code; then the chains and the totals. The JSON
 * format is this record; text.ts and html.ts render it.
 */

import { CompilerError } from "../diag/errors.js";
import type { Plan, PlanOperator } from "../plan/schema.js";

export const EXPLAIN_FORMAT_VERSION = 1;

export const REASON_TEXT: Readonly<Record<PlanOperator["reason"], string>> = {
  CHAINED: "runs inside an H chain: no sharing at this operator",
  SPLIT_GAIN: "splitting beats either processor alone, sharing included",
  SHARING_EXCEEDS_GAIN: "a split computes faster, but its sharing costs more than it saves",
  NO_SPLIT_GAIN: "no split computes faster than this processor alone",
  DATA_LOCALITY: "the other processor computes faster, but moving the data there costs more",
  TOO_SMALL: "too few rows or channels to split",
  NOT_PARTITIONABLE: "this kind of operator is not split",
  GPU_UNSUPPORTED: "codl has no GPU kernel for it",
  STRATEGY: "placed by the baseline strategy",
};

export interface ExplainRow {
  readonly id: number;
  readonly name: string;
  readonly op: string;
  readonly shape: string;
  /** e.g. "GPU", "CPU", "H 0.6", "OC 0.5". */
  readonly decision: string;
  readonly chain: number | null;
  readonly cpuMs: number;
  readonly gpuMs: number;
  readonly transformMs: number;
  readonly mapMs: number;
  readonly syncMs: number;
  readonly totalMs: number;
  readonly bestH: { readonly ratio: number; readonly totalMs: number; readonly deltaMs: number } | null;
  readonly bestOC: { readonly ratio: number; readonly totalMs: number; readonly deltaMs: number } | null;
  readonly reason: PlanOperator["reason"];
  readonly gpuRange: readonly [number, number] | null;
  readonly cpuRange: readonly [number, number] | null;
  readonly inputHalo: { readonly gpu: readonly [number, number] | null; readonly cpu: readonly [number, number] | null } | null;
}

export interface ExplainReport {
  readonly formatVersion: number;
  readonly model: string;
  readonly device: string;
  readonly strategy: string;
  readonly predictedMs: number;
  readonly baselines: Plan["totals"]["baselines"];
  readonly splits: Plan["totals"]["splits"];
  readonly rows: readonly ExplainRow[];
  readonly chains: Plan["chains"];
  /** What beyond the kernel models priced the plan: co-execution contention, calibrated operators (plan.options). */
  readonly measuredTerms: Pick<Plan["options"], "contention" | "calibrated">;
  /** Set when the plan asked for fp16 and kept fp32 (plan options.fp16Refused). */
  readonly fp16Refused?: Plan["options"]["fp16Refused"];
  /** Set with --op: the operator asked about. */
  readonly focus: number | null;
}

export function decisionOf(o: PlanOperator): string {
  const p = o.placement;
  if (p.dim === "none") return p.processor.toUpperCase();
  return `${p.dim} ${p.ratio.toFixed(2)}`;
}

function rowOf(o: PlanOperator): ExplainRow {
  return {
    id: o.id,
    name: o.name,
    op: o.op,
    shape: o.outputShape.join("x"),
    decision: decisionOf(o),
    chain: o.placement.chain,
    cpuMs: o.predicted.cpuMs,
    gpuMs: o.predicted.gpuMs,
    transformMs: o.predicted.transformMs,
    mapMs: o.predicted.mapMs,
    syncMs: o.predicted.syncMs,
    totalMs: o.predicted.totalMs,
    bestH: o.alternatives.H,
    bestOC: o.alternatives.OC,
    reason: o.reason,
    gpuRange: o.placement.gpu,
    cpuRange: o.placement.cpu,
    inputHalo: o.placement.inputHalo,
  };
}

/** Finds an operator by name, or by id when `op` is a number. */
export function findOperator(plan: Plan, op: string): PlanOperator {
  const hit = plan.operators.find((o) => o.name === op) ?? (/^\d+$/.test(op) ? plan.operators[Number(op)] : undefined);
  if (hit === undefined) {
    const names = plan.operators.map((o) => o.name);
    throw new CompilerError("CODL-E087", { op, known: `${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""}` });
  }
  return hit;
}

export function buildExplainReport(plan: Plan, focusOp?: string): ExplainReport {
  const focus = focusOp === undefined ? null : findOperator(plan, focusOp).id;
  const rows = plan.operators.filter((o) => focus === null || o.id === focus).map(rowOf);
  return {
    formatVersion: EXPLAIN_FORMAT_VERSION,
    model: plan.model.name,
    device: plan.profile.id,
    strategy: plan.strategy,
    predictedMs: plan.totals.predictedMs,
    baselines: plan.totals.baselines,
    ...(plan.options.fp16Refused === undefined ? {} : { fp16Refused: plan.options.fp16Refused }),
    measuredTerms: { ...(plan.options.contention === undefined ? {} : { contention: plan.options.contention }), ...(plan.options.calibrated === undefined ? {} : { calibrated: plan.options.calibrated }) },
    splits: plan.totals.splits,
    rows,
    chains: focus === null ? plan.chains : plan.chains.filter((c) => c.operators.includes(focus)),
    focus,
  };
}
