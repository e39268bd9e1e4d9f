/**
 * `codl train [samples.csv] [--from-trace t.json,… --model m.onnx,…] --base <profile> --out <profile.json>
 *  [--holdout 0.3] [--seed 66] [--ridge λ]`
 *
 * Fits one model per kernel implementation in the samples CSV (70/30 split by
 * configuration, feature set chosen by cross-validation on the 70%), prints
 * one row per model beside the FLOPs-linear baseline, and writes the base
 * profile with those models replaced (held-out accuracy included). Accuracy
 * is also printed over the quiet held-out rows (spread over rounds below 5%
 * of the median, when the CSV has `stdev_ms`): noisy rows are trained on and
 * scored, never dropped.
 * Rows of the sharing ops (transform_*, map_*, sync; `codl profile` writes
 * them) fit the profile's sharing models instead (predict/sharing-fit.ts).
 * `--from-trace` adds rows from `codl_run --trace` runs of bundles compiled
 * from the `--model`s (one model per trace, in order; profile/from-trace.ts).
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { loadModel } from "../index.js";
import { type PartSample, partsFromTrace, samplesFromTrace } from "../profile/from-trace.js";
import { median, parseTrace, type Trace } from "../profile/trace.js";
import { type CopyRow, copyRows, fitContention, fitCopy, type ModelTraces, traceKind } from "../predict/coexec-fit.js";
import { fitSharing, SHARING_OPS, type SharingFit } from "../predict/sharing-fit.js";
import { fitRuntime, type RuntimeFit, type TraceResidual, traceResidual } from "../predict/runtime-fit.js";
import type { Sample } from "../predict/samples.js";
import { externalDataReader, packageVersion, readModelFile, writeFileAtomic } from "./io.js";
import { inputShapesFor, optionFlag, parseInputShapes } from "./options.js";
import { loadProfile, parseProfile } from "../device/load-profile.js";
import type { DeviceProfile, KernelModel, Sharing } from "../device/profile-schema.js";
import { CompilerError } from "../diag/errors.js";
import { type Accuracy, accuracy } from "../predict/metrics.js";
import { parseSamplesCsv } from "../predict/samples.js";
import { DEFAULT_TRAIN, isQuiet, QUIET_REL_STDEV, type KernelResult, type TrainOptions, type TrainSample, trainKernelModels } from "../predict/train.js";
import { workOf } from "../predict/work.js";
import { findModel, pricedKernel } from "../predict/coexec.js";
import { configKey } from "../kernels/op-config.js";
import type { CommandResult } from "./result.js";

export const trainOptionsSchema = z.object({
  base: z.string().min(1),
  out: z.string().min(1),
  holdout: z.coerce.number().min(0).max(0.9).default(DEFAULT_TRAIN.holdout),
  seed: z.coerce.number().int().default(DEFAULT_TRAIN.seed),
  splits: z.coerce.number().int().min(1).max(100).default(1),
  ridge: z.coerce.number().min(0).default(DEFAULT_TRAIN.ridge),
  fromTrace: z.string().optional(),
  model: z.string().optional(),
  inputShape: z.array(z.string()).default([]),
  runtimeOnly: z.boolean().default(false),
  calibrate: z.boolean().default(false),
  /** When the samples or traces were measured: provenance.date (default: the base profile's). */
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD")
    .optional(),
});
export type TrainCliOptions = z.infer<typeof trainOptionsSchema>;

export interface TrainReport {
  readonly rows: ReadonlyArray<ReportRow & { features: string }>;
  readonly total: ReportRow;
  readonly profile: DeviceProfile;
  readonly sharing: SharingFit["parts"];
  /** Per trace: the residual outside its operators and the fitted runtime overhead (empty without traces). */
  readonly runtime: RuntimeFit["rows"];
  /** What the traces said about contention and buffer copies (predict/coexec-fit.ts). */
  readonly coexec?: readonly string[];
  /** The held-out rows by measured latency (LATENCY_BANDS): how accuracy depends on how long a kernel runs. */
  readonly bands: ReadonlyArray<{ readonly label: string; readonly n: number; readonly acc10: number }>;
  /** With --splits N > 1: the overall held-out ±10% of each of N splits (seeds seed … seed+N−1), the first the one reported above. */
  readonly splits?: {
    readonly seeds: readonly number[];
    readonly acc10: readonly number[];
    readonly mean: number;
    readonly sd: number;
    /** Each kernel's held-out rows of all N splits pooled: a kernel with a handful of held-out rows moves by tens of points between splits. */
    readonly perKernel: readonly { readonly kernel: string; readonly n: number; readonly acc10: number }[];
  };
}

