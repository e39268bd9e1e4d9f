/**
 * The end-to-end table from a bench/e2e folder run elsewhere (issue 7):
 *
 *   node dist/bench/e2e-table.js DIR [--label text]
 *
 * DIR is the folder bench/e2e.ts wrote, with what its run brought back:
 *   DIR/passes/*.txt   run.sh's output, one file per pass ("RESULT case ms")
 *   DIR/ort.txt        ort_bench.py's output ("ORT model ms"), optional
 *   DIR/traces/*.json  run.sh --trace's traces (codl_run --trace), optional
 *   DIR/meta.json      written by bench/e2e.ts: per case the predicted total, per
 *                      model the operators the planner may split
 *
 * Per case it takes the median of the per-pass medians and reports the spread
 * (max − min over passes, % of the median) as run-to-run noise. The ideal bound
 * is measured, not predicted: each operator's CPU time from the cpu strategy's
 * trace and GPU time from the gpu strategy's, split at its best ratio with zero
 * sharing cost (c·g/(c+g) for an operator the planner may split, min(c, g)
 * otherwise), summed over operators.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { addPartSums, type ContentionFit, contentionOf, emptyPartSums, fitContention } from "../src/predict/coexec-fit.js";
import { parseTrace, type Trace } from "../src/profile/trace.js";

export interface E2eMeta {
  readonly profile: string;
  readonly size: string;
  readonly strategies: readonly string[];
  readonly models: readonly string[];
  readonly cases: ReadonlyArray<{
    readonly name: string;
    readonly model: string;
    readonly strategy: string;
    readonly predictedMs: number;
    /** codl only: the single processor whose plan codl kept (planner.minGain); then both cases run the same program. */
    readonly keptFrom?: "cpu" | "gpu";
  }>;
  /** Per model, the ids of the operators with an H or OC alternative in the codl plan. */
  readonly splittable: Readonly<Record<string, readonly string[]>>;
}

/** DIR/meta.json (bench/e2e.ts), or undefined where there is none. */
export function readMeta(dir: string): E2eMeta | undefined {
  const file = path.join(dir, "meta.json");
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as E2eMeta) : undefined;
}

export const caseName = (model: string, strategy: string): string => `${model}_${strategy.replace(/-/g, "_")}`;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function linesOf(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n") : [];
}

/** Per-operator times of one trace: id → ms, for the given processor. */
function readTrace(file: string): Trace | undefined {
  return fs.existsSync(file) ? parseTrace(JSON.parse(fs.readFileSync(file, "utf8")), file) : undefined;
}

function opTimes(file: string, proc: "cpu" | "gpu"): Map<string, number> | undefined {
  const trace = readTrace(file);
  if (trace === undefined) return undefined;
  const out = new Map<string, number>();
  for (const op of trace.ops) {
    const ms = proc === "cpu" ? op.cpu_ms : op.gpu_ms;
    if (ms !== null) out.set(op.id, ms);
  }
  return out;
}

/** Per-operator times of one processor, the median over the given traces of one case (those present). */
function medianOpTimes(files: readonly string[], proc: "cpu" | "gpu"): Map<string, number> | undefined {
  const per = new Map<string, number[]>();
  let any = false;
  for (const file of files) {
    const t = opTimes(file, proc);
    if (t === undefined) continue;
    any = true;
    for (const [id, ms] of t) per.set(id, [...(per.get(id) ?? []), ms]);
  }
  return any ? new Map([...per].map(([id, v]) => [id, median(v)])) : undefined;
}

/** Each operator's time alone on the CPU (cpu program traces) and on the GPU (gpu program traces). */
export interface OpTimes {
  readonly cpu: ReadonlyMap<string, number>;
  readonly gpu: ReadonlyMap<string, number>;
}

/**
 * A model's operator times from its cpu and gpu traces in `traceDirs` (under dir, default
 * traces/): each operator's median over those folders; undefined without both traces.
 */
