/**
 * Replaces a profile's calibration entries of some kernels with the profile
 * harness's measurement of the same operator configuration, after the code
 * those kernels generate changed and the traces the entries came from went
 * stale (BENCHMARKS.md, issue 6, ninth session: Concat and Pad loops). An
 * entry whose configuration the samples CSV lacks is dropped, so the kernel
 * model prices it. Where several rows measure one configuration, the lowest
 * is kept (as `codl profile --collect`'s min-pass does).
 *
 *   npx tsc -p . && node dist/bench/calibrate-from-samples.js --profile P.json --samples S.csv \
 *     --kernels cpu.concat,cpu.pad --runs 10 --note "…" [--add-models fst,retinaface]
 *
 * --add-models also adds an entry for every whole-operator row of those
 * models (`source` "<model>.onnx:…", dim none) whose configuration has none:
 * a record whose key changed (Softmax's axis length in kh, tenth session)
 * keeps its measurement under the new key.
 *
 * Rewrites P.json in place; prints what it replaced and dropped.
 */
import * as fs from "node:fs";
import { writeFileAtomic } from "../src/cli/io.js";
import { configKey } from "../src/kernels/op-config.js";
import { parseCsv } from "../src/predict/csv.js";
import { parseSamplesCsv } from "../src/predict/samples.js";
import { runScript } from "./files.js";

function opt(argv: readonly string[], name: string): string {
  const at = argv.indexOf(`--${name}`);
  const v = at >= 0 ? argv[at + 1] : undefined;
  if (v === undefined) {
    process.stderr.write("usage: node dist/bench/calibrate-from-samples.js --profile P.json --samples S.csv --kernels k1,k2 --runs N --note TEXT\n");
    process.exit(2);
  }
  return v;
}

interface CalibratedOp {
  readonly processor: string;
  readonly key: string;
  readonly ms: number;
  readonly runs: number;
}

function main(argv: readonly string[]): void {
  const profilePath = opt(argv, "profile");
  const samplesPath = opt(argv, "samples");
  const kernels = new Set(opt(argv, "kernels").split(","));
  const runs = Number(opt(argv, "runs"));
  const note = opt(argv, "note");
  const profile = JSON.parse(fs.readFileSync(profilePath, "utf8")) as { calibration: { source: string; ops: CalibratedOp[] } };
  const at = argv.indexOf("--add-models");
  const addModels = new Set(at >= 0 ? (argv[at + 1] ?? "").split(",").filter((m) => m !== "") : []);
  const text = fs.readFileSync(samplesPath, "utf8");
  const rows = parseCsv(text);
  const header = new Map((rows[0]?.cells ?? []).map((h, i) => [h.trim(), i]));
  const cellsByLine = new Map(rows.map((r) => [r.line, r.cells]));
  const lowest = new Map<string, number>();
  // Whole-operator rows of the --add-models models, by the same key.
  const whole = new Set<string>();
  for (const s of parseSamplesCsv(text, samplesPath)) {
    if (!kernels.has(s.kernel)) continue;
    const key = `${s.processor}|${configKey(s.config, s.kernel)}`;
    lowest.set(key, Math.min(lowest.get(key) ?? Number.POSITIVE_INFINITY, s.latencyMs));
    const cells = cellsByLine.get(s.line) ?? [];
    const source = cells[header.get("source") ?? -1] ?? "";
    if (cells[header.get("dim") ?? -1] === "none" && addModels.has(source.slice(0, source.indexOf(".onnx:")))) whole.add(key);
  }
  const kernelOf = (key: string): string => key.split(",")[1] ?? "";
  profile.calibration.ops = profile.calibration.ops.flatMap((o) => {
    if (!kernels.has(kernelOf(o.key))) return [o];
    const ms = lowest.get(`${o.processor}|${o.key}`);
    process.stdout.write(`${ms === undefined ? "dropped " : "replaced"} ${o.processor} ${o.key} ${o.ms}${ms === undefined ? "" : ` -> ${ms}`}\n`);
    return ms === undefined ? [] : [{ ...o, ms, runs }];
  });
  const present = new Set(profile.calibration.ops.map((o) => `${o.processor}|${o.key}`));
  for (const key of [...whole].sort()) {
    if (present.has(key)) continue;
    const [processor, config] = key.split("|") as [string, string];
    const ms = lowest.get(key)!;
    process.stdout.write(`added    ${processor} ${config} ${ms}\n`);
    profile.calibration.ops.push({ processor, key: config, ms, runs });
  }
  if (!profile.calibration.source.includes(note)) profile.calibration.source += `; ${note}`;
  writeFileAtomic(profilePath, `${JSON.stringify(profile, null, 2)}\n`);
}

runScript("calibrate-from-samples", () => main(process.argv.slice(2)));
