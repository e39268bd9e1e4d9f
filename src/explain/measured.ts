/**
 * Predicted against measured, per operator: a plan (plan.json) beside a
 * trace of running its bundle (`codl_run --trace`, profile/trace.ts). The
 * trace's operator ids are the plan's; per operator it gives the CPU part's
 * wall time and the GPU part's event time, per chain the transform and map
 * times. Rows compare compute (the slower side, Eq. 2's max) and the sides;
 * the totals compare the plan's predicted latency with the measured median.
 */

import type { Plan } from "../plan/schema.js";
import type { Trace } from "../profile/trace.js";
import { decisionOf } from "./report.js";

export interface MeasuredRow {
  readonly id: number;
  readonly name: string;
  readonly decision: string;
  readonly predictedCpuMs: number;
  readonly predictedGpuMs: number;
  readonly measuredCpuMs: number | null;
  readonly measuredGpuMs: number | null;
  /** max(cpu, gpu) of each: the compute part of Eq. 2. */
  readonly predictedMs: number;
  readonly measuredMs: number;
  /** (predicted − measured) / measured; null when nothing was measured. */
  readonly error: number | null;
}

/**
 * One split chain of the trace (an H chain, or a lone H or OC split): how long
 * each side worked, how long the faster one waited, and the ratio at which
 * both would have taken as long. `ratio` is the GPU's share; scaling each
 * side's measured time linearly with its share, the GPU's whole-chain time is
 * gpu/ratio and the CPU's cpu/(1 − ratio), and they meet at
 * balance = C / (C + G). (Halo rows make a chain's work a little more than
 * linear in its share; the estimate ignores them.)
 */
export interface ChainBalance {
  readonly chain: string;
  /** The plan's operator ids, first and last. */
  readonly first: string;
  readonly last: string;
  readonly operators: number;
  readonly dim: string;
  readonly ratio: number;
  /** A rebalancing bundle's compiled cut, where the traced run used another one. */
  readonly compiledRatio?: number;
  readonly cpuMs: number;
  readonly gpuMs: number;
  readonly wallMs: number | null;
  /** |cpu − gpu|: the faster side's wait. */
  readonly idleMs: number;
  readonly balanceRatio: number | null;
}

export interface MeasuredReport {
  readonly model: string;
  readonly device: string;
  readonly traceDevice: string;
  readonly iterations: number;
  readonly rows: readonly MeasuredRow[];
  readonly predictedTotalMs: number;
  readonly measuredTotalMs: number | null;
  readonly totalError: number | null;
  /** Sums over operators of the compute parts, and the chains' measured transform + map. */
  readonly predictedComputeMs: number;
  readonly measuredComputeMs: number;
  readonly predictedSharingMs: number;
  /** The runtime's overhead in the plan's total: per run plus one dispatch per operator side (0 without profile.runtime). */
  readonly predictedRuntimeMs: number;
  readonly measuredSharingMs: number;
  /** The split chains, in the trace's order. */
  readonly balance: readonly ChainBalance[];
}

/** Why a trace cannot be laid beside this plan, or undefined when it can. */
export function traceMismatch(plan: Plan, trace: Trace): string | undefined {
  if (trace.ops.length !== plan.operators.length) return `the trace has ${trace.ops.length} operators, the plan ${plan.operators.length}`;
  for (const op of trace.ops) {
    const p = plan.operators[Number(op.id)];
    if (p === undefined) return `operator id '${op.id}' is not in the plan`;
    const placement = p.placement.processor === "both" ? "split" : p.placement.processor;
    if (placement !== op.placement) return `operator ${op.id} (${p.name}) is ${placement} in the plan, ${op.placement} in the trace`;
  }
  return undefined;
}

const relErr = (pred: number, meas: number): number | null => (meas > 0 ? (pred - meas) / meas : null);