export function tracedOpTimes(dir: string, model: string, traceDirs: readonly string[] = ["traces"]): OpTimes | undefined {
  const files = (s: string) => traceDirs.map((d) => path.join(dir, d, `${caseName(model, s)}.json`));
  const cpu = medianOpTimes(files("cpu"), "cpu");
  const gpu = medianOpTimes(files("gpu"), "gpu");
  return cpu === undefined || gpu === undefined ? undefined : { cpu, gpu };
}

/** Per side, the factor that makes the traced operator times sum to the timed median (1 where nothing was traced). */
function timedScale(times: OpTimes, timed: { readonly cpu: number; readonly gpu: number }): { readonly cpu: number; readonly gpu: number } {
  const total = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  const f = (m: ReadonlyMap<string, number>, ms: number) => (total(m) > 0 ? ms / total(m) : 1);
  return { cpu: f(times.cpu, timed.cpu), gpu: f(times.gpu, timed.gpu) };
}

/**
 * The measured ideal bound from operator times. With `k`, each side of a split runs k times
 * slower than alone (the run's contention): the best split is then c·kc·g·kg / (c·kc + g·kg).
 * `timed`: the cpu and gpu programs' timed medians; each side's operator times are then scaled
 * so that they sum to it. A trace pass can run in a slower minute than the timed passes (on the
 * GPU machine the traced cpu programs' operators summed to 1.0–1.4× their timed medians), and an
 * ideal from its times would then be easier to reach than the best single processor it is
 * compared with.
 */
export function idealOf(
  times: OpTimes,
  splittable: ReadonlySet<string>,
  k: { readonly cpu: number; readonly gpu: number } = { cpu: 1, gpu: 1 },
  timed?: { readonly cpu: number; readonly gpu: number },
): number {
  const { cpu, gpu } = times;
  const { cpu: sc, gpu: sg } = timed === undefined ? { cpu: 1, gpu: 1 } : timedScale(times, timed);
  let sum = 0;
  for (const id of new Set([...cpu.keys(), ...gpu.keys()])) {
    const c = cpu.has(id) ? cpu.get(id)! * sc : undefined;
    const g = gpu.has(id) ? gpu.get(id)! * sg : undefined;
    if (c === undefined || g === undefined) sum += c ?? g ?? 0;
    else sum += splittable.has(id) && c + g > 0 ? Math.min(c, g, (c * k.cpu * g * k.gpu) / (c * k.cpu + g * k.gpu)) : Math.min(c, g);
  }
  return sum;
}

/** tracedOpTimes then idealOf: the measured ideal bound of one model, or undefined without both traces. */
export function measuredIdeal(
  dir: string,
  model: string,
  splittable: ReadonlySet<string>,
  k?: { readonly cpu: number; readonly gpu: number },
  traceDirs: readonly string[] = ["traces"],
  timed?: { readonly cpu: number; readonly gpu: number },
): number | undefined {
  const times = tracedOpTimes(dir, model, traceDirs);
  return times === undefined ? undefined : idealOf(times, splittable, k, timed);
}

/**
 * The run's contention: its codl traces' split operators against its cpu and gpu traces
 * (predict/coexec-fit.ts). `coexecDir`: the codl traces from another folder of the same run.
 */
export function runContention(dir: string, models: readonly string[], coexecDir = dir): ContentionFit | undefined {
  const t = (d: string, model: string, s: string) => readTrace(path.join(d, "traces", `${caseName(model, s)}.json`));
  return fitContention(
    models.map((model) => {
      const coexec = t(coexecDir, model, "codl");
      return { model, cpu: t(dir, model, "cpu"), gpu: t(dir, model, "gpu"), coexec: coexec === undefined ? [] : [coexec] };
    }),
  );
}

/**
 * One model's contention on the timed passes' clock: the split parts of its co-execution trace (scaled
 * to that case's timed median) against each operator's time alone (scaled to the timed cpu and gpu
 * medians, as the scaled ideal is) times the part's share of the output. runContention compares the
 * raw traces, so a trace pass that ran the cpu program slower than the co-execution case hides the
 * contention: in closed-loop run 10 YOLOv2's traced cpu operators summed to 1.6× its timed median,
 * and the raw fit gave CPU ×1.00 where the scaled one gives ×1.14 (FST: ×1.63).
 */
