/**
 * The profiling harness as files: every case of the sweep compiled into a
 * bundle by the same compileModel/emitter as `codl compile` (strategy cpu or
 * gpu, or a forced split), and one self-contained folder around them:
 *
 *   OUT/CMakeLists.txt        one project: the runtime built once, one profile_run_<case> per case
 *   OUT/runtime/, profile/    codegen/runtime and codegen/profile, copied (the folder builds anywhere)
 *   OUT/cases/<case>/         the bundle: src/model.cc, kernels/*.cl, weights.bin, plan.json
 *   OUT/cases.json            what each case measures (processor, kernel ids, OpConfig, slice)
 *   OUT/cases.txt             case names, one a line, for run.sh
 *   OUT/run.sh                POSIX sh: runs every case (warm-up, rounds) into OUT/results/, resumable
 *
 * No fs here: the caller writes the returned files (src/cli/profile.ts).
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import { compileModel } from "../bundle/compile.js";
import { opConfigOf } from "../kernels/from-ir.js";
import type { OpConfig } from "../kernels/op-config.js";
import { encodeSyntheticModel } from "../onnx/encode.js";
import { cpuSlabBytes, gpuShare, type SplitDim } from "../predict/coexec.js";
import type { ProfileCase } from "./sweep.js";

export const CASES_FILE = "cases.json";
export const CASES_FORMAT = "codl-profile-cases";

/** What one case measures; collect.ts turns its rounds into samples rows. */
export interface CaseMeta {
  readonly name: string;
  readonly mode: "cpu" | "gpu" | "split";
  readonly dim: SplitDim | "none";
  readonly ratio: number;
  readonly source: string;
  /** The kernel ids the predictor uses for this operator (plan.json's). */
  readonly kernels: { readonly cpu: string; readonly gpu: string | null };
  /** The measured operator as the predictor sees it. */
  readonly config: OpConfig;
  /** Split cases: bytes the CPU's input slab and output part move (predict/coexec.ts cpuSlabBytes). */
  readonly slab: { readonly inputBytes: number; readonly outputBytes: number; readonly share: number } | null;
}

export interface CasesDocument {
  readonly format: typeof CASES_FORMAT;
  readonly version: 1;
  readonly profile: string;
  readonly toolVersion: string;
  readonly cases: readonly CaseMeta[];
}

export interface PreparedHarness {
  /** Relative path → bytes. */
  readonly files: Map<string, Uint8Array>;
  readonly cases: readonly CaseMeta[];
  /** Cases the emitter refused, with the reason. */
  readonly failed: ReadonlyArray<{ readonly name: string; readonly source: string; readonly cause: string }>;
}

export interface HarnessInput {
  readonly cases: readonly ProfileCase[];
  readonly profile: DeviceProfile;
  readonly toolVersion: string;
  /** codegen/runtime files by relative path. */
  readonly runtime: ReadonlyMap<string, Uint8Array>;
  /** codegen/profile files by relative path. */
  readonly profileSources: ReadonlyMap<string, Uint8Array>;
  readonly onCase?: (done: number, total: number) => void;
}

const encoder = new TextEncoder();