/** The trace's split chains: each side's measured time, the wait, the measured balance point (ChainBalance). */
export function chainBalance(trace: Trace): ChainBalance[] {
  const ops = new Map(trace.ops.map((o) => [o.id, o]));
  const out: ChainBalance[] = [];
  for (const c of trace.chains) {
    const ratio = c.ratio ?? 0;
    if ((c.dim !== "H" && c.dim !== "OC") || ratio <= 0 || ratio >= 1 || c.ops.length === 0) continue;
    const cpuMs = c.ops.reduce((s, id) => s + (ops.get(id)?.cpu_ms ?? 0), 0);
    const gpuMs = c.ops.reduce((s, id) => s + (ops.get(id)?.gpu_ms ?? 0), 0);
    const whole = { cpu: cpuMs / (1 - ratio), gpu: gpuMs / ratio };
    out.push({
      chain: c.id,
      first: c.ops[0]!,
      last: c.ops[c.ops.length - 1]!,
      operators: c.ops.length,
      dim: c.dim,
      ratio,
      ...(c.compiled_ratio === undefined || c.compiled_ratio === ratio ? {} : { compiledRatio: c.compiled_ratio }),
      cpuMs,
      gpuMs,
      wallMs: c.wall_ms,
      idleMs: Math.abs(cpuMs - gpuMs),
      balanceRatio: whole.cpu + whole.gpu > 0 ? whole.cpu / (whole.cpu + whole.gpu) : null,
    });
  }
  return out;
}

export function buildMeasuredReport(plan: Plan, trace: Trace): MeasuredReport {
  // The trace times kernels only; the plan's operator times include one dispatch per side
  // (plan.options.runtime), which is compared with the rest of the run instead.
  const rt = plan.options.runtime;
  const kernelOnly = (ms: number, dispatch: number | undefined): number => (ms > 0 ? Math.max(0, ms - (dispatch ?? 0)) : 0);
  let dispatchMs = rt?.perRunMs ?? 0;
  const rows = trace.ops.map((t): MeasuredRow => {
    const p = plan.operators[Number(t.id)]!;
    const cpu = kernelOnly(p.predicted.cpuMs, rt?.perCpuOpMs);
    const gpu = kernelOnly(p.predicted.gpuMs, rt?.perGpuOpMs);
    dispatchMs += p.predicted.cpuMs - cpu + (p.predicted.gpuMs - gpu);
    const predictedMs = Math.max(cpu, gpu);
    const measuredMs = Math.max(t.cpu_ms ?? 0, t.gpu_ms ?? 0);
    return {
      id: p.id,
      name: p.name,
      decision: decisionOf(p),
      predictedCpuMs: cpu,
      predictedGpuMs: gpu,
      measuredCpuMs: t.cpu_ms,
      measuredGpuMs: t.gpu_ms,
      predictedMs,
      measuredMs,
      error: relErr(predictedMs, measuredMs),
    };
  });
  const measuredTotalMs = trace.latency_ms.median;
  const predictedSharingMs = plan.operators.reduce((s, o) => s + o.predicted.transformMs + o.predicted.mapMs + o.predicted.syncMs, 0);
  const measuredSharingMs = trace.chains.reduce((s, c) => s + (c.transform_in_ms ?? 0) + (c.transform_out_ms ?? 0) + Math.max(c.map_ms ?? 0, c.transform_in_ms ?? 0) - (c.transform_in_ms ?? 0), 0);
  return {
    model: plan.model.name,
    device: plan.profile.id,
    traceDevice: trace.device,
    iterations: trace.iterations,
    rows,
    predictedTotalMs: plan.totals.predictedMs,
    measuredTotalMs,
    totalError: measuredTotalMs === null ? null : relErr(plan.totals.predictedMs, measuredTotalMs),
    predictedComputeMs: rows.reduce((s, r) => s + r.predictedMs, 0),
    measuredComputeMs: rows.reduce((s, r) => s + r.measuredMs, 0),
    predictedSharingMs,
    measuredSharingMs,
    predictedRuntimeMs: dispatchMs,
    balance: chainBalance(trace),
  };
}

const f3 = (x: number | null): string => (x === null ? "-" : x.toFixed(3));
const pct = (x: number | null): string => (x === null ? "-" : `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)}%`);
const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : " ".repeat(n - s.length) + s);

