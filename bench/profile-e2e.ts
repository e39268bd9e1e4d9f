/**
 * Predicted vs measured end to end (BENCHMARKS.md, "Profiling and calibration"):
 * every tiny fixture compiled with one strategy for a measured profile, built in
 * one CMake project, run with --trace (PoCL on 1 thread as the GPU, 1 XNNPACK
 * thread), and laid beside its plan with explain/measured.ts. Prints a markdown
 * table; the target is ±15% per fixture under `codl`.
 *
 *   npx tsc -p . && node dist/bench/profile-e2e.js [--profile profiles/host-pocl.json] [--strategy codl]
 *     [--out build/profile-e2e] [--warmup 3] [--iterations 15] [--passes 5]
 *
 * Passes go round-robin over the fixtures (a noisy minute hits every fixture a
 * little, not one fixture a lot); measured = the median of the pass medians,
 * with their spread; the explain table is the median pass's trace.
 * Per fixture: build/profile-e2e/<strategy>/io/<fixture>/{trace.json,explain.txt}.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildFixture, FIXTURES, fixtureInputShapes } from "../fixtures/index.js";
import { compileModel } from "../src/bundle/compile.js";
import { readRuntimeSources } from "../src/bundle/runtime-sources.js";
import { loadProfile } from "../src/device/load-profile.js";
import { buildMeasuredReport, formatMeasuredText } from "../src/explain/measured.js";
import { parseTrace } from "../src/profile/trace.js";
import { npyBytes, writeIfChanged } from "./files.js";

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

function opt(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}



function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}:\n${r.stdout.slice(-4000)}${r.stderr.slice(-4000)}`);
}

const profile = loadProfile(opt("profile", path.join(repoRoot, "profiles/host-pocl.json")));
const strategy = opt("strategy", "codl");
const root = path.resolve(opt("out", "build/profile-e2e"), strategy);
const warmup = opt("warmup", "3");
const iterations = opt("iterations", "15");
const passes = Math.max(1, Number(opt("passes", "5")));

const runtime = readRuntimeSources();
const plans = new Map<string, ReturnType<typeof compileModel>["plan"]>();
for (const f of FIXTURES) {
  const inputShapes = Object.fromEntries(Object.entries(fixtureInputShapes(f, "tiny")).map(([k, v]) => [k, [...v]]));
  const c = compileModel(buildFixture(f, "tiny").bytes, profile, { inputShapes, strategy, toolVersion: "e2e", runtime, modelName: f });
  for (const [rel, bytes] of c.bundle.files) if (!rel.startsWith("src/runtime/")) writeIfChanged(path.join(root, "cases", f, rel), bytes);
  plans.set(f, c.plan);
}
const cmake = [
  "cmake_minimum_required(VERSION 3.16)",
  "project(codl_profile_e2e CXX)",
  `include("${path.join(repoRoot, "codegen/runtime/codl.cmake")}")`,
  ...FIXTURES.map((n) => `codl_add_bundle(NAME ${n} SOURCES cases/${n}/src/model.cc)`),
  "",
];
writeIfChanged(path.join(root, "CMakeLists.txt"), cmake.join("\n"));
const prefix = spawnSync("bash", [path.join(repoRoot, "scripts/native-deps.sh")], { encoding: "utf8" }).stdout.trim();
run("cmake", ["-S", root, "-B", path.join(root, "build"), "-DCMAKE_BUILD_TYPE=Release", `-DCMAKE_PREFIX_PATH=${prefix}`]);
run("cmake", ["--build", path.join(root, "build"), "-j2"]);

const env = { ...process.env, POCL_MAX_PTHREAD_COUNT: "1", CODL_CACHE_DIR: path.join(root, "cl-cache") };
console.log(`profile ${profile.id}, strategy ${strategy}, tiny fixtures; codl_run: 1 XNNPACK thread, POCL_MAX_PTHREAD_COUNT=1, ${warmup} warm-up + ${iterations} iterations, median; ${passes} passes`);
// The pass/fail column is the issue's: against the median of the pass medians. The quietest pass is
// beside it because the samples the models were fitted to are each case's quietest pass (--estimate min-pass).
console.log("| fixture | predicted ms | measured ms (median of pass medians) | pass spread | error | within ±15% | quietest pass ms | its error |");
console.log("|---|---:|---:|---:|---:|---|---:|---:|");
const runs = new Map<string, { latency: number; trace: string }[]>();
const failed = new Map<string, string>();
for (let pass = 0; pass < passes; pass++) {
  for (const [name, plan] of plans) {
    if (failed.has(name)) continue;
    const io = path.join(root, "io", name);
    fs.mkdirSync(io, { recursive: true });
    const trace = path.join(io, `trace-${pass}.json`);
    const args = ["--bundle", path.join(root, "cases", name), "--threads", "1", "--warmup", warmup, "--iterations", iterations, "--trace", trace];
    plan.model.inputs.forEach((input, i) => {
      const file = path.join(io, `in${i}.npy`);
      writeIfChanged(file, npyBytes(input.shape, new Float32Array(input.shape.reduce((a, b) => a * b, 1)).fill(0.25)));
      args.push("--input", file);
    });
    const r = spawnSync(path.join(root, "build", `codl_run_${name}`), args, { env, encoding: "utf8" });
    if (r.status !== 0) {
      failed.set(name, r.stderr.trim().slice(0, 80));
      continue;
    }
    const latency = parseTrace(JSON.parse(fs.readFileSync(trace, "utf8")), name).latency_ms.median ?? Number.NaN;
    runs.set(name, [...(runs.get(name) ?? []), { latency, trace }]);
  }
}
for (const [name, plan] of plans) {
  const why = failed.get(name);
  if (why !== undefined) {
    console.log(`| ${name} | ${plan.totals.predictedMs.toFixed(3)} | run failed: ${why} | | | | | |`);
    continue;
  }
  const sorted = [...(runs.get(name) ?? [])].sort((a, b) => a.latency - b.latency);
  const mid = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const io = path.join(root, "io", name);
  fs.copyFileSync(mid.trace, path.join(io, "trace.json"));
  const report = buildMeasuredReport(plan, parseTrace(JSON.parse(fs.readFileSync(mid.trace, "utf8")), name));
  fs.writeFileSync(path.join(io, "explain.txt"), formatMeasuredText(report));
  const e = report.totalError ?? Number.NaN;
  const spread = (sorted[sorted.length - 1]!.latency - sorted[0]!.latency) / mid.latency;
  const quietest = sorted[0]!.latency;
  console.log(
    `| ${name} | ${report.predictedTotalMs.toFixed(3)} | ${(report.measuredTotalMs ?? Number.NaN).toFixed(3)} | ${(100 * spread).toFixed(0)}% | ${(100 * e).toFixed(1)}% | ${Math.abs(e) <= 0.15 ? "pass" : "fail"} | ${quietest.toFixed(3)} | ${(100 * (report.predictedTotalMs / quietest - 1)).toFixed(1)}% |`,
  );
}
