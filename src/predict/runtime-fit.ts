/**
 * The runtime's own cost outside the kernels, fitted from whole-model traces
 * (`codl_run --trace`): what a run measures beyond its operators' compute and
 * its chains' transforms and maps.
 *
 *   latency − Σ_op max(cpu_ms, gpu_ms) − Σ_chain (transform_in + transform_out)
 *     ≈ perRunMs + perCpuOpMs · (operators with CPU work) + perGpuOpMs · (operators with GPU work)
 *
 * Map times are left in the residual: a blocking map waits for the GPU work
 * queued before it (on x86-balanced one map of YOLOv2's gpu plan took 369 ms,
 * the whole GPU queue), which the operators' own times already count.
 *
 * perRunMs is writing the input and reading the output; the per-operator
 * terms are dispatch: the runtime's bookkeeping, XNNPACK's call, an OpenCL
 * enqueue and the gaps between kernels that events do not time. Single-
 * operator harness cases cannot see the per-operator part (their residual is
 * one dispatch plus one run), so it needs whole models.
 *
 * Fitted by least squares on the error relative to each run's latency (so
 * that one large model's unexplained milliseconds do not set the dispatch
 * cost of small ones), with every coefficient ≥ 0: the best of the feasible
 * subsets of the three. A term no trace can tell apart (no trace has GPU
 * operators, say) keeps the base profile's value.
 */

import type { RuntimeOverhead } from "../device/profile-schema.js";
import type { Trace } from "../profile/trace.js";
import { chainSum } from "../profile/trace.js";
import { fitNonNegative } from "./least-squares.js";

export interface TraceResidual {
  readonly name: string;
  readonly latencyMs: number;
  readonly residualMs: number;
  readonly cpuOps: number;
  readonly gpuOps: number;
}

export function traceResidual(t: Trace, name: string): TraceResidual | undefined {
  const latency = t.latency_ms.median;
  if (latency === null) return undefined;
  const compute = t.ops.reduce((s, o) => s + Math.max(o.cpu_ms ?? 0, o.gpu_ms ?? 0), 0);
  const sharing = chainSum(t, "transform_in_ms") + chainSum(t, "transform_out_ms");
  const cpuOps = t.ops.filter((o) => o.cpu_out[1] > o.cpu_out[0]).length;
  const gpuOps = t.ops.filter((o) => o.gpu_out[1] > o.gpu_out[0]).length;
  return { name, latencyMs: latency, residualMs: latency - compute - sharing, cpuOps, gpuOps };
}

export interface RuntimeFit {
  readonly runtime: RuntimeOverhead;
  /** Per trace: the residual and the fit's value for it. */
  readonly rows: ReadonlyArray<TraceResidual & { readonly fittedMs: number }>;
}

const TERMS = ["perRunMs", "perCpuOpMs", "perGpuOpMs"] as const;

export function fitRuntime(rows: readonly TraceResidual[], base: RuntimeOverhead | undefined, source: string): RuntimeFit | undefined {
  if (rows.length === 0) return undefined;
  const x = rows.map((r) => [1, r.cpuOps, r.gpuOps]);
  const y = rows.map((r) => r.residualMs);
  const w = rows.map((r) => 1 / Math.max(r.latencyMs, 1e-6));
  // A term is identifiable only if some trace varies it; otherwise it keeps the base value.
  const free = [0, 1, 2].filter((j) => j === 0 || rows.some((r) => (j === 1 ? r.cpuOps : r.gpuOps) > 0));
  const fixed = (j: number): number => base?.[TERMS[j]!] ?? 0;
  const target = y.map((v, i) => v - [0, 1, 2].filter((j) => !free.includes(j)).reduce((s, j) => s + fixed(j) * x[i]![j]!, 0));
  const beta = fitNonNegative(
    x.map((row) => free.map((j) => row[j]!)),
    target,
    w,
  );
  const coef = [0, 1, 2].map((j) => (free.includes(j) ? (beta?.[free.indexOf(j)] ?? 0) : fixed(j)));
  const runtime: RuntimeOverhead = { perRunMs: round(coef[0]!), perCpuOpMs: round(coef[1]!), perGpuOpMs: round(coef[2]!), source };
  return {
    runtime,
    rows: rows.map((r) => ({ ...r, fittedMs: runtime.perRunMs + runtime.perCpuOpMs * r.cpuOps + runtime.perGpuOpMs * r.gpuOps })),
  };
}

function round(v: number): number {
  return Number(v.toPrecision(6));
}
