/**
 * End-to-end latency benchmark (issues 5 and 7): every model under every
 * strategy, compiled by codl for one device profile, run by codl_run with
 * warm-up and repeated iterations; beside ONNX Runtime on the CPU.
 *
 *   node dist/bench/e2e.js --device <profile> [--size tiny|full] [--models a,b]
 *        [--strategies cpu,gpu,mulayer,codl-greedy,codl] [--out DIR]
 *        [--run] [--threads 1] [--pocl-threads 1] [--iterations 20] [--warmup 3] [--ort-threads 2]
 *        [--carry] [--gpu-precision fp32|fp16] [--ratio-step r] [--rebalance-steps n]
 *
 * Strategy "codl-rebalanced" is codl's plan compiled with rebalancing variants
 * (--rebalance-steps, default 6): the same plan as "codl", whose cut the runtime
 * moves run by run, timed beside it.
 * It writes a self-contained folder (OUT): cases/<model>_<strategy>/ (each a
 * bundle: model.cc, kernels, weights.bin), runtime/ (codegen/runtime), one
 * CMakeLists.txt building the runtime once and one codl_run_<case> per case,
 * inputs/*.npy, models/*.onnx, run.sh (POSIX sh: runs every case, one
 * "RESULT case median_ms" line each) and ort_bench.py (ONNX Runtime's Python
 * API, all cores by default). The folder builds and runs on another machine
 * without Node. With --run it also builds and runs here, runs
 * onnxruntime-node in the same session, and prints the table.
 *
 * --carry leaves the weights behind so the folder fits a 64 MiB transfer:
 * no weights.bin in the bundles (run.sh sets CODL_SYNTHETIC_WEIGHTS=1, and
 * the runtime fills the blob with small seeded values: timing only) and
 * models/*.onnx without initializer data (ort_bench.py fills them with
 * seeded values of the declared shapes). Numerics are checked elsewhere
 * (test/e2e); latency does not depend on weight values.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import onnxPkg from "onnx-proto";
import type { Tensor } from "onnxruntime-node";
import { buildFixture, describeFixture, FIXTURES, type FixtureName, type FixtureSize, isFixtureName } from "../fixtures/index.js";
import { compileModel } from "../src/bundle/compile.js";
import { readRuntimeSources } from "../src/bundle/runtime-sources.js";
import { loadProfile } from "../src/device/load-profile.js";
import { CompilerError } from "../src/diag/errors.js";
import { parseRebalanceSteps } from "../src/cli/compile.js";
import { checkRatioStep } from "../src/plan/index.js";
import { caseName, type E2eMeta } from "./e2e-table.js";
import { npyBytes, writeIfChanged } from "./files.js";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const flag = (name: string): boolean => args.includes(`--${name}`);

const deviceRef = opt("device", "sd888");
const size = opt("size", "tiny") as FixtureSize;
const models = opt("models", FIXTURES.join(",")).split(",").filter(isFixtureName) as FixtureName[];
const strategies = opt("strategies", "cpu,gpu,mulayer,codl-greedy,codl").split(",");
const out = path.resolve(opt("out", path.join(root, "build", `bench-e2e-${path.basename(deviceRef, ".json")}-${size}`)));
const iterations = Number(opt("iterations", "20"));
const warmup = Number(opt("warmup", "3"));
const threads = Number(opt("threads", "1"));
const poclThreads = opt("pocl-threads", "1");
const ortThreads = Number(opt("ort-threads", "2"));
const carry = flag("carry");
const gpuPrecision = opt("gpu-precision", "fp32") === "fp16" ? "fp16" : "fp32";
const ratioStep = args.includes("--ratio-step") ? Number(opt("ratio-step", "")) : undefined;
const rebalanceSteps = Number(opt("rebalance-steps", "6"));
// Checked before anything is written: a bad step would otherwise fail at the first compile, mid-folder.
try {
  if (ratioStep !== undefined) checkRatioStep(ratioStep);
  parseRebalanceSteps(String(rebalanceSteps));
} catch (e) {
  process.stderr.write(`e2e: ${e instanceof CompilerError ? `${e.code}: ${e.message}` : String(e)}\n`);
  process.exit(2);
}

/** The model with every initializer's data dropped (dims and type kept). */
function withoutWeights(bytes: Uint8Array): Uint8Array {
  const model = onnxPkg.onnx.ModelProto.decode(bytes);
  for (const t of model.graph?.initializer ?? []) {
    const count = (t.dims ?? []).reduce((p: number, d) => p * Number(d), 1);
    if (count <= 64) continue; // shape constants stay
    t.rawData = new Uint8Array();
    t.floatData = [];
  }
  return onnxPkg.onnx.ModelProto.encode(model).finish();
}



