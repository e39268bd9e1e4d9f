/**
 * Predicted vs measured end to end (BENCHMARKS.md, "Profiling and calibration"): every tiny
 * fixture compiled with `codl` for a profile, built in one CMake project,
 * run with --trace (PoCL 1 thread as the GPU, 1 XNNPACK thread), and laid
 * beside its plan with explain/measured.ts.
 *
 *   CODL_PROFILE_E2E=<profile.json> [CODL_PROFILE_E2E_STRATEGY=codl] npx vitest run test/profile/endtoend.test.ts
 *
 * Skipped unless CODL_PROFILE_E2E names a profile; prints a markdown table.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildFixture, FIXTURES, fixtureInputShapes } from "../../fixtures/index.js";
import { compileModel } from "../../src/bundle/compile.js";
import { readRuntimeSources } from "../../src/bundle/runtime-sources.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { buildMeasuredReport, formatMeasuredText } from "../../src/explain/measured.js";
import { parseTrace } from "../../src/profile/trace.js";
import { describe, expect, it } from "vitest";
import { repoRoot, writeIfChanged, xnnpackPrefix } from "../native/bundle.js";
import { writeNpy } from "../native/npy.js";

const profilePath = process.env.CODL_PROFILE_E2E ?? "";
const strategy = process.env.CODL_PROFILE_E2E_STRATEGY ?? "codl";
const root = path.resolve("build/profile-e2e", strategy);

describe.runIf(profilePath !== "")("predicted vs measured end to end", () => {
  it("runs every tiny fixture", () => {
    const rows = endToEnd();
    console.log(rows.join("\n"));
    expect(rows.length).toBe(FIXTURES.length + 2);
  }, 1_800_000);
});

function endToEnd(): string[] {
const profile = loadProfile(profilePath);
const runtime = readRuntimeSources();
const names: string[] = [];
const plans = new Map<string, ReturnType<typeof compileModel>["plan"]>();
for (const f of FIXTURES) {
  const inputShapes = Object.fromEntries(Object.entries(fixtureInputShapes(f, "tiny")).map(([k, v]) => [k, [...v]]));
  const c = compileModel(buildFixture(f, "tiny").bytes, profile, { inputShapes, strategy, toolVersion: "e2e", runtime, modelName: f });
  for (const [rel, bytes] of c.bundle.files) if (!rel.startsWith("src/runtime/")) writeIfChanged(path.join(root, "cases", f, rel), bytes);
  names.push(f);
  plans.set(f, c.plan);
}
const cmake = ["cmake_minimum_required(VERSION 3.16)", "project(codl_profile_e2e CXX)", `include("${path.join(repoRoot, "codegen/runtime/codl.cmake")}")`, ...names.map((n) => `codl_add_bundle(NAME ${n} SOURCES cases/${n}/src/model.cc)`), ""];
writeIfChanged(path.join(root, "CMakeLists.txt"), cmake.join("\n"));
const sh = (args: string[]) => {
  const r = spawnSync("cmake", args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${r.stdout}\n${r.stderr}`);
};
sh(["-S", root, "-B", path.join(root, "build"), "-DCMAKE_BUILD_TYPE=Release", `-DCMAKE_PREFIX_PATH=${xnnpackPrefix()}`]);
sh(["--build", path.join(root, "build"), "-j2"]);
const env = { ...process.env, POCL_MAX_PTHREAD_COUNT: "1", CODL_CACHE_DIR: path.join(root, "cl-cache") };
const summary: string[] = ["| fixture | predicted ms | measured median ms | error | within ±15% |", "|---|---|---|---|---|"];
for (const n of names) {
  const plan = plans.get(n)!;
  const io = path.join(root, "io", n);
  fs.mkdirSync(io, { recursive: true });
  const args = ["--bundle", path.join(root, "cases", n), "--threads", "1", "--warmup", "3", "--iterations", "15", "--trace", path.join(io, "trace.json")];
  plan.model.inputs.forEach((input, i) => {
    const file = path.join(io, `in${i}.npy`);
    writeNpy(file, input.shape, new Float32Array(input.shape.reduce((a, b) => a * b, 1)).fill(0.25));
    args.push("--input", file);
  });
  const r = spawnSync(path.join(root, "build", `codl_run_${n}`), args, { env, encoding: "utf8" });
  if (r.status !== 0) {
    summary.push(`| ${n} | ${plan.totals.predictedMs.toFixed(3)} | run failed: ${r.stderr.trim().slice(0, 80)} | | |`);
    continue;
  }
  const report = buildMeasuredReport(plan, parseTrace(JSON.parse(fs.readFileSync(path.join(io, "trace.json"), "utf8")), n));
  fs.writeFileSync(path.join(io, "explain.txt"), formatMeasuredText(report));
  const e = report.totalError ?? Number.NaN;
  summary.push(`| ${n} | ${report.predictedTotalMs.toFixed(3)} | ${(report.measuredTotalMs ?? Number.NaN).toFixed(3)} | ${(100 * e).toFixed(1)}% | ${Math.abs(e) <= 0.15 ? "pass" : "fail"} |`);
}
return summary;
}