interface ReportRow {
  readonly kernel: string;
  readonly nTrain: number;
  readonly nTest: number;
  readonly acc10: number;
  readonly acc20: number;
  readonly medianAbsErrPct: number;
  readonly flopsAcc10: number;
  /** Over the quiet held-out rows only (predict/train.ts isQuiet). */
  readonly nQuiet: number;
  readonly quietAcc10: number;
  readonly quietFlopsAcc10: number;
}

const MIN_TRACE_CONFIGS = 4;

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new CompilerError("CODL-E001", { path: file, cause: (e as NodeJS.ErrnoException).code ?? String(e) }, { cause: e });
  }
}

interface TraceInput {
  readonly samples: Sample[];
  readonly residuals: TraceResidual[];
  /** Per model file, its traces by plan kind (contention). */
  readonly groups: ModelTraces[];
  /** Buffer-copy rows of every trace's chains. */
  readonly copyRows: CopyRow[];
  /** Split operators' parts, from the co-execution traces (--calibrate). */
  readonly parts: PartSample[];
}

/**
 * Samples of `--from-trace` traces, each with the model of its bundle, and each trace's residual
 * outside its operators. Split operators of co-execution traces give no kernel rows: their parts
 * ran beside each other (contention); they fit sharing.contention instead.
 */
function traceSamples(traces: string, models: string | undefined, inputShape: readonly string[]): TraceInput {
  const files = traces.split(",").filter((s) => s !== "");
  const modelFiles = (models ?? "").split(",").filter((s) => s !== "");
  if (modelFiles.length !== files.length) {
    throw new CompilerError("CODL-E050", { option: "--model", cause: `give one model per trace (${files.length} traces, ${modelFiles.length} models)` });
  }
  const out: Sample[] = [];
  const residuals: TraceResidual[] = [];
  const groups = new Map<string, { model: string; cpu?: Trace; gpu?: Trace; coexec: Trace[] }>();
  const copies: CopyRow[] = [];
  const parts: PartSample[] = [];
  files.forEach((file, i) => {
    const modelFile = modelFiles[i]!;
    let trace: ReturnType<typeof parseTrace>;
    try {
      trace = parseTrace(JSON.parse(readText(file)), file);
    } catch (e) {
      if (e instanceof CompilerError) throw e;
      throw new CompilerError("CODL-E075", { path: file, cause: e instanceof Error ? e.message : String(e) });
    }
    const inputShapes = parseInputShapes(inputShapesFor(inputShape, path.basename(modelFile)));
    const { graph } = loadModel(readModelFile(modelFile), { path: modelFile, readExternal: externalDataReader(modelFile), inputShapes });
    const kind = traceKind(trace);
    const rows = samplesFromTrace(trace, graph, path.basename(modelFile), { skipSplit: true });
    if (!Array.isArray(rows)) throw new CompilerError("CODL-E076", { path: file, what: modelFile, cause: rows.cause });
    for (const r of rows) out.push({ line: 0, processor: r.processor, kernel: r.kernel, config: r.config, latencyMs: r.latencyMs });
    const residual = traceResidual(trace, file);
    if (residual !== undefined) residuals.push(residual);
    // A co-execution trace is compared with the cpu and gpu traces of the same model in the same
    // folder: one run of one machine (bench/e2e writes each run's traces to its own folder).
    const run = `${path.dirname(path.resolve(file))}|${path.resolve(modelFile)}`;
    const g = groups.get(run) ?? { model: path.basename(modelFile), coexec: [] };
    if (kind === "coexec") {
      g.coexec.push(trace);
      parts.push(...partsFromTrace(trace, graph));
    } else g[kind] = trace;
    groups.set(run, g);
    copies.push(...copyRows(trace));
  });
  return { samples: out, residuals, groups: [...groups.values()], copyRows: copies, parts };
}