export function prepareHarness(input: HarnessInput): PreparedHarness {
  const files = new Map<string, Uint8Array>();
  const metas: CaseMeta[] = [];
  const failed: { name: string; source: string; cause: string }[] = [];
  input.cases.forEach((c, i) => {
    input.onCase?.(i, input.cases.length);
    const bytes = encodeSyntheticModel(c.op, c.name);
    const options =
      c.mode.kind === "split"
        ? { strategy: "codl", force: { dim: c.mode.dim, ratio: c.mode.ratio } }
        : { strategy: c.mode.kind };
    let compiled: ReturnType<typeof compileModel>;
    try {
      compiled = compileModel(bytes, input.profile, { ...options, toolVersion: input.toolVersion, runtime: input.runtime, modelName: c.name });
    } catch (e) {
      failed.push({ name: c.name, source: c.source, cause: e instanceof Error ? e.message : String(e) });
      return;
    }
    const node = compiled.graph.nodes[0];
    const op = compiled.plan.operators[0];
    if (node === undefined || op === undefined || compiled.plan.operators.length !== 1) {
      failed.push({ name: c.name, source: c.source, cause: `expected one operator, the plan has ${compiled.plan.operators.length}` });
      return;
    }
    const config = opConfigOf(compiled.graph, node);
    let slab: CaseMeta["slab"] = null;
    if (c.mode.kind === "split") {
      const share = gpuShare(config, c.mode.dim, c.mode.ratio);
      const b = cpuSlabBytes(config, c.mode.dim, share);
      slab = { inputBytes: b.input, outputBytes: b.output, share };
    }
    for (const [rel, data] of compiled.bundle.files) {
      if (rel.startsWith("src/runtime/") || rel === "CMakeLists.txt" || rel === "CMakePresets.json" || rel === "README.md") continue;
      files.set(`cases/${c.name}/${rel}`, data);
    }
    metas.push({ name: c.name, mode: c.mode.kind, dim: c.dim, ratio: c.ratio, source: c.source, kernels: { cpu: op.kernels.cpu, gpu: op.kernels.gpu }, config, slab });
  });
  for (const [rel, data] of input.runtime) files.set(`runtime/${rel}`, data);
  for (const [rel, data] of input.profileSources) files.set(`profile/${rel}`, data);
  const doc: CasesDocument = { format: CASES_FORMAT, version: 1, profile: input.profile.id, toolVersion: input.toolVersion, cases: metas };
  files.set(CASES_FILE, encoder.encode(`${JSON.stringify(doc, null, 1)}\n`));
  files.set("cases.txt", encoder.encode(metas.map((m) => `${m.name}\n`).join("")));
  files.set("CMakeLists.txt", encoder.encode(harnessCmake(metas.map((m) => m.name))));
  files.set("run.sh", encoder.encode(RUN_SCRIPT));
  files.set("README.md", encoder.encode(harnessReadme(input.profile.id, metas.length)));
  return { files, cases: metas, failed };
}

export function harnessCmake(names: readonly string[]): string {
  return [
    "# Generated by codl profile: the runtime once, one profile_run_<case> per synthetic model.",
    "cmake_minimum_required(VERSION 3.16)",
    "project(codl_profile CXX)",
    `include("\${CMAKE_CURRENT_SOURCE_DIR}/runtime/codl.cmake")`,
    `include("\${CMAKE_CURRENT_SOURCE_DIR}/profile/profile.cmake")`,
    ...names.map((n) => `codl_add_profile_case(NAME ${n} SOURCES cases/${n}/src/model.cc)`),
    "",
  ].join("\n");
}

/**
 * Runs every case; needs only a POSIX shell (Android's included). Results go
 * to results/<case>.json; a case with a result is skipped, so a run resumes.
 * With --passes P, every case runs again in each of P passes over all cases
 * (results/<case>.p<k>.json for pass k > 1): a case slowed as a whole by
 * something else on the machine (its rounds agree, all too slow) is one pass
 * of P, and collect pools the rounds of every pass.
 * Progress: one "PROGRESS done total case seconds" line per case and pass on stdout.
 */
/** run.sh's defaults (and codl profile's): measure a case past --rounds until its rounds add up to this many ms… */
export const DEFAULT_MIN_MS = 5;
/** …but at most this many rounds. */
export const DEFAULT_MAX_ROUNDS = 50;