function seeded(count: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const o = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    o[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return o;
}

const profile = loadProfile(deviceRef);
const runtime = readRuntimeSources();
interface Case {
  readonly name: string;
  readonly model: FixtureName;
  readonly strategy: string;
  readonly inputs: string[];
}
const cases: Case[] = [];
const meta: E2eMeta = { profile: profile.id, size, strategies, models, cases: [], splittable: {} };
const inputsOf = new Map<FixtureName, { name: string; shape: number[]; data: Float32Array }[]>();
for (const model of models) {
  const fixture = buildFixture(model, size);
  const inputShapes = describeFixture(model, size).inputShapes;
  writeIfChanged(path.join(out, "models", `${model}.onnx`), carry ? withoutWeights(fixture.bytes) : fixture.bytes);
  const inputs = Object.entries(inputShapes).map(([name, shape], i) => {
    const data = seeded(shape.reduce((p, d) => p * d, 1), 11 + i);
    writeIfChanged(path.join(out, "inputs", `${model}_${i}.npy`), npyBytes(shape, data));
    return { name, shape: [...shape], data };
  });
  inputsOf.set(model, inputs);
  for (const strategy of strategies) {
    const name = caseName(model, strategy);
    const rebalanced = strategy === "codl-rebalanced";
    const compiled = compileModel(fixture.bytes, profile, {
      strategy: rebalanced ? "codl" : strategy,
      inputShapes,
      toolVersion: "bench",
      runtime,
      gpuPrecision,
      ...(ratioStep === undefined ? {} : { ratioStep }),
      ...(rebalanced ? { rebalanceSteps } : {}),
    });
    for (const [rel, bytes] of compiled.bundle.files) {
      if (rel.startsWith("src/runtime/") || (carry && rel === "weights.bin")) continue;
      writeIfChanged(path.join(out, "cases", name, rel), bytes);
    }
    cases.push({ name, model, strategy, inputs: inputs.map((inp, i) => `${inp.name}=inputs/${model}_${i}.npy`) });
    if (rebalanced) {
      // The same bundle at its compiled cuts, timed right after it in every pass (run.sh: <case>_static).
      (meta.cases as E2eMeta["cases"][number][]).push({ name: `${name}_static`, model, strategy: "codl-rebalanced-static", predictedMs: compiled.plan.totals.predictedMs });
    }
    const keptFrom = compiled.plan.keptFrom;
    (meta.cases as E2eMeta["cases"][number][]).push({ name, model, strategy, predictedMs: compiled.plan.totals.predictedMs, ...(keptFrom === "cpu" || keptFrom === "gpu" ? { keptFrom } : {}) });
    if (strategy === "codl") {
      const ops = compiled.plan.operators.filter((o) => o.alternatives.H !== null || o.alternatives.OC !== null);
      (meta.splittable as Record<string, string[]>)[model] = ops.map((o) => String(o.id));
    }
    process.stderr.write(`compiled ${name}: predicted ${compiled.plan.totals.predictedMs.toFixed(3)} ms\n`);
  }
}
for (const [rel, bytes] of runtime) writeIfChanged(path.join(out, "runtime", rel), bytes);
writeIfChanged(path.join(out, "meta.json"), `${JSON.stringify(meta, null, 1)}\n`);

const ref = (v: string): string => `\${${v}}`;
writeIfChanged(
  path.join(out, "CMakeLists.txt"),
  [
    "# codl e2e benchmark: the runtime once, one codl_run_<case> per bundle.",
    "cmake_minimum_required(VERSION 3.16)",
    "project(codl_bench CXX)",
    `include("${ref("CMAKE_CURRENT_SOURCE_DIR")}/runtime/codl.cmake")`,
    `add_library(codl_runtime STATIC ${ref("CODL_RUNTIME_SOURCES")})`,
    "_codl_configure(codl_runtime)",
    `add_library(codl_main OBJECT "${ref("CODL_RUNTIME_DIR")}/codl_run.cc" "${ref("CODL_RUNTIME_DIR")}/npy.cc")`,
    "target_link_libraries(codl_main PRIVATE codl_runtime)",
    'target_compile_definitions(codl_main PRIVATE CODL_BUNDLE_DIR=".")',
    ...cases.flatMap((c) => [`add_executable(codl_run_${c.name} cases/${c.name}/src/model.cc $<TARGET_OBJECTS:codl_main>)`, `target_link_libraries(codl_run_${c.name} PRIVATE codl_runtime)`]),
    "",
  ].join("\n"),
);
// cases.txt: one line per case run; a codl-rebalanced case is followed by its <case>_static alias.
const runLines = cases.flatMap((c) => [[c.name, ...c.inputs], ...(c.strategy === "codl-rebalanced" ? [[`${c.name}_static`, ...c.inputs]] : [])]);
writeIfChanged(path.join(out, "cases.txt"), `${runLines.map((l) => l.join(" ")).join("\n")}\n`);
writeIfChanged(
  path.join(out, "run.sh"),
  `#!/bin/sh
# run.sh [--bin DIR] [--threads N] [--iterations N] [--warmup N] [--pocl-threads N] [--jobs N] [--trace]
#        [--match RE] [--cpu-cores LIST] [--gpu-cores LIST] [--reverse]
# Prints "RESULT <case> <median ms>" per case (codl_run's median over the iterations).
# --jobs N: first run every case once, N at a time, unmeasured, so OpenCL program
#   builds (codl's program cache, the driver's kernel cache) happen in parallel.
# --match RE: only the cases whose name matches the extended regular expression RE.
# --trace: also write traces/<case>.json (per-operator CPU and GPU times); tracing
#   adds events and waits, so its lines say TRACED, not RESULT.
# --cpu-cores / --gpu-cores: pin XNNPACK's threads and the OpenCL driver's threads
#   (PoCL's workers) to these cores (taskset syntax, e.g. 0 and 2-13); --jobs runs unpinned.
# --reverse: the cases in the opposite order. On the GPU machine one program's median moved 1.6x within two
#   minutes, whatever ran before it (probe-order.sh), so passes alternate the order: a slow minute then does
#   not always land on the same strategy (run-e2e.sh, run-closed-loop.sh).
# A case <case>_static (after each codl-rebalanced case) runs <case>'s bundle at its compiled cuts
#   (CODL_REBALANCE=0), so that the two are timed side by side.
set -u
cd "$(dirname "$0")"
BIN=build; THREADS=${threads}; ITER=${iterations}; WARMUP=${warmup}; JOBS=1; TRACE=0; MATCH=""; ORDER=cat
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --iterations) ITER="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --pocl-threads) POCL_MAX_PTHREAD_COUNT="$2"; export POCL_MAX_PTHREAD_COUNT; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --trace) TRACE=1; shift ;;
    --match) MATCH="$2"; shift 2 ;;
    --cpu-cores) CODL_CPU_CORES="$2"; export CODL_CPU_CORES; shift 2 ;;
    --gpu-cores) CODL_GPU_CORES="$2"; export CODL_GPU_CORES; shift 2 ;;
    --reverse) ORDER=tac; shift ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -d lib ]; then LD_LIBRARY_PATH="$PWD/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; export LD_LIBRARY_PATH; fi
CODL_CACHE_DIR="$PWD/cl-cache"; export CODL_CACHE_DIR
# Bundles carried without weights.bin run on synthetic weights (timing only).
CODL_SYNTHETIC_WEIGHTS=1; export CODL_SYNTHETIC_WEIGHTS
mkdir -p cl-cache logs traces
if [ "$JOBS" -gt 1 ]; then
  BIN="$BIN" POCL_MAX_PTHREAD_COUNT=1 CODL_CPU_CORES= CODL_GPU_CORES= xargs -P "$JOBS" -L 1 sh -c 'n=\${1%_static}; shift; for i in "$@"; do set -- "$@" --input "$i"; shift; done
    "$BIN/codl_run_$n" --bundle "cases/$n" "$@" --warmup 0 --iterations 1 --threads 1 > /dev/null 2>&1' sh < cases.txt
fi
while read -r name rest; do
  if [ -n "$MATCH" ] && ! echo "$name" | grep -Eq "$MATCH"; then continue; fi
  set --
  for i in $rest; do set -- "$@" --input "$i"; done
  word=RESULT
  if [ "$TRACE" = 1 ]; then set -- "$@" --trace "traces/$name.json"; word=TRACED; fi
  bin=\${name%_static}; rb=""; [ "$bin" = "$name" ] || rb=0
  if CODL_REBALANCE=$rb "$BIN/codl_run_$bin" --bundle "cases/$bin" "$@" --warmup "$WARMUP" --iterations "$ITER" --threads "$THREADS" > "logs/$name.txt" 2>&1; then
    echo "$word $name $(sed -n 's/^median latency: \\([0-9.]*\\) ms.*/\\1/p' "logs/$name.txt")"
  else
    echo "FAILED $name"; tail -3 "logs/$name.txt"
  fi
done <<EOF
$($ORDER cases.txt)
EOF
`,
);
writeIfChanged(
  path.join(out, "ort_bench.py"),
  `# ONNX Runtime on the CPU, same models and inputs: python3 ort_bench.py [threads] [iterations]
import sys, time, glob, os, numpy as np, onnx, onnxruntime as ort
from onnx import numpy_helper
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 0
iters = int(sys.argv[2]) if len(sys.argv) > 2 else ${iterations}
os.chdir(os.path.dirname(os.path.abspath(__file__)))
for model in sorted(glob.glob("models/*.onnx")):
    name = os.path.basename(model)[:-5]
    so = ort.SessionOptions(); so.intra_op_num_threads = threads
    m = onnx.load(model)
    rng = np.random.default_rng(7)
    for k, t in enumerate(m.graph.initializer):  # carried without weights: seeded values of the declared shape
        if t.data_type == onnx.TensorProto.FLOAT and not t.raw_data and not t.float_data and len(t.dims) > 0:
            a = (rng.random(tuple(t.dims), dtype=np.float32) - 0.5) * 0.04
            if "running_var" in t.name or "var" in t.name.split(".")[-1]: a = np.abs(a) + 1.0
            m.graph.initializer[k].CopyFrom(numpy_helper.from_array(a, t.name))
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    feeds = {i.name: np.load(f"inputs/{name}_{k}.npy") for k, i in enumerate(s.get_inputs())}
    for _ in range(${warmup}): s.run(None, feeds)
    t = []
    for _ in range(iters):
        a = time.perf_counter(); s.run(None, feeds); t.append((time.perf_counter() - a) * 1e3)
    print(f"ORT {name} {float(np.median(t)):.3f}")
`,
);
process.stderr.write(`wrote ${out} (${cases.length} cases)\n`);

if (flag("run")) {
  // Loaded here so that the compile part runs where onnxruntime-node is absent (the GPU machine).
  const { default: ort } = await import("onnxruntime-node");
  const prefix = spawnSync("bash", [path.join(root, "scripts/native-deps.sh")], { encoding: "utf8" }).stdout.trim();
  const cmake = (a: string[]) => {
    const r = spawnSync("cmake", a, { encoding: "utf8", maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`cmake ${a.join(" ")}:\n${r.stdout.slice(-4000)}${r.stderr.slice(-4000)}`);
  };
  cmake(["-S", out, "-B", path.join(out, "build"), "-DCMAKE_BUILD_TYPE=Release", `-DCMAKE_PREFIX_PATH=${prefix}`]);
  cmake(["--build", path.join(out, "build"), "-j2"]);
  const codl = new Map<string, number>();
  // Interleave: every case once per pass, three passes (the second reversed), median of the per-pass medians.
  const passes = Number(opt("passes", "3"));
  const perCase = new Map<string, number[]>();
  // Each pass's output is kept in passes/p<n>.txt and ORT's medians in ort.txt, as run-e2e.sh keeps them
  // on the GPU machine, so that e2e-table.js and targets.js read this folder too.
  fs.rmSync(path.join(out, "passes"), { recursive: true, force: true });
  fs.mkdirSync(path.join(out, "passes"), { recursive: true });
  for (let p = 0; p < passes; p++) {
    // Every second pass in the opposite order (run.sh --reverse): a case's place in the pass is not to favour it.
    const r = spawnSync("sh", [path.join(out, "run.sh"), "--pocl-threads", poclThreads, ...(p % 2 === 1 ? ["--reverse"] : [])], { encoding: "utf8", maxBuffer: 16 << 20 });
    fs.writeFileSync(path.join(out, "passes", `p${p + 1}.txt`), r.stdout);
    for (const line of r.stdout.split("\n")) {
      const m = /^RESULT (\S+) ([0-9.]+)$/.exec(line);
      if (m) perCase.set(m[1] as string, [...(perCase.get(m[1] as string) ?? []), Number(m[2])]);
      else if (line.startsWith("FAILED")) process.stderr.write(`${line}\n`);
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  };
  for (const [k, v] of perCase) codl.set(k, median(v));
  const ortMs = new Map<FixtureName, number>();
  for (const model of models) {
    const session = await ort.InferenceSession.create(fs.readFileSync(path.join(out, "models", `${model}.onnx`)), { intraOpNumThreads: ortThreads, logSeverityLevel: 3 });
    const feeds: Record<string, Tensor> = {};
    for (const i of inputsOf.get(model) ?? []) feeds[i.name] = new ort.Tensor("float32", i.data, i.shape);
    for (let w = 0; w < warmup; w++) await session.run(feeds);
    const t: number[] = [];
    for (let i = 0; i < iterations * passes; i++) {
      const a = performance.now();
      await session.run(feeds);
      t.push(performance.now() - a);
    }
    ortMs.set(model, median(t));
    await session.release();
  }
  fs.writeFileSync(path.join(out, "ort.txt"), models.map((m) => `ORT ${m} ${ortMs.get(m)?.toFixed(3)}\n`).join(""));
  console.log(`profile ${profile.id}, ${size} models; codl_run: ${threads} XNNPACK thread(s), POCL_MAX_PTHREAD_COUNT=${poclThreads}, ${warmup} warm-up + ${iterations} iterations, median of ${passes} interleaved passes; ORT: onnxruntime-node CPU, ${ortThreads} threads`);
  console.log(`| model | ${strategies.join(" | ")} | ORT (${ortThreads} threads) |`);
  console.log(`|---|${strategies.map(() => "---:").join("|")}|---:|`);
  for (const model of models) {
    const cells = strategies.map((s) => codl.get(`${model}_${s.replace(/-/g, "_")}`)?.toFixed(3) ?? "failed");
    console.log(`| ${model} | ${cells.join(" | ")} | ${ortMs.get(model)?.toFixed(3)} |`);
  }
}