export async function runTrain(samplesPath: string | undefined, rawOptions: unknown): Promise<CommandResult & { report: TrainReport }> {
  const parsed = trainOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CompilerError("CODL-E050", { option: optionFlag(issue?.path[0]), cause: issue?.message ?? "invalid" });
  }
  const options = parsed.data;
  const base = loadProfile(options.base);
  if (samplesPath === undefined && options.fromTrace === undefined) throw new CompilerError("CODL-E050", { option: "<samples>", cause: "give a samples CSV, --from-trace, or both" });
  if (options.runtimeOnly && (options.fromTrace === undefined || samplesPath !== undefined)) throw new CompilerError("CODL-E050", { option: "--runtime-only", cause: "takes --from-trace traces and no samples CSV" });
  if (options.calibrate && options.fromTrace === undefined) throw new CompilerError("CODL-E050", { option: "--calibrate", cause: "takes --from-trace traces" });
  if (options.splits > 1 && options.holdout === 0) throw new CompilerError("CODL-E050", { option: "--splits", cause: "scores held-out rows: give --holdout above 0" });
  if (options.runtimeOnly) return runtimeOnly(base, traceSamples(options.fromTrace!, options.model, options.inputShape), options);
  const fromTrace = options.fromTrace === undefined ? undefined : traceSamples(options.fromTrace, options.model, options.inputShape);
  const all = [...(samplesPath === undefined ? [] : parseSamplesCsv(readText(samplesPath), samplesPath)), ...(fromTrace?.samples ?? [])];
  const inputName = [samplesPath, options.fromTrace].filter((s) => s !== undefined).join(" + ");
  const sharingOps: readonly string[] = SHARING_OPS;
  const sharingFit = fitSharing(
    all.filter((s) => sharingOps.includes(s.config.op)),
    base.sharing,
  );
  let samples = all.filter((s) => !sharingOps.includes(s.config.op)).map((s) => ({
    key: configKey(s.config, s.kernel),
    kernel: s.kernel,
    processor: s.processor,
    work: workOf(s.kernel, s.config, base),
    latencyMs: s.latencyMs,
    ...(s.stdevMs === undefined ? {} : { stdevMs: s.stdevMs }),
  }));
  // A trace holds few operators per kernel: with traces, kernels seen in fewer than
  // MIN_TRACE_CONFIGS configurations keep the base profile's model (reported) instead of failing.
  const sparse: string[] = [];
  if (options.fromTrace !== undefined) {
    const configs = new Map<string, Set<string>>();
    for (const s of samples) configs.set(s.kernel, (configs.get(s.kernel) ?? new Set()).add(s.key));
    for (const [kernel, keys] of configs) if (keys.size < MIN_TRACE_CONFIGS) sparse.push(kernel);
    samples = samples.filter((s) => !sparse.includes(s.kernel));
  }
  // A kernel left with fewer than 2 training rows keeps what the base profile prices it
  // with (its own model, or the older id's it was split from); only without either is it CODL-E063.
  const onSparse = (kernel: string): void => {
    if (findModel(base, pricedKernel(base, kernel)) === undefined) {
      throw new CompilerError("CODL-E063", { path: inputName, kernel, cause: "fewer than 2 training rows after the holdout, and the base profile has no model for it" });
    }
    sparse.push(kernel);
  };
  const results = trainKernelModels(samples, { ...DEFAULT_TRAIN, holdout: options.holdout, seed: options.seed, ridge: options.ridge, path: inputName, gpuVendor: base.gpu.vendor, source: `measured: trained by codl train on ${inputName}`, onSparse });
  const splits = options.splits > 1 ? splitScores(samples, results, options.seed, options.splits, { ...DEFAULT_TRAIN, holdout: options.holdout, ridge: options.ridge, path: inputName, gpuVendor: base.gpu.vendor }) : undefined;
  const trained = new Map<string, KernelModel>(results.map((r) => [r.kernel, r.model]));
  const kernelModels = [...base.kernelModels.filter((m) => !trained.has(m.kernel)), ...results.map((r) => r.model)];
  const runtimeFit = fromTrace === undefined ? undefined : fitRuntime(fromTrace.residuals, base.runtime, `codl train --from-trace: ${fromTrace.residuals.length} traces, in-sample`);
  const coexec = fromTrace === undefined ? {} : fitCoexec(fromTrace);
  const sharing = { ...sharingFit.sharing, ...coexec.sharing };
  const calibration = options.calibrate && fromTrace !== undefined ? { calibration: calibrationOf(fromTrace, traceNames(options.fromTrace), base.calibration) } : {};
  const refitted = [
    `kernel models ${results.map((r) => r.kernel).join(", ")}`,
    ...(sharingFit.parts.length > 0 ? ["transform, map and sync"] : []),
    ...traceRefits(runtimeFit !== undefined, coexec.sharing ?? {}, calibration.calibration),
  ];
  const step = `codl train ${[samplesPath === undefined ? undefined : path.basename(samplesPath), options.fromTrace === undefined ? undefined : `--from-trace ${traceNames(options.fromTrace)}`].filter((x) => x !== undefined).join(" ")}`;
  const provenance = trainedProvenance(base, options, step, refitted, { ...(sharingFit.parts.length > 0 ? { transform: sharingFit.sharing.transform } : {}), ...(coexec.sharing ?? {}) });
  const profile = parseProfile({ ...base, provenance, sharing, kernelModels, ...(runtimeFit === undefined ? {} : { runtime: runtimeFit.runtime }), ...calibration }, options.out);
  writeFileAtomic(options.out, `${JSON.stringify(profile, null, 2)}\n`);
  const report = { ...buildReport(results, profile), sharing: sharingFit.parts, runtime: runtimeFit?.rows ?? [], coexec: coexec.lines ?? [], ...(splits === undefined ? {} : { splits }) };
  const note = sparse.length === 0 ? "" : `kept the base profile's models for ${sparse.sort().join(", ")} (from traces: fewer than ${MIN_TRACE_CONFIGS} configurations; otherwise fewer than 2 training rows after the holdout)\n`;
  return { exitCode: 0, stdout: note + formatTrainReport(report, options.out), report };
}