export const RUN_SCRIPT = `#!/bin/sh
# run.sh: measures every case of this codl profile harness.
#   sh run.sh [--bin DIR] [--threads N] [--rounds N] [--min-ms T] [--max-rounds M] [--warmup N] [--passes P] [--pocl-threads N] [--jobs N] [--only NAME]
# --bin: where the profile_run_<case> executables are (default: build).
# --rounds N, --min-ms T, --max-rounds M: each case measures at least N rounds, then more
#   until they add up to T ms (default ${DEFAULT_MIN_MS}), at most M rounds (default ${DEFAULT_MAX_ROUNDS}): a short case's
#   median then rests on tens of timings, not a handful.
# --passes P: P passes over all cases, each case measured once per pass
#   (results/<case>.json, then results/<case>.p2.json …); collect pools them.
# --threads: XNNPACK threads; --pocl-threads: sets POCL_MAX_PTHREAD_COUNT (PoCL only).
# --jobs N: first run every unmeasured case once, N at a time, unmeasured, so the
#   OpenCL program builds (codl's program cache, the driver's own kernel cache)
#   happen in parallel; the measuring pass after it runs one case at a time.
# Libraries in ./lib (if present) are found through LD_LIBRARY_PATH.
set -u
cd "$(dirname "$0")"
BIN=build; THREADS=1; ROUNDS=5; MIN_MS=${DEFAULT_MIN_MS}; MAX_ROUNDS=${DEFAULT_MAX_ROUNDS}; WARMUP=2; PASSES=1; JOBS=1; ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --min-ms) MIN_MS="$2"; shift 2 ;;
    --max-rounds) MAX_ROUNDS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --passes) PASSES="$2"; shift 2 ;;
    --pocl-threads) POCL_MAX_PTHREAD_COUNT="$2"; export POCL_MAX_PTHREAD_COUNT; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --only) ONLY="$2"; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -d lib ]; then LD_LIBRARY_PATH="$PWD/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"; export LD_LIBRARY_PATH; fi
CODL_CACHE_DIR="$PWD/cl-cache"; export CODL_CACHE_DIR
mkdir -p results cl-cache
total=$(wc -l < cases.txt | tr -d ' ')
if [ "$JOBS" -gt 1 ]; then
  mkdir -p prepare
  while read -r name; do [ -f "results/$name.json" ] || echo "$name"; done < cases.txt |
    BIN="$BIN" POCL_MAX_PTHREAD_COUNT=1 xargs -P "$JOBS" -I{} sh -c '"$BIN/profile_run_{}" --bundle "cases/{}" --warmup 0 --rounds 1 --threads 1 --out "prepare/{}.json" > /dev/null 2>&1; rm -f "prepare/{}.json"'
  rmdir prepare 2> /dev/null
  echo "PREPARED $total"
fi
done_n=0
start=$(date +%s)
pass=1
while [ "$pass" -le "$PASSES" ]; do
  suffix=""; [ "$pass" -gt 1 ] && suffix=".p$pass"
  while read -r name; do
    done_n=$((done_n + 1))
    [ -n "$ONLY" ] && [ "$ONLY" != "$name" ] && continue
    # A case that failed is not tried again in later passes of the same run.
    if [ ! -f "results/$name$suffix.json" ] && { [ "$pass" -eq 1 ] || [ -f "results/$name.json" ]; }; then
      if "$BIN/profile_run_$name" --bundle "cases/$name" --warmup "$WARMUP" --rounds "$ROUNDS" --min-ms "$MIN_MS" --max-rounds "$MAX_ROUNDS" --threads "$THREADS" --out "results/$name$suffix.json.tmp" 2> "results/$name.err"; then
        mv "results/$name$suffix.json.tmp" "results/$name$suffix.json"; rm -f "results/$name.err"
      else
        echo "$name" >> results/failed.txt
      fi
    fi
    echo "PROGRESS $done_n $((total * PASSES)) $name $(( $(date +%s) - start ))"
  done < cases.txt
  pass=$((pass + 1))
done
echo "DONE $total $(( $(date +%s) - start ))"
`;

function harnessReadme(profile: string, n: number): string {
  return `# codl profile harness

${n} single-operator models compiled by codl for profile \`${profile}\`, each linked with
\`profile/profile_run.cc\` and the codl runtime. Build, run, collect:

\`\`\`sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j
sh run.sh --threads 1 --rounds 5 --warmup 2 --passes 3   # results/<case>.json (+ .p2, .p3)
codl profile --collect .  --out samples.csv           # back where codl is installed
\`\`\`

\`cases.json\` says what each case measures; \`run.sh --help\` is at its top.
`;
}