export function scaledContention(
  times: OpTimes,
  timed: { readonly cpu: number; readonly gpu: number },
  coexec: { readonly trace: Trace; readonly timedMs: number },
): { readonly cpu: number; readonly gpu: number } | undefined {
  const scale = timedScale(times, timed);
  const traced = coexec.trace.latency_ms.median ?? 0;
  if (!(traced > 0)) return undefined;
  const scaled = (m: ReadonlyMap<string, number>, f: number) => new Map([...m].map(([id, ms]) => [id, ms * f]));
  const sums = emptyPartSums();
  addPartSums(sums, coexec.trace, { cpu: scaled(times.cpu, scale.cpu), gpu: scaled(times.gpu, scale.gpu) }, coexec.timedMs / traced);
  return contentionOf(sums);
}

/** A case's trace in DIR/traces, if there is one. */
export function caseTrace(dir: string, model: string, strategy: string): Trace | undefined {
  return readTrace(path.join(dir, "traces", `${caseName(model, strategy)}.json`));
}

export interface CaseResult {
  readonly medianMs: number;
  readonly spreadPct: number;
  readonly passes: number;
}

export function readPasses(dir: string): Map<string, CaseResult> {
  const per = new Map<string, number[]>();
  const passDir = path.join(dir, "passes");
  const files = fs.existsSync(passDir) ? fs.readdirSync(passDir).filter((f) => f.endsWith(".txt")).sort() : [];
  for (const f of files) {
    for (const line of linesOf(path.join(passDir, f))) {
      const m = /^RESULT (\S+) ([0-9.]+)$/.exec(line);
      if (m) per.set(m[1] as string, [...(per.get(m[1] as string) ?? []), Number(m[2])]);
    }
  }
  const out = new Map<string, CaseResult>();
  for (const [k, v] of per) {
    const med = median(v);
    out.set(k, { medianMs: med, spreadPct: (100 * (Math.max(...v) - Math.min(...v))) / med, passes: v.length });
  }
  return out;
}

export const geomean = (xs: readonly number[]): number => Math.exp(xs.reduce((s, v) => s + Math.log(v), 0) / xs.length);

export const fmt = (ms: number | undefined): string => (ms === undefined ? "–" : ms >= 100 ? ms.toFixed(1) : ms.toFixed(2));

