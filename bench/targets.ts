/**
 * Issue 7's targets over every processor pair at once, from the folders the
 * runs brought back (bench/e2e.ts folders, run here or by run-e2e.sh, and
 * run-closed-loop.sh folders):
 *
 *   node dist/bench/targets.js --pair a=DIR [--pair a=DIR2@model,model] --pair b=DIR --pair c=DIR[+DIR2]
 *        [--captured a:yolov2,vgg16,fst] [--mulayer a,b]
 *
 * A closed-loop folder (DIR/old/meta.json) takes the single processors and
 * mulayer from its committed cases (old/) and codl and codl-greedy from its
 * last timed re-planned folder (new-*), the plans made for the machine that
 * ran them. Any other DIR is one bench/e2e.ts folder; DIR+DIR2 joins folders
 * that timed different strategies of the same models, and @model,model keeps
 * those models alone. Per model it prints the
 * best single processor, codl against it, against codl-greedy (with the
 * pass-to-pass noise of the two) and against mulayer, and the share of the
 * ideal gain codl captured (the ideal scaled to the timed cpu and gpu medians,
 * e2e-table.ts `idealOf`); then each target, met or not, with its misses.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { type CaseResult, caseName, type E2eMeta, geomean, idealOf, readMeta, readPasses, tracedOpTimes } from "./e2e-table.js";
import { closedLoopFolders } from "./closed-loop-table.js";
import { runScript } from "./files.js";

/** One model on one pair: what the targets need. */
export interface TargetRow {
  readonly pair: string;
  readonly model: string;
  readonly cpu?: CaseResult;
  readonly gpu?: CaseResult;
  readonly mulayer?: CaseResult;
  readonly greedy?: CaseResult;
  readonly codl?: CaseResult;
  /** codl kept this single processor's plan: the two cases run one program. */
  readonly keptFrom?: "cpu" | "gpu";
  /** The measured ideal, scaled to the timed cpu and gpu medians. */
  readonly ideal?: number;
}

interface Source {
  readonly singles: { readonly dir: string; readonly meta: E2eMeta; readonly results: Map<string, CaseResult>; readonly traceDirs: readonly string[] };
  readonly codl: { readonly meta: E2eMeta; readonly results: Map<string, CaseResult> };
}

function sourceOf(dir: string): Source {
  if (fs.existsSync(path.join(dir, "old", "meta.json"))) {
    const { oldDir, oldMeta, traceDirs, replanned } = closedLoopFolders(dir);
    // The last round timed is the plans' final word; a round only traced (TIMED=last) has no passes.
    const last = replanned
      .map((f) => ({ meta: f.meta, results: readPasses(f.dir) }))
      .filter((f) => f.results.size > 0)
      .at(-1);
    if (last === undefined) throw new Error(`${dir}: no re-planned folder with timed passes`);
    return { singles: { dir: oldDir, meta: oldMeta, results: readPasses(oldDir), traceDirs }, codl: last };
  }
  const meta = readMeta(dir);
  if (meta === undefined) throw new Error(`${dir}/meta.json is missing`);
  const results = readPasses(dir);
  return { singles: { dir, meta, results, traceDirs: ["traces"] }, codl: { meta, results } };
}

/**
 * Several e2e folders of one pair (DIR+DIR2…, e.g. the slow strategies timed with fewer iterations in a run of
 * their own): one source, each case from the first folder that timed it, the traces from the first folder.
 */
function mergedSource(dirs: readonly string[]): Source {
  const parts = dirs.map(sourceOf);
  if (parts.length === 1) return parts[0]!;
  const models = [...new Set(parts.flatMap((p) => p.singles.meta.models))];
  const meta: E2eMeta = {
    ...parts[0]!.singles.meta,
    models,
    strategies: [...new Set(parts.flatMap((p) => p.singles.meta.strategies))],
    cases: parts.flatMap((p) => p.codl.meta.cases),
    splittable: Object.assign({}, ...parts.map((p) => p.singles.meta.splittable).reverse()),
  };
  const results = new Map<string, CaseResult>();
  for (const p of parts) for (const [k, v] of p.codl.results) if (!results.has(k)) results.set(k, v);
  for (const p of parts) for (const [k, v] of p.singles.results) if (!results.has(k)) results.set(k, v);
  return { singles: { ...parts[0]!.singles, meta, results }, codl: { meta, results } };
}

