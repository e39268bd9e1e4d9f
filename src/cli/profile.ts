/**
 * `codl profile [--models a.onnx,… | --builtin paper] [--device <base profile>] [--out DIR]
 *  [--run] [--threads N] [--pocl-threads N] [--rounds N] [--min-ms T] [--max-rounds M] [--warmup N] [--quick]`
 * `codl profile --collect DIR [--out samples.csv] [--estimate min-pass|pooled]`
 *
 * Writes a harness (src/profile/harness.ts): one single-operator model per
 * swept configuration, compiled by codl's own emitter into a bundle, all
 * built by one CMake project against the runtime (codegen/runtime) and the
 * measuring loop (codegen/profile). With --run it builds and runs the
 * harness here (progress bar with ETA on stderr) and writes DIR/samples.csv;
 * without, it prints the exact steps for this machine, a phone over adb and
 * a carried folder. --collect turns a run's results/ into samples CSV.
 */

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { readRuntimeSources, runtimeDir } from "../bundle/runtime-sources.js";
import { profileSha256 } from "../bundle/compile.js";
import { loadProfile } from "../device/load-profile.js";
import { CompilerError } from "../diag/errors.js";
import { loadModel } from "../index.js";
import { paperBaseOps } from "../profile/builtin.js";
import { collectSamples, ESTIMATES, type Estimate, formatProfileCsv } from "../profile/collect.js";
import { CASES_FILE, type CasesDocument, DEFAULT_MAX_ROUNDS, DEFAULT_MIN_MS, prepareHarness } from "../profile/harness.js";
import { createProgress, formatDuration } from "../profile/progress.js";
import { type BaseOp, baseOpsOfGraph, buildSweep, FULL_SWEEP, QUICK_SWEEP } from "../profile/sweep.js";
import { parseRounds, type Rounds } from "../profile/trace.js";
import { externalDataReader, packageVersion, readModelFile, writeFileAtomic } from "./io.js";
import { inputShapesFor, optionFlag, parseInputShapes } from "./options.js";
import type { CommandResult } from "./result.js";

const count = (min: number) => z.coerce.number().int().min(min);

export const profileOptionsSchema = z.object({
  models: z.string().optional(),
  builtin: z.string().optional(),
  device: z.string().default("sd888"),
  out: z.string().default("codl-profile"),
  run: z.boolean().default(false),
  build: z.boolean().default(false),
  threads: count(1).default(1),
  poclThreads: count(1).optional(),
  rounds: count(1).optional(),
  minMs: z.coerce.number().min(0).default(DEFAULT_MIN_MS),
  maxRounds: count(1).optional(),
  warmup: count(0).optional(),
  passes: count(1).optional(),
  quick: z.boolean().default(false),
  collect: z.string().optional(),
  inputShape: z.array(z.string()).default([]),
  maxOps: count(1).optional(),
  only: z.string().optional(),
  ratios: z.string().optional(),
  modes: z.string().optional(),
  estimate: z.enum(ESTIMATES).default("min-pass"),
});
export type ProfileCliOptions = z.infer<typeof profileOptionsSchema>;

/** Where progress goes (stderr) and whether it is a terminal; main.ts passes process.stderr. */
export interface ProfileIo {
  readonly tty: boolean;
  readonly writeErr: (s: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ProfileReport {
  readonly out: string;
  readonly cases: number;
  readonly failedToCompile: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly buildSeconds: number | null;
  readonly runSeconds: number | null;
  readonly samples: number | null;
  readonly csv: string | null;
}

/** The profile source folder (codegen/profile) beside codegen/runtime. */
function profileSourcesDir(): string {
  return path.join(path.dirname(runtimeDir()), "profile");
}

function readDir(dir: string): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isFile()) files.set(name, new Uint8Array(fs.readFileSync(p)));
  }
  return files;
}

function writeIfChanged(file: string, bytes: Uint8Array): void {
  const next = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fs.existsSync(file) && fs.readFileSync(file).equals(next)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, next);
}