/** sharing.contention and sharing.copy from the traces, where they hold what each needs; the report's lines about both. */
function fitCoexec(input: TraceInput): { sharing?: Partial<Sharing>; lines?: string[] } {
  const lines: string[] = [];
  const sharing: { contention?: Sharing["contention"]; copy?: Sharing["copy"] } = {};
  const k = fitContention(input.groups);
  if (k !== undefined) {
    sharing.contention = { cpu: round4(k.cpu), gpu: round4(k.gpu), source: `codl train --from-trace: split operators of ${k.models.join(", ")} against their cpu and gpu plans` };
    lines.push(`contention (in-sample): CPU part ×${k.cpu.toFixed(3)}, GPU part ×${k.gpu.toFixed(3)} while both run (${k.models.join(", ")})`);
    for (const r of k.rows) lines.push(`  ${r.side}  ${String(r.ops).padStart(4)} parts  ${r.partMs.toFixed(2).padStart(10)} ms beside the other side, ${r.aloneMs.toFixed(2).padStart(10)} ms alone`);
  } else if (input.groups.some((g) => g.coexec.length > 0)) {
    lines.push("contention: not fitted (a co-execution trace needs the same model's cpu and gpu plan traces beside it)");
  }
  const c = fitCopy(input.copyRows);
  if (c !== undefined) {
    sharing.copy = c.copy;
    lines.push(`copy (buffer storage, in-sample): ${c.copy.interceptMs.toFixed(4)} ms a transfer + ${(c.copy.perByteMs * 1e6).toFixed(4)} ms/MB over ${c.n} chains, median |error| ${c.medianAbsErrPct.toFixed(1)}%`);
  }
  return { sharing, lines };
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * `--calibrate`: every whole operator the traces timed, by processor and exact configuration
 * (median over the traces that ran it), for profile.calibration.ops; and every part of a split
 * operator the co-execution traces timed, by processor, operator, dimension and output range
 * (median; as measured, beside the other side), for profile.calibration.parts. The base profile's
 * entries are kept for everything the traces did not time; one they timed is replaced (a
 * re-measurement, e.g. after a kernel changed or on another machine).
 */
function calibrationOf(input: TraceInput, traces: string, base: DeviceProfile["calibration"]): NonNullable<DeviceProfile["calibration"]> {
  type Op = NonNullable<DeviceProfile["calibration"]>["ops"][number];
  type Part = NonNullable<NonNullable<DeviceProfile["calibration"]>["parts"]>[number];
  const ops = medians(
    base?.ops ?? [],
    input.samples.map((s) => ({ processor: s.processor, key: configKey(s.config, s.kernel), ms: s.latencyMs })),
    (o) => `${o.processor}:${o.key}`,
    (o, ms, runs): Op => ({ processor: o.processor, key: o.key, ms, runs }),
  );
  const parts = medians(
    base?.parts ?? [],
    input.parts.map((p) => ({ processor: p.processor, key: p.key, dim: p.dim, range: [p.range[0], p.range[1]] as [number, number], extent: p.extent, ms: p.latencyMs })),
    (p) => `${p.processor}:${p.key}:${p.dim}:${p.range[0]}:${p.range[1]}`,
    (p, ms, runs): Part => ({ processor: p.processor, key: p.key, dim: p.dim, range: p.range, extent: p.extent, ms, runs }),
  );
  const source = `codl train --from-trace --calibrate: whole operators${parts.timed > 0 ? " and split operators' parts" : ""} of ${traces}`;
  const replaced = ops.replaced + parts.replaced;
  return {
    source: base === undefined ? source : `${base.source}; then ${source} (${ops.timed} operators, ${parts.timed} parts, ${replaced} of them re-measured)`,
    ops: ops.entries,
    ...(parts.entries.length > 0 ? { parts: parts.entries } : {}),
  };
}

/**
 * Base entries kept, measured ones (median per id) added or replacing theirs; sorted by id so the
 * same inputs give the same profile. `timed`: ids measured; `replaced`: of them, ids the base had.
 */
function medians<E, M extends { ms: number }>(base: readonly E[], measured: readonly M[], id: (x: E | M) => string, make: (m: M, ms: number, runs: number) => E): { entries: E[]; timed: number; replaced: number } {
  const kept = new Map(base.map((e) => [id(e), e]));
  const byId = new Map<string, { first: M; ms: number[] }>();
  for (const m of measured) {
    const k = id(m);
    const e = byId.get(k) ?? { first: m, ms: [] };
    e.ms.push(m.ms);
    byId.set(k, e);
  }
  let replaced = 0;
  for (const [k, e] of byId) {
    if (kept.has(k)) replaced++;
    kept.set(k, make(e.first, Math.round(median(e.ms) * 1e6) / 1e6, e.ms.length));
  }
  const entries = [...kept].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  return { entries, timed: byId.size, replaced };
}

/** The traces of --from-trace by file name, each with how many times it was given (trace passes of one run share names). */
function traceNames(list: string | undefined): string {
  const counts = new Map<string, number>();
  for (const f of (list ?? "").split(",").filter((x) => x !== "")) counts.set(path.basename(f), (counts.get(path.basename(f)) ?? 0) + 1);
  const names = [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n));
  const n = [...counts.values()].reduce((a, b) => a + b, 0);
  return `(${n} trace${n === 1 ? "" : "s"}: ${names.join(", ")})`;
}

