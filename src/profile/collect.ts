/**
 * From the harness's results (one rounds file per case, codegen/profile) to
 * samples rows (DESIGN.md §3): per case, one latency from its rounds and the
 * spread over all of them, from the runtime's own trace of each round.
 *
 *   estimate "min-pass" (the default): the median of each pass's rounds, then
 *                       the lowest of those. A VM slows whole passes of a case
 *                       (1.5–2×) while its rounds agree; the slowdown only ever
 *                       adds, so the quietest pass is the kernel's own cost.
 *   estimate "pooled":  the median of every round of every pass.
 *   With one pass both are that pass's median.
 *
 *   cpu / gpu case   → one row: the operator's cpu_ms or gpu_ms (its kernel id)
 *   split case       → transform_in, transform_out (GPU events of the chain's
 *                      slab transforms), map_in (the blocking map less the
 *                      in-transforms it waits for), and sync: what the split
 *                      run costs beyond Eq. 2's other terms,
 *                        sync = latency − io − transform_in − map − max(cpu, gpu) − transform_out
 *                      where io (writing the input, reading the output) is
 *                      taken from the same operator's GPU-only case. Unmap
 *                      (not timed by the trace) is folded into sync.
 */

import { configKey, type OpConfig, type OpKind } from "../kernels/op-config.js";
import type { CaseMeta } from "./harness.js";
import { chainSum, median, type Rounds, stdev, type Trace } from "./trace.js";

export interface ProfileSample {
  readonly processor: "cpu" | "gpu";
  readonly op: OpKind;
  readonly kernel: string;
  readonly config: OpConfig;
  readonly latencyMs: number;
  readonly stdevMs: number;
  readonly rounds: number;
  readonly dim: string;
  readonly ratio: number;
  readonly caseName: string;
  readonly source: string;
}

/** The trace's resolution (a nanosecond): no row is faster. */
const MIN_MS = 1e-6;

function shapeConfig(op: OpKind, n: number, h: number, w: number, c: number): OpConfig {
  return { op, n, ih: Math.max(1, h), iw: Math.max(1, w), ic: Math.max(1, c), oh: Math.max(1, h), ow: Math.max(1, w), oc: Math.max(1, c), kh: 1, kw: 1, sh: 1, sw: 1, groups: 1 };
}

/** The CPU's input slab and output part of a split case as [n, h, w, c] records (bytes = n·h·w·c·4). */
export function slabShapes(m: CaseMeta): { input: OpConfig; output: OpConfig } | null {
  if (m.slab === null) return null;
  const c = m.config;
  const perRowIn = c.n * c.iw * 4;
  // Shapes whose n·h·w·c·4 equal the predictor's slab bytes exactly.
  const inC = m.dim === "H" ? c.ic : Math.round(m.slab.inputBytes / (perRowIn * c.ih));
  const inH = m.dim === "H" ? Math.round(m.slab.inputBytes / (perRowIn * c.ic)) : c.ih;
  const outC = m.dim === "H" ? c.oc : c.oc - m.slab.share;
  const outH = m.dim === "H" ? c.oh - m.slab.share : c.oh;
  return { input: shapeConfig("transform_in", c.n, inH, c.iw, inC), output: shapeConfig("transform_out", c.n, outH, c.ow, outC) };
}

export const ESTIMATES = ["min-pass", "pooled"] as const;
export type Estimate = (typeof ESTIMATES)[number];

/** One value per round of each pass → the case's latency (see the header) and the spread over all rounds. */
function stats(passes: readonly (readonly number[])[], estimate: Estimate): { med: number; sd: number } {
  const all = passes.flat();
  const med = estimate === "pooled" || passes.length === 1 ? median(all) : Math.min(...passes.map((p) => median(p)));
  return { med, sd: stdev(all) };
}

const perPass = (passes: readonly Rounds[], of: (t: Trace) => number): number[][] => passes.map((p) => p.rounds.map(of));

const opMs = (t: Trace, which: "cpu_ms" | "gpu_ms"): number => t.ops.reduce((s, o) => s + (o[which] ?? 0), 0);