export function formatMeasuredText(r: MeasuredReport): string {
  const nameWidth = Math.min(36, Math.max(4, ...r.rows.map((x) => x.name.length)));
  const lines = [
    `${r.model} on ${r.device}: predicted vs measured (${r.iterations} iterations on ${r.traceDevice})`,
    "",
    [lpad("#", 4), pad("name", nameWidth), pad("decision", 9), lpad("pred cpu", 9), lpad("meas cpu", 9), lpad("pred gpu", 9), lpad("meas gpu", 9), lpad("pred", 9), lpad("measured", 9), lpad("error", 8)].join(" "),
  ];
  for (const x of r.rows) {
    const name = x.name.length > nameWidth ? `${x.name.slice(0, nameWidth - 1)}…` : x.name;
    lines.push(
      [lpad(String(x.id), 4), pad(name, nameWidth), pad(x.decision, 9), lpad(f3(x.predictedCpuMs), 9), lpad(f3(x.measuredCpuMs), 9), lpad(f3(x.predictedGpuMs), 9), lpad(f3(x.measuredGpuMs), 9), lpad(f3(x.predictedMs), 9), lpad(f3(x.measuredMs), 9), lpad(pct(x.error), 8)].join(" "),
    );
  }
  lines.push("");
  lines.push(`compute (Σ max(cpu, gpu)): predicted ${f3(r.predictedComputeMs)} ms, measured ${f3(r.measuredComputeMs)} ms`);
  lines.push(`sharing (transform + map + sync): predicted ${f3(r.predictedSharingMs)} ms, measured transform + map ${f3(r.measuredSharingMs)} ms (a blocking map also waits for the GPU work queued before it)`);
  if (r.predictedRuntimeMs > 0) {
    const rest = r.measuredTotalMs === null ? null : r.measuredTotalMs - r.measuredComputeMs - r.measuredSharingMs;
    lines.push(`runtime (per run + dispatch): predicted ${f3(r.predictedRuntimeMs)} ms, measured rest of the run ${f3(rest)} ms`);
  }
  lines.push(`total: predicted ${f3(r.predictedTotalMs)} ms, measured median ${f3(r.measuredTotalMs)} ms (${pct(r.totalError)})`);
  lines.push(...formatBalance(r.balance));
  return `${lines.join("\n")}\n`;
}

function formatBalance(balance: readonly ChainBalance[]): string[] {
  if (balance.length === 0) return [];
  const lines = [
    "",
    "split chains: each side's measured time; idle = the faster side's wait; balance = the GPU share at which both sides would have",
    "taken as long (each side's time scaled linearly with its share; halos ignored). A balance far from the ratio: recalibrate (codl train --from-trace --calibrate).",
    [pad("chain", 6), pad("operators", 11), pad("dim", 4), lpad("ratio", 6), lpad("cpu ms", 9), lpad("gpu ms", 9), lpad("wall ms", 9), lpad("idle ms", 9), lpad("balance", 8)].join(" "),
  ];
  for (const b of balance) {
    const ops = b.operators === 1 ? b.first : `${b.first}–${b.last}`;
    // A rebalanced chain's ratio is starred; the star takes the space between it and the next column, so the columns stay put.
    const star = b.compiledRatio === undefined ? "" : "*";
    lines.push([pad(b.chain, 6), pad(ops, 11), pad(b.dim, 4), lpad(b.ratio.toFixed(3), 6) + (star || " ") + lpad(f3(b.cpuMs), 9), lpad(f3(b.gpuMs), 9), lpad(f3(b.wallMs), 9), lpad(f3(b.idleMs), 9), lpad(b.balanceRatio === null ? "-" : b.balanceRatio.toFixed(3), 8)].join(" "));
  }
  const idle = balance.reduce((s, b) => s + b.idleMs, 0);
  const off = balance.filter((b) => b.balanceRatio !== null && Math.abs(b.balanceRatio - b.ratio) > 0.05).length;
  lines.push(`idle: ${f3(idle)} ms over ${balance.length} split chain${balance.length === 1 ? "" : "s"}; ${off} of them balance more than 0.05 away from their ratio`);
  const moved = balance.filter((b) => b.compiledRatio !== undefined);
  if (moved.length > 0) lines.push(`* rebalanced at run time: the traced run cut ${moved.map((b) => `${b.chain} at ${b.ratio.toFixed(3)} (compiled ${b.compiledRatio!.toFixed(3)})`).join(", ")}`);
  return lines;
}