/** What the traces refitted (runtime overhead, sharing terms, calibration), for provenance. */
function traceRefits(runtime: boolean, sharing: Partial<Sharing>, calibration: DeviceProfile["calibration"]): string[] {
  return [...(runtime ? ["runtime overhead"] : []), ...sharingRefits(sharing), ...(calibration === undefined ? [] : [`calibration (${calibration.ops.length} operators${calibration.parts === undefined ? "" : `, ${calibration.parts.length} parts`})`])];
}

/** What a trace fit changed in profile.sharing, for provenance. */
function sharingRefits(sharing: Partial<Sharing>): string[] {
  return [
    ...(sharing.contention === undefined ? [] : [`contention (CPU ×${sharing.contention.cpu}, GPU ×${sharing.contention.gpu})`]),
    ...(sharing.copy === undefined ? [] : [`buffer copies (${(sharing.copy.perByteMs * 1e6).toFixed(4)} ms/MB)`]),
  ];
}

/**
 * The base profile's provenance with this training appended: its notes and, where sharing terms were
 * refitted, sharing.source say what `codl train` changed and from what (file names, not paths, so the
 * same inputs give the same profile wherever they lie); --date sets the date; toolVersion is this codl.
 */
function trainedProvenance(base: DeviceProfile, options: TrainCliOptions, step: string, refitted: readonly string[], sharing: Partial<Sharing>): DeviceProfile["provenance"] {
  const v = base.provenance;
  const line = `then ${step}${options.date === undefined ? "" : ` (measured ${options.date})`}: refitted ${refitted.length > 0 ? refitted.join("; ") : "nothing"}`;
  const sharingLine = sharingRefits(sharing);
  return {
    ...v,
    date: options.date ?? v.date,
    toolVersion: `codl ${packageVersion()}`,
    ...(sharingLine.length > 0 || sharing.transform !== undefined ? { sharing: { kind: "measured" as const, source: `${v.sharing.source}; then ${step}: ${[...(sharing.transform === undefined ? [] : ["transform, map and sync"]), ...sharingLine].join("; ")}` } } : {}),
    notes: v.notes === undefined ? line : `${v.notes}\n${line}`,
  };
}