/** Samples of every case that has results; `results` maps a case name to the rounds of each pass (run.sh --passes). */
export function collectSamples(
  cases: readonly CaseMeta[],
  results: ReadonlyMap<string, readonly Rounds[]>,
  estimate: Estimate = "min-pass",
): { samples: ProfileSample[]; missing: string[] } {
  const samples: ProfileSample[] = [];
  const missing: string[] = [];
  const key = (c: OpConfig) => `${configKey(c, "")},${c.padTop ?? 0}`;
  // io overhead of GPU-only runs, by operator.
  const io = new Map<string, number>();
  for (const m of cases) {
    const r = results.get(m.name);
    if (r === undefined || m.mode !== "gpu") continue;
    io.set(key(m.config), stats(perPass(r, (t) => Math.max(0, (t.latency_ms.median ?? 0) - opMs(t, "gpu_ms"))), estimate).med);
  }
  for (const m of cases) {
    const r = results.get(m.name);
    if (r === undefined) {
      missing.push(m.name);
      continue;
    }
    const base = { rounds: r.reduce((n, p) => n + p.rounds.length, 0), dim: m.dim, ratio: m.ratio, caseName: m.name, source: m.source };
    const row = (processor: "cpu" | "gpu", kernel: string, config: OpConfig, of: (t: Trace) => number): void => {
      const s = stats(perPass(r, of), estimate);
      if (!Number.isFinite(s.med)) return;
      samples.push({ processor, op: config.op, kernel, config, latencyMs: Math.max(MIN_MS, s.med), stdevMs: s.sd, ...base });
    };
    if (m.mode === "gpu" && m.kernels.gpu !== null) row("gpu", m.kernels.gpu, m.config, (t) => opMs(t, "gpu_ms"));
    else if (m.mode === "cpu") row("cpu", m.kernels.cpu, m.config, (t) => opMs(t, "cpu_ms"));
    else if (m.mode === "split") {
      const slab = slabShapes(m);
      if (slab === null) continue;
      const all = r.flatMap((p) => p.rounds);
      const tin = (t: Trace) => chainSum(t, "transform_in_ms");
      const tout = (t: Trace) => chainSum(t, "transform_out_ms");
      const map = (t: Trace) => Math.max(0, chainSum(t, "map_ms") - chainSum(t, "transform_in_ms"));
      if (slab.input.ih > 0 && median(all.map(tin)) > 0) row("gpu", "gpu.transform", slab.input, tin);
      if (median(all.map(tout)) > 0) row("gpu", "gpu.transform", slab.output, tout);
      row("cpu", "map", { ...slab.input, op: "map_in" }, map);
      const overhead = io.get(key(m.config));
      if (overhead !== undefined) {
        const sync = (t: Trace) => (t.latency_ms.median ?? 0) - overhead - (tin(t) + map(t) + Math.max(opMs(t, "cpu_ms"), opMs(t, "gpu_ms")) + tout(t));
        row("cpu", "sync", { ...slab.output, op: "sync" }, sync);
      }
    }
  }
  return { samples, missing };
}

export const SAMPLE_COLUMNS = ["processor", "op", "kernel", "n", "ih", "iw", "ic", "oh", "ow", "oc", "kh", "kw", "sh", "sw", "groups", "latency_ms", "dim", "ratio", "rounds", "stdev_ms", "pad_top", "dilation", "activation", "case", "source", "onnx_op", "mode"] as const;

const csvCell = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const num = (x: number): string => String(Number(x.toPrecision(6)));

/** Samples CSV, exactly DESIGN.md §3's required columns first, then the optional ones. */
export function formatProfileCsv(samples: readonly ProfileSample[]): string {
  const lines: string[] = [SAMPLE_COLUMNS.join(",")];
  for (const s of samples) {
    const c = s.config;
    lines.push(
      [
        s.processor,
        c.op,
        s.kernel,
        c.n,
        c.ih,
        c.iw,
        c.ic,
        c.oh,
        c.ow,
        c.oc,
        c.kh,
        c.kw,
        c.sh,
        c.sw,
        c.groups,
        num(s.latencyMs),
        s.dim,
        s.ratio,
        s.rounds,
        num(s.stdevMs),
        c.padTop ?? 0,
        c.dilation ?? 1,
        c.activation ?? "none",
        csvCell(s.caseName),
        csvCell(s.source),
        csvCell(c.onnxOp ?? ""),
        csvCell(c.mode ?? ""),
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}