/** Evenly spaced pick of at most `n` items, first and last included. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / Math.max(1, n - 1))]!);
}

function baseOps(options: ProfileCliOptions): { ops: BaseOp[]; skipped: Map<string, number> } {
  if ((options.models === undefined) === (options.builtin === undefined)) {
    throw new CompilerError("CODL-E070", { cause: "give exactly one of --models and --builtin" });
  }
  if (options.builtin !== undefined) {
    if (options.builtin !== "paper") throw new CompilerError("CODL-E070", { cause: `unknown --builtin '${options.builtin}' (known: paper)` });
    return { ops: paperBaseOps(), skipped: new Map() };
  }
  const only = options.only === undefined ? undefined : new Set(options.only.split(",").filter((s) => s !== ""));
  const ops: BaseOp[] = [];
  const skipped = new Map<string, number>();
  const seen = new Set<string>();
  for (const file of (options.models ?? "").split(",").filter((s) => s !== "")) {
    const inputShapes = parseInputShapes(inputShapesFor(options.inputShape, path.basename(file)));
    const { graph } = loadModel(readModelFile(file), { path: file, readExternal: externalDataReader(file), inputShapes });
    const r = baseOpsOfGraph(graph, path.basename(file), only);
    for (const op of r.ops) {
      const key = JSON.stringify(op.op);
      if (!seen.has(key)) {
        seen.add(key);
        ops.push(op);
      }
    }
    for (const [k, v] of r.skipped) skipped.set(k, (skipped.get(k) ?? 0) + v);
  }
  return { ops, skipped };
}

function cmake(args: readonly string[], where: string): void {
  const r = spawnSync("cmake", args, { encoding: "utf8", maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new CompilerError("CODL-E072", { path: where, cause: `cmake ${args.join(" ")}:\n${(r.stdout ?? "").slice(-6000)}\n${(r.stderr ?? r.error?.message ?? "").slice(-6000)}` });
}

/** The CMake prefix for XNNPACK when the system lacks it (scripts/native-deps.sh), else none. */
function xnnpackPrefix(): string | undefined {
  const script = path.join(path.dirname(path.dirname(runtimeDir())), "scripts", "native-deps.sh");
  if (!fs.existsSync(script)) return undefined;
  const r = spawnSync("bash", [script], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : undefined;
}

/** Copies the shared libraries the harness needs beyond libc into DIR/lib, so the folder runs elsewhere. */
function carryLibraries(out: string, exe: string): void {
  const r = spawnSync("ldd", [exe], { encoding: "utf8" });
  if (r.status !== 0) return;
  const lib = path.join(out, "lib");
  fs.mkdirSync(lib, { recursive: true });
  for (const line of r.stdout.split("\n")) {
    const m = /^\s*(lib(?:XNNPACK|pthreadpool|cpuinfo|OpenCL)\S*)\s+=>\s+(\S+)/.exec(line);
    if (m !== null) fs.copyFileSync(m[2]!, path.join(lib, m[1]!));
  }
}

export function buildHarness(out: string, jobs: number): number {
  const started = Date.now();
  const build = path.join(out, "build");
  const prefix = xnnpackPrefix();
  const cache = path.join(build, "CMakeCache.txt");
  if (!fs.existsSync(cache) || fs.statSync(path.join(out, "CMakeLists.txt")).mtimeMs > fs.statSync(cache).mtimeMs) {
    // Ninja when present: with thousands of small targets, Make's per-target overhead dominates the build.
    const generator = fs.existsSync(cache) ? [] : spawnSync("ninja", ["--version"]).status === 0 ? ["-G", "Ninja"] : [];
    cmake(["-S", out, "-B", build, ...generator, "-DCMAKE_BUILD_TYPE=Release", ...(prefix === undefined ? [] : [`-DCMAKE_PREFIX_PATH=${prefix}`])], out);
  }
  cmake(["--build", build, `-j${jobs}`], out);
  return (Date.now() - started) / 1000;
}

/** Runs run.sh, turning its PROGRESS lines into a bar; returns the seconds it took. */
async function runHarness(out: string, args: readonly string[], io: ProfileIo, total: number): Promise<number> {
  const started = Date.now();
  const progress = createProgress("profile", total, { tty: io.tty, write: io.writeErr });
  progress(0);
  await new Promise<void>((resolve, reject) => {
    const p = spawn("sh", [path.join(out, "run.sh"), ...args], { env: { ...io.env }, stdio: ["ignore", "pipe", "pipe"] });
    let buf = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^PROGRESS (\d+) (\d+)/.exec(line);
        if (m !== null) progress(Number(m[1]));
        nl = buf.indexOf("\n");
      }
    });
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    p.on("error", reject);
    p.on("close", (status) => (status === 0 ? resolve() : reject(new CompilerError("CODL-E072", { path: out, cause: `run.sh exited ${status}: ${err.slice(-4000)}` }))));
  });
  return (Date.now() - started) / 1000;
}