/**
 * `--runtime-only`: the base profile with what only whole runs show refitted from the traces (the
 * runtime overhead; contention and buffer copies where the traces hold them), every kernel model kept.
 */
function runtimeOnly(base: DeviceProfile, input: TraceInput, options: TrainCliOptions): CommandResult & { report: TrainReport } {
  const { out, calibrate } = options;
  const fit = fitRuntime(input.residuals, base.runtime, `codl train --from-trace --runtime-only: ${input.residuals.length} traces, in-sample`);
  const coexec = fitCoexec(input);
  const calibration = calibrate ? { calibration: calibrationOf(input, traceNames(options.fromTrace), base.calibration) } : {};
  const refitted = traceRefits(fit !== undefined, coexec.sharing ?? {}, calibration.calibration);
  const provenance = trainedProvenance(base, options, `codl train --runtime-only${calibrate ? " --calibrate" : ""} --from-trace ${traceNames(options.fromTrace)}`, refitted, coexec.sharing ?? {});
  const profile = parseProfile({ ...base, provenance, sharing: { ...base.sharing, ...coexec.sharing }, ...(fit === undefined ? {} : { runtime: fit.runtime }), ...calibration }, out);
  writeFileAtomic(out, `${JSON.stringify(profile, null, 2)}\n`);
  const empty = { kernel: "total", nTrain: 0, nTest: 0, acc10: Number.NaN, acc20: Number.NaN, medianAbsErrPct: Number.NaN, flopsAcc10: Number.NaN, nQuiet: 0, quietAcc10: Number.NaN, quietFlopsAcc10: Number.NaN };
  const report: TrainReport = { rows: [], total: empty, bands: [], profile, sharing: [], runtime: fit?.rows ?? [], coexec: coexec.lines ?? [] };
  const lines = coexec.lines === undefined || coexec.lines.length === 0 ? "" : `${coexec.lines.join("\n")}\n`;
  return { exitCode: 0, stdout: `${formatRuntime(report)}${lines}wrote ${out}\n`, report };
}