export function e2eTable(dir: string, label: string): string {
  const meta = readMeta(dir);
  if (meta === undefined) throw new Error(`${dir}/meta.json is missing`);
  const results = readPasses(dir);
  const ort = new Map<string, number>();
  for (const line of linesOf(path.join(dir, "ort.txt"))) {
    const m = /^ORT (\S+) ([0-9.]+)$/.exec(line);
    if (m) ort.set(m[1] as string, Number(m[2]));
  }
  const rows: string[] = [];
  const geo = { mulayer: [] as number[], greedy: [] as number[], best: [] as number[] };
  const k = runContention(dir, meta.models);
  const header = [...meta.strategies, "ideal (measured)", "ideal (scaled)", ...(k === undefined ? [] : ["ideal with contention"]), "ORT", "codl vs best single", "ideal gain captured", "captured (scaled)", ...(k === undefined ? [] : ["of the contended ideal"]), "codl vs codl-greedy", "codl vs mulayer", "codl predicted", "noise (max spread)"];
  rows.push(`| model | ${header.join(" | ")} |`, `|---|${header.map(() => "---:").join("|")}|`);
  for (const model of meta.models) {
    const get = (s: string): CaseResult | undefined => results.get(caseName(model, s));
    const ms = (s: string): number | undefined => get(s)?.medianMs;
    const cells = meta.strategies.map((s) => fmt(ms(s)));
    const splittable = new Set(meta.splittable[model] ?? []);
    const times = tracedOpTimes(dir, model);
    const ideal = times === undefined ? undefined : idealOf(times, splittable);
    const cpu = ms("cpu");
    const gpu = ms("gpu");
    const timed = cpu !== undefined && gpu !== undefined ? { cpu, gpu } : undefined;
    const scaled = times === undefined || timed === undefined ? undefined : idealOf(times, splittable, undefined, timed);
    const codl = ms("codl");
    const best = cpu !== undefined && gpu !== undefined ? Math.min(cpu, gpu) : undefined;
    const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? "–" : `${(a / b).toFixed(2)}×`);
    const capturedOf = (bound: number | undefined): string =>
      best !== undefined && codl !== undefined && bound !== undefined && best > bound ? `${((100 * (best - codl)) / (best - bound)).toFixed(0)}%` : "–";
    const captured = capturedOf(ideal);
    const codlTrace = caseTrace(dir, model, "codl");
    // Contention on the timed passes' clock, this model's own (scaledContention); the run's raw fit only says where it is missing.
    const km = times === undefined || timed === undefined || codlTrace === undefined || codl === undefined ? undefined : scaledContention(times, timed, { trace: codlTrace, timedMs: codl });
    const contended = times === undefined || km === undefined || timed === undefined ? undefined : idealOf(times, splittable, km, timed);
    if (best !== undefined && codl !== undefined) geo.best.push(best / codl);
    const greedy = ms("codl-greedy");
    const mulayer = ms("mulayer");
    if (greedy !== undefined && codl !== undefined) geo.greedy.push(greedy / codl);
    if (mulayer !== undefined && codl !== undefined) geo.mulayer.push(mulayer / codl);
    const codlCase = meta.cases.find((c) => c.model === model && c.strategy === "codl");
    const predicted = codlCase?.predictedMs;
    // Where codl kept a single processor's plan, the two cases are one program: their ratio is run-to-run noise.
    const same = codlCase?.keptFrom === undefined ? "" : ` (= ${codlCase.keptFrom} program)`;
    const noise = Math.max(...meta.strategies.map((s) => get(s)?.spreadPct ?? 0));
    rows.push(
      `| ${model} | ${cells.join(" | ")} | ${fmt(ideal)} | ${fmt(scaled)}${k === undefined ? "" : ` | ${fmt(contended)}${km === undefined ? "" : ` (CPU ×${km.cpu.toFixed(2)}, GPU ×${km.gpu.toFixed(2)})`}`} | ${fmt(ort.get(model))} | ${ratio(best, codl)}${same} | ${captured} | ${capturedOf(scaled)}${k === undefined ? "" : ` | ${capturedOf(contended)}`} | ${ratio(greedy, codl)} | ${ratio(mulayer, codl)} | ${fmt(predicted)} | ${noise.toFixed(1)}% |`,
    );
  }
  const gm = (xs: number[]): string => (xs.length === 0 ? "–" : `${geomean(xs).toFixed(2)}×`);
  const passes = Math.max(0, ...[...results.values()].map((r) => r.passes));
  return [
    `${label} (profile ${meta.profile}, ${meta.size} models; median of ${passes} pass medians, ms)`,
    "",
    ...rows,
    "",
    `Geometric means: codl vs best single ${gm(geo.best)}, vs codl-greedy ${gm(geo.greedy)}, vs mulayer ${gm(geo.mulayer)}.`,
    ...(k === undefined
      ? []
      : [
          `Contention in this run (its codl traces' split operators against its cpu and gpu traces, raw): CPU part ×${k.cpu.toFixed(2)}, GPU part ×${k.gpu.toFixed(2)}. The contended ideal splits each operator with its model's factors in brackets, measured on the timed passes' clock (scaledContention: the traces scaled to the cases' timed medians), zero transfer cost.`,
        ]),
  ].join("\n");
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write("usage: node dist/bench/e2e-table.js DIR [--label text]\n");
    process.exit(2);
  }
  const i = process.argv.indexOf("--label");
  console.log(e2eTable(dir, i >= 0 ? (process.argv[i + 1] ?? dir) : dir));
}
