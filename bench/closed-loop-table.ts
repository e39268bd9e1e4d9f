/**
 * The table of one bench/gpu-machine/run-closed-loop.sh call (issue 7, pair (a)):
 *
 *   node dist/bench/closed-loop-table.js DIR
 *
 * DIR holds what the call brought back (closed-loop.tgz unpacked):
 *   DIR/old/   the committed profile's plans: meta.json, passes/p*.txt, traces/ (cpu, gpu, codl, codl-greedy)
 *   DIR/new-<step>/  codl and codl-greedy planned again on the machine with the profile calibrated on
 *              old/traces, at that ratio step: meta.json, passes/p*.txt (run right after old's pass of the
 *              same number), traces/
 *   DIR/new-<step>-r<n>/  the same, planned in round n (ROUNDS ≥ 2) with the profile calibrated again on
 *              every trace so far, the previous round's plans' included (their split parts measured)
 *   DIR/cal.json, DIR/cal-r<n>.json, DIR/train.txt   the calibrated profiles and codl train's report
 *
 * Per case: the median of its pass medians, and the spread over passes. The ideal is
 * bench/e2e-table.ts's: every splittable operator at its best ratio from the cpu and gpu
 * traces (each operator's median over the trace passes, old/traces-<i>/, where there are
 * several), zero sharing cost. "Scaled": the same with each side's operator times scaled to sum
 * to that side's timed median, so that the bound and the best single processor come from the
 * same passes; the contended ideal is the scaled one split with the run's own contention.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { type CaseResult, caseName, caseTrace, type E2eMeta, fmt, idealOf, linesOf, readMeta, readPasses, runContention, scaledContention, tracedOpTimes } from "./e2e-table.js";
import { runScript } from "./files.js";

/** "new-0.025" → "re-planned, ratio step 0.025"; "new-0.025-r2" → "re-planned, ratio step 0.025, round 2". */
export function replannedLabel(folder: string): string {
  const m = /^new-(.+?)(?:-r([0-9]+))?$/.exec(folder);
  if (m === null) return folder;
  return `re-planned, ratio step ${m[1]}${m[2] === undefined ? "" : `, round ${m[2]}`}`;
}

/** Per timed pass number: each case's median in it (passes/p<N>.txt and passes/p<N>-<what>.txt together). */
export function passMedians(dir: string): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  const passDir = path.join(dir, "passes");
  for (const f of fs.existsSync(passDir) ? fs.readdirSync(passDir).sort() : []) {
    const m = /^p([0-9]+)(?:-[A-Za-z0-9_-]+)?\.txt$/.exec(f);
    if (m === null) continue;
    const pass = out.get(Number(m[1])) ?? new Map<string, number>();
    for (const line of linesOf(path.join(passDir, f))) {
      const r = /^RESULT (\S+) ([0-9.]+)$/.exec(line);
      if (r) pass.set(r[1]!, Number(r[2]));
    }
    out.set(Number(m[1]), pass);
  }
  return out;
}

/** "yolov2 0.85, 0.91": a ÷ b per pass where both were timed (> 1: b faster). */
function perPass(passes: Map<number, Map<string, number>>, models: readonly string[], a: string, b: string): string {
  return models
    .map((model) => {
      const r = [...passes.entries()]
        .sort(([x], [y]) => x - y)
        .map(([, p]) => [p.get(caseName(model, a)), p.get(caseName(model, b))] as const)
        .filter((x): x is readonly [number, number] => x[0] !== undefined && x[1] !== undefined)
        .map(([x, y]) => (x / y).toFixed(2));
      return r.length === 0 ? undefined : `${model} ${r.join(", ")}`;
    })
    .filter((x) => x !== undefined)
    .join("; ");
}

/**
 * A run-closed-loop.sh folder: the committed cases (old/), the trace folders its ideal takes (each trace
 * pass's traces-<i>/, else traces/), and the re-planned folders (new-<step>[-r<round>]) by round, then step.
 */