/** The rows of one pair's folder (or folders, joined by "+"), all its models or those listed after "@". */
export function targetRows(pair: string, spec: string): TargetRow[] {
  const [dir, only] = spec.split("@") as [string, string | undefined];
  const { singles, codl } = mergedSource(dir.split("+"));
  const models = only === undefined ? singles.meta.models : only.split(",");
  const missing = models.filter((m) => !singles.meta.models.includes(m));
  if (missing.length > 0) throw new Error(`${dir}: no model ${missing.join(", ")} (it has ${singles.meta.models.join(", ")})`);
  return models.map((model) => {
    const one = (s: string) => singles.results.get(caseName(model, s));
    const cpu = one("cpu");
    const gpu = one("gpu");
    const times = tracedOpTimes(singles.dir, model, singles.traceDirs);
    const ideal =
      times === undefined || cpu === undefined || gpu === undefined ? undefined : idealOf(times, new Set(singles.meta.splittable[model] ?? []), undefined, { cpu: cpu.medianMs, gpu: gpu.medianMs });
    const keptFrom = codl.meta.cases.find((c) => c.model === model && c.strategy === "codl")?.keptFrom;
    return {
      pair,
      model,
      cpu,
      gpu,
      mulayer: one("mulayer"),
      greedy: codl.results.get(caseName(model, "codl-greedy")),
      codl: codl.results.get(caseName(model, "codl")),
      ...(keptFrom === undefined ? {} : { keptFrom }),
      ...(ideal === undefined ? {} : { ideal }),
    };
  });
}

const ms = (r: CaseResult | undefined): string => (r === undefined ? "–" : r.medianMs >= 100 ? r.medianMs.toFixed(1) : r.medianMs.toFixed(2));
const x = (v: number | undefined): string => (v === undefined ? "–" : `${v.toFixed(2)}×`);

function best(r: TargetRow): { proc: "cpu" | "gpu"; ms: number } | undefined {
  if (r.cpu === undefined || r.gpu === undefined) return undefined;
  return r.cpu.medianMs <= r.gpu.medianMs ? { proc: "cpu", ms: r.cpu.medianMs } : { proc: "gpu", ms: r.gpu.medianMs };
}

/** codl ÷ the other, as a speedup, and the noise of the two (half the larger spread over passes, as a fraction). */
function against(r: TargetRow, other: CaseResult | undefined): { speedup: number; noise: number } | undefined {
  if (r.codl === undefined || other === undefined) return undefined;
  return { speedup: other.medianMs / r.codl.medianMs, noise: Math.max(r.codl.spreadPct, other.spreadPct) / 200 };
}

export function capturedOf(r: TargetRow): number | undefined {
  const b = best(r);
  if (b === undefined || r.codl === undefined || r.ideal === undefined || b.ms <= r.ideal) return undefined;
  return (b.ms - r.codl.medianMs) / (b.ms - r.ideal);
}

/**
 * The table and the targets' verdicts. `captured`: per pair, the models the ≥ 90 % target applies to;
 * `mulayerPairs`: the pairs the "faster than mulayer" target applies to (issue 7: (a) and (b)).
 */