function formatRuntime(report: TrainReport): string {
  const rt = report.profile.runtime;
  if (report.runtime.length === 0 || rt === undefined) return "";
  const lines = [`runtime (in-sample): ${rt.perRunMs.toFixed(4)} ms a run + ${rt.perCpuOpMs.toFixed(5)} ms a CPU operator + ${rt.perGpuOpMs.toFixed(5)} ms a GPU operator`];
  for (const r of report.runtime) lines.push(`  ${r.name.padEnd(40)} residual ${r.residualMs.toFixed(4).padStart(10)} ms  fitted ${r.fittedMs.toFixed(4).padStart(10)} ms  (${r.cpuOps} CPU, ${r.gpuOps} GPU operators)`);
  return `${lines.join("\n")}\n`;
}

/** Overall held-out accuracy of a training: every kernel's held-out rows together (the report's total row). */
function heldOut(results: readonly KernelResult[], which: "testPred" | "testFlopsPred" = "testPred"): Accuracy {
  return accuracy(
    results.flatMap((r) => r[which]),
    results.flatMap((r) => r.testSamples.map((s) => s.latencyMs)),
  );
}

/**
 * --splits N: the same training on N−1 further 70/30 splits by configuration
 * (seeds seed+1 …), scored only; one split's score moves by a few points with
 * which configurations it holds out (BENCHMARKS.md, issue 6).
 */
function splitScores(samples: readonly TrainSample[], first: readonly KernelResult[], seed: number, n: number, options: Omit<TrainOptions, "seed">): NonNullable<TrainReport["splits"]> {
  const seeds = Array.from({ length: n }, (_, k) => seed + k);
  const pooled = new Map<string, { ok: number; n: number }>();
  const acc10 = seeds.map((sd, k) => {
    const results = k === 0 ? first : trainKernelModels(samples, { ...options, seed: sd, onSparse: () => {} });
    for (const r of results) {
      const p = pooled.get(r.kernel) ?? { ok: 0, n: 0 };
      p.ok += Math.round(r.test.acc10 * r.testSamples.length);
      p.n += r.testSamples.length;
      pooled.set(r.kernel, p);
    }
    return heldOut(results).acc10;
  });
  const mean = acc10.reduce((s, a) => s + a, 0) / n;
  const sd = Math.sqrt(acc10.reduce((s, a) => s + (a - mean) ** 2, 0) / (n - 1));
  const perKernel = [...pooled].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([kernel, p]) => ({ kernel, n: p.n, acc10: p.n > 0 ? p.ok / p.n : Number.NaN }));
  return { seeds, acc10, mean, sd, perKernel };
}

/**
 * Latency bands of the report's breakdown. Below a microsecond a single call's timing carries the
 * clock's granularity (10 ns steps on host-pocl's VM) and its per-call jitter: such rows cannot
 * be told apart within ±10 % however good the model (BENCHMARKS.md, issue 6).
 */
const LATENCY_BANDS: readonly { label: string; below: number }[] = [
  { label: "below 1 µs", below: 1e-3 },
  { label: "1–10 µs", below: 1e-2 },
  { label: "10 µs and above", below: Number.POSITIVE_INFINITY },
];

function buildReport(results: readonly KernelResult[], profile: DeviceProfile): Omit<TrainReport, "sharing" | "runtime"> {
  const rows = results.map((r) => ({
    kernel: r.kernel,
    nTrain: r.nTrain,
    nTest: r.test.n,
    acc10: r.test.acc10,
    acc20: r.test.acc20,
    medianAbsErrPct: r.test.medianAbsErrPct,
    flopsAcc10: r.flopsTest.acc10,
    nQuiet: r.quietTest.n,
    quietAcc10: r.quietTest.acc10,
    quietFlopsAcc10: r.quietFlopsTest.acc10,
    features: r.candidate,
  }));
  const held = results.flatMap((r) => r.testSamples.map((s, i) => ({ s, pred: r.testPred[i]!, flops: r.testFlopsPred[i]! })));
  const quiet = held.filter((h) => isQuiet(h.s));
  const score = (hs: typeof held, which: "pred" | "flops") =>
    accuracy(
      hs.map((h) => h[which]),
      hs.map((h) => h.s.latencyMs),
    );
  const all = heldOut(results);
  const total = {
    kernel: "total",
    nTrain: results.reduce((s, r) => s + r.nTrain, 0),
    nTest: all.n,
    acc10: all.acc10,
    acc20: all.acc20,
    medianAbsErrPct: all.medianAbsErrPct,
    flopsAcc10: heldOut(results, "testFlopsPred").acc10,
    nQuiet: quiet.length,
    quietAcc10: score(quiet, "pred").acc10,
    quietFlopsAcc10: score(quiet, "flops").acc10,
  };
  const bands = LATENCY_BANDS.map((b, i) => {
    const lo = i === 0 ? 0 : LATENCY_BANDS[i - 1]!.below;
    const hs = held.filter((h) => h.s.latencyMs >= lo && h.s.latencyMs < b.below);
    return { label: b.label, n: hs.length, acc10: score(hs, "pred").acc10 };
  });
  return { rows, total, profile, bands };
}