export function closedLoopFolders(dir: string): {
  readonly oldDir: string;
  readonly oldMeta: E2eMeta;
  readonly traceDirs: readonly string[];
  readonly replanned: ReadonlyArray<{ readonly name: string; readonly dir: string; readonly meta: E2eMeta }>;
} {
  const oldDir = path.join(dir, "old");
  const oldMeta = readMeta(oldDir);
  if (oldMeta === undefined) throw new Error(`${oldDir}/meta.json is missing`);
  const passDirs = fs.readdirSync(oldDir).filter((f) => /^traces-[0-9]+$/.test(f)).sort();
  const round = (f: string) => Number(/-r([0-9]+)$/.exec(f)?.[1] ?? 1);
  const replanned = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith("new-") && fs.existsSync(path.join(dir, f, "meta.json")))
    .sort((a, b) => round(a) - round(b) || a.localeCompare(b))
    .map((f) => ({ name: f, dir: path.join(dir, f), meta: readMeta(path.join(dir, f))! }));
  return { oldDir, oldMeta, traceDirs: passDirs.length > 0 ? passDirs : ["traces"], replanned };
}

export function closedLoopTable(dir: string): string {
  const { oldDir, oldMeta, traceDirs, replanned } = closedLoopFolders(dir);
  const sets = [
    { label: "committed", dir: oldDir, meta: oldMeta as E2eMeta | undefined },
    ...replanned.map((f) => ({ label: replannedLabel(f.name), dir: f.dir, meta: f.meta as E2eMeta | undefined })),
  ]
    .map((set) => ({ ...set, results: readPasses(set.dir), k: runContention(oldDir, oldMeta.models, set.dir) }))
    // A round that was only traced (run-closed-loop.sh TIMED=last) has no timed passes: no rows.
    .filter((set, i) => i === 0 || set.results.size > 0);
  const predicted = (meta: E2eMeta | undefined, model: string, strategy: string): number | undefined =>
    meta?.cases.find((c) => c.model === model && c.strategy === strategy)?.predictedMs;
  const cell = (r: CaseResult | undefined, pred: number | undefined): string =>
    r === undefined ? "–" : `${fmt(r.medianMs)} (±${(r.spreadPct / 2).toFixed(0)} %; pred. ${fmt(pred)})`;
  const old = sets[0]!;
  // run-closed-loop.sh REBALANCE: codl's plan whose cuts the runtime moves (codl-rebalanced), and the same bundles
  // with their compiled cuts (-static); a column and gains rows each, where timed.
  const extra = (
    [
      ["codl-rebalanced", "rebalanced"],
      ["codl-rebalanced-static", "rebalancing bundle, compiled cuts"],
    ] as const
  ).filter(([s]) => sets.some((set) => [...set.results.keys()].some((k) => k.endsWith(`_${s.replace(/-/g, "_")}`))));
  // Committed mulayer cases (E2E with mulayer, OLD_MATCH selecting them): a column, and codl against them.
  const mulayer = [...old.results.keys()].some((k) => k.endsWith("_mulayer"));
  const times = [
    `| model | plans | cpu | gpu |${mulayer ? " mulayer |" : ""} codl-greedy | codl |${extra.map(([, l]) => ` codl, ${l} |`).join("")}`,
    `|---|---|---:|---:|${mulayer ? "---:|" : ""}---:|---:|${extra.map(() => "---:|").join("")}`,
  ];
  const gains = [
    `| model | plans | ideal (traces) | ideal (scaled) | contended ideal (scaled) | codl vs best single | captured (traces) | captured (scaled) | of the contended ideal | codl vs codl-greedy |${mulayer ? " codl vs mulayer |" : ""}`,
    `|---|---|---:|---:|---:|---:|---:|---:|---:|---:|${mulayer ? "---:|" : ""}`,
  ];
  for (const model of oldMeta.models) {
    const splittable = new Set(oldMeta.splittable[model] ?? []);
    const single = (s: string) => old.results.get(caseName(model, s));
    const cpu = single("cpu")?.medianMs;
    const gpu = single("gpu")?.medianMs;
    const best = cpu !== undefined && gpu !== undefined ? Math.min(cpu, gpu) : undefined;
    const timed = cpu !== undefined && gpu !== undefined ? { cpu, gpu } : undefined;
    const ops = tracedOpTimes(oldDir, model, traceDirs);
    const ideal = ops === undefined ? undefined : idealOf(ops, splittable);
    const scaled = ops === undefined || timed === undefined ? undefined : idealOf(ops, splittable, undefined, timed);
    const captured = (bound: number | undefined, c: number): string => (best === undefined || bound === undefined || best <= bound ? "–" : `${((100 * (best - c)) / (best - bound)).toFixed(0)} %`);
    for (const set of sets) {
      const r = (s: string) => set.results.get(caseName(model, s));
      const first = set === old;
      times.push(
        `| ${model} | ${set.label} | ${first ? cell(single("cpu"), predicted(oldMeta, model, "cpu")) : ""} | ${first ? cell(single("gpu"), predicted(oldMeta, model, "gpu")) : ""} |${mulayer ? ` ${first ? cell(single("mulayer"), predicted(oldMeta, model, "mulayer")) : ""} |` : ""} ${cell(r("codl-greedy"), predicted(set.meta, model, "codl-greedy"))} | ${cell(r("codl"), predicted(set.meta, model, "codl"))} |${extra.map(([s]) => ` ${cell(r(s), predicted(set.meta, model, "codl-rebalanced"))} |`).join("")}`,
      );
      const greedy = r("codl-greedy")?.medianMs;
      const ml = single("mulayer")?.medianMs;
      for (const [strategy, label] of [["codl", set.label], ...extra.map(([s, l]) => [s, `${set.label}, ${l}`] as const)] as const) {
        const codl = r(strategy)?.medianMs;
        if (codl === undefined) continue;
        // This plan set's own contention on the timed passes' clock (e2e-table.ts scaledContention), from its trace of this case.
        const trace = caseTrace(set.dir, model, strategy);
        const k = ops === undefined || timed === undefined || trace === undefined ? undefined : scaledContention(ops, timed, { trace, timedMs: codl });
        const contended = ops === undefined || k === undefined || timed === undefined ? undefined : idealOf(ops, splittable, k, timed);
        gains.push(
          `| ${model} | ${label} | ${fmt(ideal)} | ${fmt(scaled)} | ${fmt(contended)}${k === undefined ? "" : ` (CPU ×${k.cpu.toFixed(2)}, GPU ×${k.gpu.toFixed(2)})`} | ${best === undefined ? "–" : `${(best / codl).toFixed(2)}×`} | ${captured(ideal, codl)} | ${captured(scaled, codl)} | ${captured(contended, codl)} | ${greedy === undefined ? "–" : `${(greedy / codl).toFixed(2)}×`} |${mulayer ? ` ${ml === undefined ? "–" : `${(ml / codl).toFixed(2)}×`} |` : ""}`,
        );
      }
    }
  }
  const kLine = (k: (typeof sets)[number]["k"], what: string): string => (k === undefined ? `${what}: no codl traces` : `${what}: CPU part ×${k.cpu.toFixed(2)}, GPU part ×${k.gpu.toFixed(2)}`);
  const passes = Math.max(0, ...[...old.results.values()].map((r) => r.passes));
  const byPass = sets.slice(1).flatMap((set) => {
    const p = passMedians(set.dir);
    const lines = [
      ["codl-rebalanced", "codl ÷ codl, rebalanced"],
      ["codl-rebalanced-static", "codl ÷ the rebalancing bundle at its compiled cuts"],
    ].filter(([s]) => extra.some(([e]) => e === s));
    const rows = lines.map(([s, what]) => `- ${set.label}, ${what} (> 1: the latter faster): ${perPass(p, oldMeta.models, "codl", s!) || "–"}`);
    if (extra.length === 2) rows.push(`- ${set.label}, compiled cuts ÷ rebalanced, same bundle: ${perPass(p, oldMeta.models, "codl-rebalanced-static", "codl-rebalanced") || "–"}`);
    return rows;
  });
  return [
    `Pair (a), planned for the machine that ran it (median of ${passes} pass medians, ms; ± is half the spread over passes; pred. = the plan's predicted total)`,
    "",
    ...times,
    "",
    ...gains,
    "",
    `Contention, each plan set's codl traces against the committed cpu and gpu traces, raw: ${sets.map((s) => kLine(s.k, s.label)).join("; ")}. The contended ideal uses each row's own factors (in brackets): its case's trace and the committed cpu and gpu operator times, all scaled to their cases' timed medians.`,
    ...(byPass.length === 0 ? [] : ["", "Side by side, pass by pass:", ...byPass]),
  ].join("\n");
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write("usage: node dist/bench/closed-loop-table.js DIR\n");
    process.exit(2);
  }
  runScript("closed-loop-table", () => console.log(closedLoopTable(dir)));
}
