/**
 * End-to-end harness: compile ONNX models into bundles (in process), build
 * them all in ONE CMake project (the runtime library compiled once, one small
 * codl_run_<case> per model table), run each on seeded random inputs and
 * compare with onnxruntime-node.
 *
 * Build state lives under build/e2e/ and is incremental: a case's files are
 * rewritten only when their bytes change, so a rerun rebuilds only what the
 * emitter changed. PoCL's kernel cache and codl's program cache are shared by
 * every run of a test session.
 */

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import ort from "onnxruntime-node";
import { compileModel, type CompileOptions } from "../../src/bundle/compile.js";
import { readRuntimeSources } from "../../src/bundle/runtime-sources.js";
import type { DeviceProfile } from "../../src/device/profile-schema.js";
import { repoRoot, writeIfChanged, xnnpackPrefix } from "../native/bundle.js";
import { readNpy, writeNpy } from "../native/npy.js";
import { seededFloats } from "../helpers/ort.js";

export const e2eRoot = path.join(repoRoot, "build/e2e");

export interface CaseSpec {
  /** [A-Za-z0-9_]: the executable is codl_run_<name>. */
  readonly name: string;
  readonly model: Uint8Array;
  readonly profile: DeviceProfile;
  readonly options: Omit<CompileOptions, "toolVersion" | "runtime">;
  /** Largest max|error| / max|reference| accepted (default 1e-4). */
  readonly tolerance?: number;
  /** codl_run's extra arguments, one list per run, each run checked (default: one run with none). */
  readonly runs?: ReadonlyArray<readonly string[]>;
}

export interface PreparedCase {
  readonly name: string;
  readonly dir: string;
  readonly model: Uint8Array;
  readonly inputs: ReadonlyArray<{ name: string; shape: number[] }>;
  readonly outputs: readonly string[];
  readonly tolerance?: number;
  /** The GPU storage precision the plan kept (fp16 may be refused: plan options.fp16Refused). */
  readonly gpuPrecision: string;
  readonly runs?: ReadonlyArray<readonly string[]>;
}

/** Compiles a case and writes its bundle under build/e2e/<project>/cases/<name>. */
export function prepareCase(project: string, spec: CaseSpec): PreparedCase {
  const compiled = compileModel(spec.model, spec.profile, { ...spec.options, toolVersion: "e2e", runtime: readRuntimeSources() });
  const dir = path.join(e2eRoot, project, "cases", spec.name);
  for (const [rel, bytes] of compiled.bundle.files) {
    if (rel.startsWith("src/runtime/")) continue; // the project builds the runtime once from codegen/runtime
    writeIfChanged(path.join(dir, rel), bytes);
  }
  const plan = compiled.plan;
  return {
    name: spec.name,
    dir,
    model: spec.model,
    inputs: plan.model.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })),
    outputs: [...plan.model.outputs],
    gpuPrecision: plan.options.gpuPrecision,
    ...(spec.tolerance === undefined ? {} : { tolerance: spec.tolerance }),
    ...(spec.runs === undefined ? {} : { runs: spec.runs }),
  };
}

const ref = (name: string): string => `${"$"}{${name}}`;

/** One CMake project for many cases; returns the build seconds. */
export function buildCases(project: string, cases: readonly PreparedCase[]): number {
  const started = Date.now();
  const root = path.join(e2eRoot, project);
  // codl.cmake's codl_add_bundle compiles codl_run.cc into every executable; here it is compiled once
  // (an object library) and each case adds only its model.cc.
  const lines = [
    "cmake_minimum_required(VERSION 3.16)",
    "project(codl_e2e CXX)",
    `include("${path.join(repoRoot, "codegen/runtime/codl.cmake")}")`,
    `add_library(codl_runtime STATIC ${ref("CODL_RUNTIME_SOURCES")})`,
    "_codl_configure(codl_runtime)",
    `add_library(codl_main OBJECT "${ref("CODL_RUNTIME_DIR")}/codl_run.cc" "${ref("CODL_RUNTIME_DIR")}/npy.cc")`,
    "target_link_libraries(codl_main PRIVATE codl_runtime)",
    'target_compile_definitions(codl_main PRIVATE CODL_BUNDLE_DIR=".")',
    ...cases.flatMap((c) => [`add_executable(codl_run_${c.name} cases/${c.name}/src/model.cc $<TARGET_OBJECTS:codl_main>)`, `target_link_libraries(codl_run_${c.name} PRIVATE codl_runtime)`]),
    "",
  ];
  writeIfChanged(path.join(root, "CMakeLists.txt"), lines.join("\n"));
  const build = path.join(root, "build");
  const run = (args: string[]) => {
    const r = spawnSync("cmake", args, { encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`cmake ${args.join(" ")} failed:\n${r.stdout.slice(-20000)}\n${r.stderr.slice(-20000)}`);
  };
  if (!fs.existsSync(path.join(build, "CMakeCache.txt")) || fs.statSync(path.join(root, "CMakeLists.txt")).mtimeMs > fs.statSync(path.join(build, "CMakeCache.txt")).mtimeMs) {
    run(["-S", root, "-B", build, "-DCMAKE_BUILD_TYPE=Release", `-DCMAKE_PREFIX_PATH=${xnnpackPrefix()}`, "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"]);
  }
  run(["--build", build, "-j2"]);
  return (Date.now() - started) / 1000;
}

export interface CaseResult {
  readonly name: string;
  readonly ok: boolean;
  /** Worst max|error| / max|reference| over the outputs. */
  readonly relError: number;
  readonly detail: string;
}

export const caches = (root: string) => {
  const codl = path.join(root, "cl-cache");
  const pocl = path.join(root, "pocl-cache");
  fs.mkdirSync(codl, { recursive: true });
  fs.mkdirSync(pocl, { recursive: true });
  // Unoptimised PoCL builds: ~30% less compile time for thousands of tiny kernels; numerics are unchanged.
  return { CODL_CACHE_DIR: codl, POCL_CACHE_DIR: pocl, POCL_KERNEL_CACHE: "1", POCL_MAX_PTHREAD_COUNT: "1", POCL_EXTRA_BUILD_FLAGS: "-cl-opt-disable" };
};

async function reference(model: Uint8Array, feeds: Record<string, { shape: number[]; data: Float32Array }>): Promise<Record<string, { dims: number[]; data: Float32Array }>> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: "disabled", logSeverityLevel: 3, intraOpNumThreads: 1 });
  try {
    const f: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) f[k] = new ort.Tensor("float32", v.data, v.shape);
    const r = await session.run(f);
    const out: Record<string, { dims: number[]; data: Float32Array }> = {};
    for (const [k, t] of Object.entries(r)) out[k] = { dims: t.dims.map(Number), data: Float32Array.from(t.data as Float32Array) };
    return out;
  } finally {
    await session.release();
  }
}