const pct = (x: number): string => (Number.isNaN(x) ? "    -" : (100 * x).toFixed(1).padStart(5));

export function formatTrainReport(report: TrainReport, out: string): string {
  const lines = ["kernel                       n_train n_test  ±10%  ±20%  med|e|%  FLOPs-linear ±10%  n_quiet quiet ±10% (FLOPs)"];
  for (const r of [...report.rows, report.total]) {
    const med = Number.isNaN(r.medianAbsErrPct) ? "-" : r.medianAbsErrPct.toFixed(1);
    lines.push(
      `${r.kernel.padEnd(28)} ${String(r.nTrain).padStart(7)} ${String(r.nTest).padStart(6)} ${pct(r.acc10)} ${pct(r.acc20)} ${med.padStart(8)}  ${pct(r.flopsAcc10).padStart(17)}  ${String(r.nQuiet).padStart(7)} ${pct(r.quietAcc10).padStart(10)} (${pct(r.quietFlopsAcc10).trim()})`,
    );
  }
  lines.push(`quiet: held-out rows whose spread over rounds is below ${100 * QUIET_REL_STDEV}% of their median (every row is trained on and scored above)`);
  lines.push(`held-out ±10% by measured latency: ${report.bands.map((b) => `${b.label} ${pct(b.acc10).trim()}% of ${b.n}`).join(", ")}`);
  const sp = report.splits;
  if (sp !== undefined) {
    lines.push(`over ${sp.seeds.length} splits (seeds ${sp.seeds[0]}–${sp.seeds[sp.seeds.length - 1]}): ±10% ${(100 * sp.mean).toFixed(1)}% mean, ${(100 * sp.sd).toFixed(1)} sd (${sp.acc10.map((a) => (100 * a).toFixed(1)).join(" ")}); the profile is fitted on the first`);
    lines.push(`  per kernel, held-out rows of all ${sp.seeds.length} splits pooled: ${sp.perKernel.map((k) => `${k.kernel} ${pct(k.acc10).trim()}% of ${k.n}`).join(", ")}`);
  }
  if (report.sharing.length > 0) {
    const s = report.profile.sharing;
    lines.push(`sharing (in-sample): transform ${s.transform.interceptMs.toFixed(4)} ms + ${(s.transform.perByteMs * 1e6).toFixed(4)} ms/MB, map ${s.map.interceptMs.toFixed(4)} ms + ${(s.map.perByteMs * 1e6).toFixed(4)} ms/MB, sync ${s.syncMs.toFixed(4)} ms`);
    for (const p of report.sharing) lines.push(`  ${p.part.padEnd(10)} n ${String(p.n).padStart(5)}  ±10% ${pct(p.acc10)}  med|e|% ${Number.isNaN(p.medianAbsErrPct) ? "-" : p.medianAbsErrPct.toFixed(1)}`);
  }
  const runtime = formatRuntime(report);
  if (runtime !== "") lines.push(runtime.trimEnd());
  lines.push(...(report.coexec ?? []));
  lines.push(`wrote ${out}`);
  return `${lines.join("\n")}\n`;
}