function readCases(dir: string): CasesDocument {
  const file = path.join(dir, CASES_FILE);
  let doc: CasesDocument;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8")) as CasesDocument;
  } catch (e) {
    throw new CompilerError("CODL-E073", { path: dir, cause: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  if (doc.format !== "codl-profile-cases" || !Array.isArray(doc.cases)) throw new CompilerError("CODL-E073", { path: dir, cause: `${CASES_FILE} has another format` });
  return doc;
}

/** Reads DIR/results/*.json of the cases in DIR/cases.json and writes the samples CSV. */
export function collectHarness(dir: string, csvPath: string, estimate: Estimate = "min-pass"): { samples: number; missing: number; failed: readonly string[] } {
  const doc = readCases(dir);
  const results = new Map<string, Rounds[]>();
  const resultsDir = path.join(dir, "results");
  const laterPasses = new Map<string, string[]>();
  for (const f of fs.existsSync(resultsDir) ? fs.readdirSync(resultsDir).sort() : []) {
    const m = /^(.+)\.p\d+\.json$/.exec(f);
    if (m !== null) laterPasses.set(m[1]!, [...(laterPasses.get(m[1]!) ?? []), f]);
  }
  for (const c of doc.cases) {
    // Pass 1 is <case>.json, pass k > 1 <case>.p<k>.json (run.sh --passes); collectSamples' estimate combines them.
    const files = [`${c.name}.json`, ...(laterPasses.get(c.name) ?? [])].map((f) => path.join(resultsDir, f));
    if (!fs.existsSync(files[0]!)) continue;
    const passes = files.map((file) => {
      try {
        return parseRounds(JSON.parse(fs.readFileSync(file, "utf8")), file);
      } catch (e) {
        throw new CompilerError("CODL-E075", { path: file, cause: e instanceof Error ? e.message : String(e) });
      }
    });
    results.set(c.name, passes);
  }
  if (results.size === 0) throw new CompilerError("CODL-E074", { path: dir, cause: `none of its ${doc.cases.length} cases has results/<case>.json` });
  const { samples, missing } = collectSamples(doc.cases, results, estimate);
  writeFileAtomic(csvPath, formatProfileCsv(samples));
  const failedFile = path.join(dir, "results", "failed.txt");
  const failed = fs.existsSync(failedFile) ? fs.readFileSync(failedFile, "utf8").split("\n").filter((s) => s !== "") : [];
  return { samples: samples.length, missing: missing.length, failed };
}

const CASE_MODES = ["cpu", "gpu", "split"] as const;

/** --modes cpu,gpu,split: which kinds of case the harness holds (split rows' sync terms need the gpu cases too). */
function parseModes(text: string): ReadonlySet<string> {
  const modes = text.split(",").map((m) => m.trim());
  const bad = modes.find((m) => !(CASE_MODES as readonly string[]).includes(m));
  if (modes.length === 0 || bad !== undefined) throw new CompilerError("CODL-E070", { cause: `--modes '${text}': give some of ${CASE_MODES.join(", ")}, comma-separated` });
  return new Set(modes);
}

function parseRatios(text: string): number[] {
  const ratios = text.split(",").map((r) => Number(r.trim()));
  if (ratios.length === 0 || ratios.some((r) => !(r > 0 && r < 1))) throw new CompilerError("CODL-E070", { cause: `--ratios '${text}': give ratios strictly between 0 and 1, comma-separated` });
  return ratios;
}

/** run.sh's round flags: at least `rounds`, more up to the cap until they add up to --min-ms. */
function roundArgs(o: ProfileCliOptions, rounds: number): string[] {
  return ["--rounds", String(rounds), "--min-ms", String(o.minMs), "--max-rounds", String(maxRounds(o, rounds))];
}

function maxRounds(o: ProfileCliOptions, rounds: number): number {
  // Without --max-rounds the cap gives way to a larger --rounds.
  return o.maxRounds ?? Math.max(DEFAULT_MAX_ROUNDS, rounds);
}

function steps(out: string, o: ProfileCliOptions, rounds: number, warmup: number, passes: number): string {
  const poclFlag = o.poclThreads === undefined ? "" : ` --pocl-threads ${o.poclThreads}`;
  const runArgs = `--threads ${o.threads} ${roundArgs(o, rounds).join(" ")} --warmup ${warmup}${passes > 1 ? ` --passes ${passes}` : ""}${poclFlag}`;
  return [
    "",
    "This machine:",
    `  cmake -S ${out} -B ${out}/build -DCMAKE_BUILD_TYPE=Release && cmake --build ${out}/build -j`,
    `  sh ${out}/run.sh ${runArgs}`,
    `  codl profile --collect ${out} --out ${out}/samples.csv`,
    "",
    "A phone (arm64-v8a, over adb; XNNPACK from source as codegen/runtime/README.md says):",
    `  cmake -S ${out} -B ${out}/build-android -DCMAKE_BUILD_TYPE=Release \\`,
    "    -DCMAKE_TOOLCHAIN_FILE=$ANDROID_NDK/build/cmake/android.toolchain.cmake -DANDROID_ABI=arm64-v8a -DANDROID_PLATFORM=android-28 \\",
    "    -DCODL_XNNPACK_SOURCE_DIR=$PWD/XNNPACK -DOpenCL_INCLUDE_DIR=<OpenCL-Headers> -DOpenCL_LIBRARY=<libOpenCL.so pulled from /vendor/lib64>",
    `  cmake --build ${out}/build-android -j8`,
    "  adb shell mkdir -p /data/local/tmp/codl-profile/bin",
    `  adb push ${out}/cases ${out}/cases.txt ${out}/run.sh /data/local/tmp/codl-profile/`,
    `  adb push ${out}/build-android/profile_run_* /data/local/tmp/codl-profile/bin/`,
    `  adb shell 'cd /data/local/tmp/codl-profile && sh run.sh --bin bin ${runArgs}'`,
    `  adb pull /data/local/tmp/codl-profile/results ${out}/`,
    `  codl profile --collect ${out} --out ${out}/samples.csv`,
    "",
    "Another Linux machine (no Node needed there): build here with --build (it copies the libraries into lib/),",
    `  carry ${out}/{run.sh,cases.txt,cases/,build/profile_run_*,build/libcodl_profile_runtime.so,lib/},`,
    `  run 'sh run.sh ${runArgs}' there, bring results/ back and collect as above.`,
    "",
  ].join("\n");
}

export async function runProfile(rawOptions: unknown, io: ProfileIo): Promise<CommandResult & { report: ProfileReport }> {
  const parsed = profileOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CompilerError("CODL-E050", { option: optionFlag(issue?.path[0]), cause: issue?.message ?? "invalid" });
  }
  const o = parsed.data;
  if (o.collect !== undefined) {
    const csv = o.out === "codl-profile" ? path.join(o.collect, "samples.csv") : o.out;
    const r = collectHarness(o.collect, csv, o.estimate);
    const report: ProfileReport = { out: o.collect, cases: r.samples, failedToCompile: 0, skipped: {}, buildSeconds: null, runSeconds: null, samples: r.samples, csv };
    const failed = r.failed.length > 0 ? `; ${r.failed.length} cases failed at run time (results/failed.txt)` : "";
    return { exitCode: 0, stdout: `wrote ${csv}: ${r.samples} samples (${r.missing} cases without results${failed})\n`, report };
  }
  const rounds = o.rounds ?? (o.quick ? 3 : 7);
  if (o.maxRounds !== undefined && o.maxRounds < rounds) throw new CompilerError("CODL-E050", { option: "--max-rounds", cause: `${o.maxRounds} is below --rounds ${rounds}` });
  const warmup = o.warmup ?? (o.quick ? 1 : 2);
  // Three passes by default: on a shared machine a whole case is sometimes slowed 1.5–2× with
  // agreeing rounds; pooled over passes it sets a third of the rounds (host-pocl: +6 points held-out).
  const passes = o.passes ?? (o.quick ? 1 : 3);
  const profile = loadProfile(o.device);
  const { ops: allOps, skipped } = baseOps(o);
  const maxOps = o.maxOps ?? (o.quick ? 6 : Number.POSITIVE_INFINITY);
  const ops = spread(allOps, maxOps);
  if (ops.length === 0) throw new CompilerError("CODL-E077", { cause: "the models have no operator the sweep covers" });
  const sweep = o.quick ? QUICK_SWEEP : FULL_SWEEP;
  const modes = o.modes === undefined ? undefined : parseModes(o.modes);
  const cases = buildSweep(ops, o.ratios === undefined ? sweep : { ...sweep, ratios: parseRatios(o.ratios) }, profileSha256(profile)).filter((c) => modes === undefined || modes.has(c.mode.kind));
  if (cases.length === 0) throw new CompilerError("CODL-E077", { cause: `the sweep has no ${o.modes} case` });
  const out = o.out;
  const prepared = prepareHarness({
    cases,
    profile,
    toolVersion: packageVersion(),
    runtime: readRuntimeSources(),
    profileSources: readDir(profileSourcesDir()),
    onCase: io.tty ? (done, total) => io.writeErr(`\rcompiling cases ${done + 1}/${total}`) : undefined,
  });
  if (io.tty) io.writeErr("\n");
  try {
    for (const [rel, bytes] of prepared.files) writeIfChanged(path.join(out, ...rel.split("/")), bytes);
    fs.chmodSync(path.join(out, "run.sh"), 0o755);
  } catch (e) {
    throw new CompilerError("CODL-E071", { path: out, cause: (e as NodeJS.ErrnoException).code ?? String(e) }, { cause: e });
  }
  const lines = [
    `codl profile: ${ops.length} operators (of ${allOps.length}), ${prepared.cases.length} cases for ${profile.id} in ${out}${prepared.failed.length > 0 ? ` (${prepared.failed.length} not emitted)` : ""}`,
  ];
  for (const f of prepared.failed.slice(0, 5)) lines.push(`  not emitted: ${f.source} (${f.name}): ${f.cause}`);
  for (const [why, n] of skipped) lines.push(`  skipped ${n} node(s): ${why}`);
  let buildSeconds: number | null = null;
  let runSeconds: number | null = null;
  let samples: number | null = null;
  let csv: string | null = null;
  if (o.build || o.run) {
    buildSeconds = buildHarness(out, 2);
    const first = prepared.cases[0];
    if (first !== undefined) carryLibraries(out, path.join(out, "build", `profile_run_${first.name}`));
    lines.push(`built in ${formatDuration(buildSeconds)}`);
  }
  if (!o.run) {
    lines.push(steps(out, o, rounds, warmup, passes));
  } else {
    const args = ["--threads", String(o.threads), ...roundArgs(o, rounds), "--warmup", String(warmup), "--passes", String(passes), ...(o.poclThreads === undefined ? [] : ["--pocl-threads", String(o.poclThreads)])];
    runSeconds = await runHarness(out, args, io, prepared.cases.length * passes);
    csv = path.join(out, "samples.csv");
    const r = collectHarness(out, csv, o.estimate);
    samples = r.samples;
    lines.push(`ran ${prepared.cases.length} cases in ${formatDuration(runSeconds)} (${passes > 1 ? `${passes} passes of ` : ""}${rounds}–${maxRounds(o, rounds)} rounds to ${o.minMs} ms, ${warmup} warm-up, ${o.threads} thread(s))`);
    if (r.failed.length > 0) lines.push(`  ${r.failed.length} cases failed at run time: see ${out}/results/<case>.err`);
    lines.push(`wrote ${csv}: ${samples} samples`);
  }
  const report: ProfileReport = { out, cases: prepared.cases.length, failedToCompile: prepared.failed.length, skipped: Object.fromEntries(skipped), buildSeconds, runSeconds, samples, csv };
  return { exitCode: 0, stdout: `${lines.join("\n")}\n`, report };
}