function exec(file: string, args: readonly string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(file, args, { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 300_000);
    p.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Runs a built case on seeded inputs (once per `runs` entry) and compares every output with ONNX Runtime. */
export async function runCase(project: string, c: PreparedCase, seed = 7, tolerance = 1e-4): Promise<CaseResult> {
  const results: CaseResult[] = [];
  for (const extra of c.runs ?? [[]]) results.push(await runCaseOnce(project, c, extra, seed, tolerance));
  if (results.length === 1) return results[0]!;
  const worst = results.reduce((a, b) => (b.relError > a.relError || !b.ok ? b : a));
  const detail = results.map((r, i) => `[${(c.runs![i] ?? []).join(" ")}] ${r.detail}`).join(" | ");
  return { name: c.name, ok: results.every((r) => r.ok), relError: worst.relError, detail };
}

async function runCaseOnce(project: string, c: PreparedCase, extra: readonly string[], seed: number, tolerance: number): Promise<CaseResult> {
  const root = path.join(e2eRoot, project);
  const work = path.join(root, "io", c.name);
  fs.mkdirSync(work, { recursive: true });
  const feeds: Record<string, { shape: number[]; data: Float32Array }> = {};
  const args = ["--bundle", c.dir, "--threads", "1", "--warmup", "0", "--iterations", "1", ...extra];
  c.inputs.forEach((input, i) => {
    const data = seededFloats(input.shape.reduce((p, d) => p * d, 1), seed + i);
    feeds[input.name] = { shape: input.shape, data };
    const file = path.join(work, `in${i}.npy`);
    writeNpy(file, input.shape, data);
    args.push("--input", file);
  });
  c.outputs.forEach((_, i) => {
    args.push("--output", path.join(work, `out${i}.npy`));
  });
  const [ref, run] = await Promise.all([reference(c.model, feeds), exec(path.join(root, "build", `codl_run_${c.name}`), args, caches(root))]);
  if (run.status !== 0) return { name: c.name, ok: false, relError: Number.POSITIVE_INFINITY, detail: `codl_run exited ${run.status}: ${run.stderr.slice(-4000)}` };
  let worst = 0;
  const notes: string[] = [];
  c.outputs.forEach((name, i) => {
    const expected = ref[name];
    const got = readNpy(path.join(work, `out${i}.npy`));
    if (expected === undefined || got.data.length !== expected.data.length) {
      worst = Number.POSITIVE_INFINITY;
      notes.push(`${name}: ${got.data.length} values, ONNX Runtime has ${expected?.data.length}`);
      return;
    }
    let err = 0;
    let max = 0;
    let at = 0;
    for (let k = 0; k < expected.data.length; k++) {
      const e = Math.abs(got.data[k]! - expected.data[k]!);
      if (!(e <= err)) {
        err = Number.isNaN(e) ? Number.POSITIVE_INFINITY : e;
        at = k;
      }
      max = Math.max(max, Math.abs(expected.data[k]!));
    }
    const rel = err / Math.max(max, 1e-30);
    worst = Math.max(worst, rel);
    notes.push(`${name}: max|err| ${err.toExponential(3)} at ${at} (got ${got.data[at]}, want ${expected.data[at]}), max|ref| ${max.toExponential(3)}`);
  });
  return { name: c.name, ok: worst <= (c.tolerance ?? tolerance), relError: worst, detail: notes.join("; ") };
}

/** Runs cases with bounded parallelism (the machine has 2 cores). */
export async function runAllCases(project: string, cases: readonly PreparedCase[], parallel = 2): Promise<CaseResult[]> {
  const out: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      out[i] = await runCase(project, cases[i]!);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return out;
}
