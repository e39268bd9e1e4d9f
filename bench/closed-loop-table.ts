/**
 * The table of one bench/gpu-machine/run-closed-loop.sh call (issue 7, pair (a)):
 *
 *   node dist/bench/closed-loop-table.js DIR
 *
 * DIR holds what the call brought back (closed-loop.tgz unpacked):
 *   DIR/old/   the committed profile's plans: meta.json, passes/p*.txt, traces/ (cpu, gpu, codl, codl-greedy)
 *   DIR/new/   codl and codl-greedy planned again on the machine, with the profile calibrated on old/traces:
 *              meta.json, passes/p*.txt (run right after old's pass of the same number), traces/
 *   DIR/cal.json, DIR/train.txt   the calibrated profile and codl train's report
 *
 * Per case: the median of its pass medians, and the spread over passes. The ideal is
 * bench/e2e-table.ts's: every splittable operator at its best ratio from the cpu and gpu
 * traces, zero sharing cost; the contended ideal splits with the run's own contention.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { fitContention } from "../src/predict/coexec-fit.js";
import { parseTrace, type Trace } from "../src/profile/trace.js";
import { type CaseResult, caseName, type E2eMeta, measuredIdeal, readPasses } from "./e2e-table.js";

const fmt = (ms: number | undefined): string => (ms === undefined ? "–" : ms >= 100 ? ms.toFixed(1) : ms.toFixed(2));

function readMeta(dir: string): E2eMeta | undefined {
  const file = path.join(dir, "meta.json");
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as E2eMeta) : undefined;
}

function readTrace(dir: string, model: string, strategy: string): Trace | undefined {
  const file = path.join(dir, "traces", `${caseName(model, strategy)}.json`);
  return fs.existsSync(file) ? parseTrace(JSON.parse(fs.readFileSync(file, "utf8")), file) : undefined;
}

/** Contention of the codl traces in `coexecDir` against the cpu and gpu traces of `aloneDir` (one call, one machine). */
function contention(aloneDir: string, coexecDir: string, models: readonly string[]) {
  return fitContention(
    models.map((model) => {
      const coexec = readTrace(coexecDir, model, "codl");
      return { model, cpu: readTrace(aloneDir, model, "cpu"), gpu: readTrace(aloneDir, model, "gpu"), coexec: coexec === undefined ? [] : [coexec] };
    }),
  );
}

export function closedLoopTable(dir: string): string {
  const oldDir = path.join(dir, "old");
  const newDir = path.join(dir, "new");
  const oldMeta = readMeta(oldDir);
  if (oldMeta === undefined) throw new Error(`${oldDir}/meta.json is missing`);
  const newMeta = readMeta(newDir);
  const oldRes = readPasses(oldDir);
  const newRes = readPasses(newDir);
  const kOld = contention(oldDir, oldDir, oldMeta.models);
  const kNew = contention(oldDir, newDir, oldMeta.models);
  const predicted = (meta: E2eMeta | undefined, model: string, strategy: string): number | undefined =>
    meta?.cases.find((c) => c.model === model && c.strategy === strategy)?.predictedMs;
  const cell = (r: CaseResult | undefined, pred: number | undefined): string =>
    r === undefined ? "–" : `${fmt(r.medianMs)} (±${(r.spreadPct / 2).toFixed(0)} %; pred. ${fmt(pred)})`;
  const header = ["cpu", "gpu", "codl-greedy", "codl", "codl-greedy, re-planned", "codl, re-planned", "ideal", "contended ideal", "codl vs best single (old / re-planned)", "ideal gain captured (old / re-planned)", "of the contended ideal", "codl vs codl-greedy (old / re-planned)"];
  const rows = [`| model | ${header.join(" | ")} |`, `|---|${header.map(() => "---:").join("|")}|`];
  for (const model of oldMeta.models) {
    const o = (s: string) => oldRes.get(caseName(model, s));
    const n = (s: string) => newRes.get(caseName(model, s));
    const splittable = new Set(oldMeta.splittable[model] ?? []);
    const ideal = measuredIdeal(oldDir, model, splittable);
    const contended = kOld === undefined ? undefined : measuredIdeal(oldDir, model, splittable, kOld);
    const cpu = o("cpu")?.medianMs;
    const gpu = o("gpu")?.medianMs;
    const best = cpu !== undefined && gpu !== undefined ? Math.min(cpu, gpu) : undefined;
    const codls = [o("codl")?.medianMs, n("codl")?.medianMs];
    const greedies = [o("codl-greedy")?.medianMs, n("codl-greedy")?.medianMs];
    const pair = (f: (codl: number) => string): string => codls.map((c) => (c === undefined ? "–" : f(c))).join(" / ");
    const captured = (bound: number | undefined) => (c: number) => (best === undefined || bound === undefined || best <= bound ? "–" : `${((100 * (best - c)) / (best - bound)).toFixed(0)} %`);
    rows.push(
      [
        `| ${model}`,
        cell(o("cpu"), predicted(oldMeta, model, "cpu")),
        cell(o("gpu"), predicted(oldMeta, model, "gpu")),
        cell(o("codl-greedy"), predicted(oldMeta, model, "codl-greedy")),
        cell(o("codl"), predicted(oldMeta, model, "codl")),
        cell(n("codl-greedy"), predicted(newMeta, model, "codl-greedy")),
        cell(n("codl"), predicted(newMeta, model, "codl")),
        fmt(ideal),
        fmt(contended),
        pair((c) => (best === undefined ? "–" : `${(best / c).toFixed(2)}×`)),
        pair(captured(ideal)),
        pair(captured(contended)),
        codls.map((c, i) => (c === undefined || greedies[i] === undefined ? "–" : `${((greedies[i] as number) / c).toFixed(2)}×`)).join(" / "),
      ].join(" | ") + " |",
    );
  }
  const kLine = (k: typeof kOld, what: string): string => (k === undefined ? `${what}: no codl traces` : `${what}: CPU part ×${k.cpu.toFixed(2)}, GPU part ×${k.gpu.toFixed(2)}`);
  const passes = Math.max(0, ...[...oldRes.values()].map((r) => r.passes));
  return [
    `Pair (a), planned for the machine that ran it (median of ${passes} pass medians, ms; ± is half the spread over passes; pred. = the plan's predicted total)`,
    "",
    ...rows,
    "",
    `${kLine(kOld, "Contention of the committed codl plans in this run")}; ${kLine(kNew, "of the re-planned ones")}.`,
  ].join("\n");
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write("usage: node dist/bench/closed-loop-table.js DIR\n");
    process.exit(2);
  }
  try {
    console.log(closedLoopTable(dir));
  } catch (e) {
    process.stderr.write(`closed-loop-table: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