export function targetsReport(rows: readonly TargetRow[], captured: ReadonlyMap<string, readonly string[]>, mulayerPairs: ReadonlySet<string> = new Set(["a", "b"])): string {
  const lines = [
    "| pair | model | cpu | gpu | mulayer | codl-greedy | codl | codl vs best single | codl vs codl-greedy (noise) | codl vs mulayer | ideal gain captured (scaled) |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const b = best(r);
    const g = against(r, r.greedy);
    const c = capturedOf(r);
    const same = r.keptFrom !== undefined && r.keptFrom === b?.proc ? ` (= ${r.keptFrom} program)` : "";
    lines.push(
      `| ${r.pair} | ${r.model} | ${ms(r.cpu)} | ${ms(r.gpu)} | ${ms(r.mulayer)} | ${ms(r.greedy)} | ${ms(r.codl)} | ${x(b && r.codl && b.ms / r.codl.medianMs)}${same} | ${g === undefined ? "–" : `${x(g.speedup)} (±${(100 * g.noise).toFixed(0)} %)`} | ${x(against(r, r.mulayer)?.speedup)} | ${c === undefined ? "–" : `${(100 * c).toFixed(0)} %`} |`,
    );
  }
  const pairs = [...new Set(rows.map((r) => r.pair))];
  const verdict = (ok: boolean) => (ok ? "**met**" : "**missed**");
  const out = ["", "| target | pair | verdict | detail |", "|---|---|---|---|"];
  for (const p of pairs) {
    const rs = rows.filter((r) => r.pair === p && r.codl !== undefined && best(r) !== undefined);
    if (rs.length === 0) continue;
    // codl ≥ 1.0× the best single processor; where codl runs that processor's own program, the ratio is noise.
    const slower = rs.filter((r) => r.codl!.medianMs > best(r)!.ms && !(r.keptFrom !== undefined && r.keptFrom === best(r)!.proc));
    const sameProgram = rs.filter((r) => r.keptFrom !== undefined && r.keptFrom === best(r)!.proc).map((r) => r.model);
    out.push(
      `| codl ≥ 1.0× best single | ${p} | ${verdict(slower.length === 0)} | ${rs.length - slower.length} of ${rs.length}${sameProgram.length > 0 ? ` (${sameProgram.join(", ")}: codl runs the best single processor's own program)` : ""}${slower.length > 0 ? `; slower: ${slower.map((r) => `${r.model} ${x(best(r)!.ms / r.codl!.medianMs)}`).join(", ")}` : ""}; geometric mean ${x(geomean(rs.map((r) => best(r)!.ms / r.codl!.medianMs)))} |`,
    );
    const models = captured.get(p) ?? [];
    const cap = rs.filter((r) => models.includes(r.model));
    if (cap.length > 0) {
      const shares = cap.map((r) => ({ model: r.model, c: capturedOf(r) }));
      out.push(
        `| ≥ 90 % of the ideal gain | ${p} | ${verdict(shares.every((s) => s.c !== undefined && s.c >= 0.9))} | ${shares.map((s) => `${s.model} ${s.c === undefined ? "–" : `${(100 * s.c).toFixed(0)} %`}`).join(", ")} |`,
      );
    }
    const gs = rs.map((r) => ({ model: r.model, a: against(r, r.greedy) })).filter((g) => g.a !== undefined);
    if (gs.length > 0) {
      const beyond = gs.filter((g) => g.a!.speedup < 1 - g.a!.noise);
      out.push(
        `| codl no slower than codl-greedy (within noise) | ${p} | ${verdict(beyond.length === 0)} | geometric mean ${x(geomean(gs.map((g) => g.a!.speedup)))}; slower beyond noise: ${beyond.length === 0 ? "none" : beyond.map((g) => `${g.model} ${x(g.a!.speedup)} (±${(100 * g.a!.noise).toFixed(0)} %)`).join(", ")} |`,
      );
    }
    const ml = rs.map((r) => ({ model: r.model, s: against(r, r.mulayer)?.speedup })).filter((m) => m.s !== undefined);
    if (ml.length > 0 && mulayerPairs.has(p)) {
      const not = ml.filter((m) => m.s! <= 1);
      out.push(
        `| codl faster than mulayer | ${p} | ${verdict(not.length === 0)} | ${ml.length - not.length} of ${ml.length}, geometric mean ${x(geomean(ml.map((m) => m.s!)))}${not.length > 0 ? `; not faster: ${not.map((m) => `${m.model} ${x(m.s)}`).join(", ")}` : ""} |`,
      );
    }
  }
  return [...lines, ...out].join("\n");
}

function main(): void {
  const argv = process.argv.slice(2);
  const pairs: Array<[string, string]> = [];
  const captured = new Map<string, string[]>([["a", ["yolov2", "vgg16", "fst"]]]);
  let mulayerPairs = new Set(["a", "b"]);
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--mulayer" && value !== undefined) {
      mulayerPairs = new Set(value.split(","));
      continue;
    }
    const m = value === undefined ? null : flag === "--pair" ? /^([^=]+)=(.+)$/.exec(value) : flag === "--captured" ? /^([^:]+):(.+)$/.exec(value) : null;
    if (m === null) throw new Error("usage: node dist/bench/targets.js --pair NAME=DIR[+DIR…][@model,…] [--pair …] [--captured NAME:model,model] [--mulayer NAME,NAME]");
    if (flag === "--pair") pairs.push([m[1]!, m[2]!]);
    else captured.set(m[1]!, m[2]!.split(","));
  }
  if (pairs.length === 0) throw new Error("usage: node dist/bench/targets.js --pair NAME=DIR[+DIR…][@model,…] [--pair …] [--captured NAME:model,model] [--mulayer NAME,NAME]");
  console.log(targetsReport(pairs.flatMap(([p, dir]) => targetRows(p, dir)), captured, mulayerPairs));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) runScript("targets", main);
