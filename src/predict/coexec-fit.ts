/**
 * The two co-execution terms of the sharing model that only whole-model
 * traces show (`codl train --from-trace`):
 *
 *  - contention: a split operator's CPU part runs slower while the GPU part
 *    runs beside it, and the other way round (shared memory bandwidth and
 *    caches; on the balanced x86 pair, PoCL's 12 worker threads beside the one
 *    XNNPACK thread). For each model with a co-execution trace and traces of
 *    its cpu and gpu plans, per side
 *
 *      factor = Σ_split ops part_ms / Σ_split ops (whole_ms · part fraction)
 *
 *    where whole_ms is the operator alone on that processor (the cpu or gpu
 *    plan's trace) and the fraction is the part's share of the output rows or
 *    channels. A time-weighted ratio: large operators set it, as they set the
 *    plan's latency. Clamped to ≥ 1.
 *
 *  - copy: with buffer storage a transform is a clEnqueueCopyBufferRect, not a
 *    layout kernel. Chains whose transfers are all buffer copies give rows
 *    (transform_in_ms + transform_out_ms, transfers, bytes), fitted as
 *    intercept · transfers + perByte · bytes by least squares, both ≥ 0.
 *    Traces older than the per-chain `transfers` field give no rows.
 */

import type { LinearBytes } from "../device/profile-schema.js";
import { median, type Trace, type TraceOp } from "../profile/trace.js";
import { fitNonNegative } from "./least-squares.js";

/** The kind of plan a trace ran: any split operator makes it co-execution. */
export function traceKind(t: Trace): "cpu" | "gpu" | "coexec" {
  if (t.ops.some((o) => o.placement === "split")) return "coexec";
  return t.ops.every((o) => o.placement === "cpu") ? "cpu" : "gpu";
}

/** One model's traces from one run (`codl train` groups them by model file and trace folder). */
export interface ModelTraces {
  readonly model: string;
  readonly cpu?: Trace;
  readonly gpu?: Trace;
  readonly coexec: readonly Trace[];
}

export interface ContentionFit {
  readonly cpu: number;
  readonly gpu: number;
  /** Per side: split operators used and the time-weighted ratio before clamping. */
  readonly rows: ReadonlyArray<{ readonly side: "cpu" | "gpu"; readonly ops: number; readonly partMs: number; readonly aloneMs: number }>;
  readonly models: readonly string[];
}

function partFraction(op: TraceOp, side: "cpu" | "gpu"): number {
  const [a, b] = side === "cpu" ? op.cpu_out : op.gpu_out;
  const total = op.cpu_out[1] - op.cpu_out[0] + (op.gpu_out[1] - op.gpu_out[0]);
  return total > 0 ? (b - a) / total : 0;
}

/** Parts shorter than this (ms) are left out: dispatch noise, not contention. */
export const MIN_PART_MS = 0.05;

/** Per side: the split parts counted, their time beside the other side, and what the same rows cost alone. */
export type PartSums = Record<"cpu" | "gpu", { ops: number; partMs: number; aloneMs: number }>;

export const emptyPartSums = (): PartSums => ({ cpu: { ops: 0, partMs: 0, aloneMs: 0 }, gpu: { ops: 0, partMs: 0, aloneMs: 0 } });

/**
 * Adds one co-execution trace's split parts to `sums`: each part's time (× `partScale`) against its
 * operator's time alone on that side (`alone`, by operator id) × the part's share of the output.
 * Returns whether any part counted.
 */
export function addPartSums(sums: PartSums, coexec: Trace, alone: Record<"cpu" | "gpu", ReadonlyMap<string, number | null>>, partScale = 1): boolean {
  let used = false;
  for (const op of coexec.ops) {
    if (op.placement !== "split") continue;
    for (const side of ["cpu", "gpu"] as const) {
      const part = side === "cpu" ? op.cpu_ms : op.gpu_ms;
      const whole = alone[side].get(op.id);
      if (part === null || whole === undefined || whole === null || part < MIN_PART_MS) continue;
      const expected = whole * partFraction(op, side);
      if (expected < MIN_PART_MS) continue;
      sums[side].ops++;
      sums[side].partMs += part * partScale;
      sums[side].aloneMs += expected;
      used = true;
    }
  }
  return used;
}

/** Each side's factor (at least 1), or undefined when a side has no part. */
export function contentionOf(sums: PartSums): { readonly cpu: number; readonly gpu: number } | undefined {
  if (sums.cpu.ops === 0 || sums.gpu.ops === 0) return undefined;
  const factor = (s: { partMs: number; aloneMs: number }): number => Math.max(1, s.partMs / s.aloneMs);
  return { cpu: factor(sums.cpu), gpu: factor(sums.gpu) };
}

/** The contention factors, or undefined when no model has a co-execution trace beside its cpu and gpu traces. */
export function fitContention(groups: readonly ModelTraces[]): ContentionFit | undefined {
  const sums = emptyPartSums();
  const models: string[] = [];
  for (const g of groups) {
    if (g.cpu === undefined || g.gpu === undefined || g.coexec.length === 0) continue;
    const alone = {
      cpu: new Map(g.cpu.ops.map((o) => [o.id, o.cpu_ms])),
      gpu: new Map(g.gpu.ops.map((o) => [o.id, o.gpu_ms])),
    };
    let used = false;
    for (const t of g.coexec) used = addPartSums(sums, t, alone) || used;
    if (used && !models.includes(g.model)) models.push(g.model);
  }
  const k = contentionOf(sums);
  return k === undefined ? undefined : { ...k, rows: (["cpu", "gpu"] as const).map((side) => ({ side, ...sums[side] })), models };
}

export interface CopyRow {
  readonly ms: number;
  readonly transfers: number;
  readonly bytes: number;
}

/** Rows for the buffer-copy fit: chains whose every transfer is a buffer copy and whose transform times were measured. */
export function copyRows(t: Trace): CopyRow[] {
  const rows: CopyRow[] = [];
  for (const c of t.chains) {
    const tr = c.transfers;
    if (tr === undefined || tr.length === 0 || tr.some((x) => x.storage !== "buffer")) continue;
    const ms = (c.transform_in_ms ?? 0) + (c.transform_out_ms ?? 0);
    if (!(ms > 0)) continue;
    rows.push({ ms, transfers: tr.length, bytes: tr.reduce((s, x) => s + x.bytes, 0) });
  }
  return rows;
}

export interface CopyFit {
  readonly copy: LinearBytes;
  readonly n: number;
  /** Median |error| of the fit over its rows, %. */
  readonly medianAbsErrPct: number;
}

/** intercept per transfer + per byte, both ≥ 0 (predict/least-squares.ts fitNonNegative). */
export function fitCopy(rows: readonly CopyRow[]): CopyFit | undefined {
  if (rows.length < 2) return undefined;
  // Bytes in MB keep the normal equations well conditioned.
  const xs = rows.map((r) => [r.transfers, r.bytes / 1e6]);
  const ys = rows.map((r) => r.ms);
  const beta = fitNonNegative(xs, ys);
  if (beta === undefined) return undefined;
  const [a, b] = [beta[0]!, beta[1]!];
  const errs = xs.map((x, i) => Math.abs(a * x[0]! + b * x[1]! - ys[i]!) / ys[i]!);
  return { copy: { interceptMs: a, perByteMs: b / 1e6 }, n: rows.length, medianAbsErrPct: median(errs) * 100 };
}
