/**
 * The calibration loop on this machine, small enough for CI (a few minutes):
 * `codl profile --quick --run` on the tiny YOLOv2 (PoCL as the GPU, 1 thread
 * each) → `codl train` → `codl compile` with the trained profile → build and
 * run the bundle with --trace → `codl explain --trace` and
 * `codl train --from-trace`. It checks the loop closes, not accuracy
 * (BENCHMARKS.md, "Profiling and calibration" has the numbers).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFixture } from "../../fixtures/index.js";
import { runCompile } from "../../src/cli/compile.js";
import { runExplain } from "../../src/cli/explain.js";
import { runProfile } from "../../src/cli/profile.js";
import { runTrain } from "../../src/cli/train.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { parseTrace } from "../../src/profile/trace.js";
import { buildBundle, nativeToolchainMissing, xnnpackPrefix } from "../native/bundle.js";
import { writeNpy } from "../native/npy.js";

const missing = nativeToolchainMissing();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "codl-profile-"));
const BASE = path.resolve(__dirname, "bases/host-pocl.json");
const env = { ...process.env, POCL_MAX_PTHREAD_COUNT: "1", POCL_KERNEL_CACHE: "1", POCL_CACHE_DIR: path.join(tmp, "pocl-cache"), CODL_CACHE_DIR: path.join(tmp, "cl-cache") };
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(missing !== undefined)("profile → train → compile → run → explain --trace", () => {
  const model = path.join(tmp, "yolov2.onnx");
  const harness = path.join(tmp, "harness");
  const trained = path.join(tmp, "host-quick.json");
  const bundle = path.join(tmp, "bundle");
  const trace = path.join(tmp, "trace.json");
  let profileOut = "";
  let seconds = 0;

  beforeAll(async () => {
    fs.writeFileSync(model, buildFixture("yolov2", "tiny").bytes);
    xnnpackPrefix();
    const started = Date.now();
    const p = await runProfile({ models: model, quick: true, run: true, device: BASE, out: harness, threads: "1", poclThreads: "1", inputShape: [] }, { tty: false, writeErr: () => {}, env });
    profileOut = p.stdout;
    seconds = (Date.now() - started) / 1000;
  }, 600_000);

  it("profiles quickly and writes samples CSV", () => {
    expect(profileOut).toMatch(/wrote .*samples\.csv: \d+ samples/);
    expect(seconds).toBeLessThan(300);
    const csv = fs.readFileSync(path.join(harness, "samples.csv"), "utf8");
    expect(csv.split("\n")[0]).toMatch(/^processor,op,kernel,n,ih,iw,ic,oh,ow,oc,kh,kw,sh,sw,groups,latency_ms,dim,ratio,rounds,stdev_ms/);
    for (const op of ["conv2d", "transform_in", "map_in", "sync"]) expect(csv).toContain(`,${op},`);
  });

  it("measures each case for at least --rounds rounds, then until they add up to --min-ms (5), at most 50", () => {
    const results = fs.readdirSync(path.join(harness, "results")).filter((f) => f.endsWith(".json"));
    expect(results.length).toBeGreaterThan(0);
    const counts = new Set<number>();
    for (const f of results) {
      const r = JSON.parse(fs.readFileSync(path.join(harness, "results", f), "utf8")) as { min_ms: number; wall_ms: number[]; rounds: unknown[] };
      const n = r.wall_ms.length;
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(r.min_ms).toBe(5);
      expect(r.rounds.length).toBe(n);
      expect(n).toBeGreaterThanOrEqual(3);
      expect(n).toBeLessThanOrEqual(50);
      // It stopped at the first round that reached 5 ms in all, or at 50.
      if (n < 50) expect(sum(r.wall_ms)).toBeGreaterThanOrEqual(5);
      if (n > 3) expect(sum(r.wall_ms.slice(0, -1))).toBeLessThan(5);
      counts.add(n);
    }
    // The quick sweep's single-operator cases take well under 5 ms a round: some needed more than 3.
    expect([...counts].some((n) => n > 3)).toBe(true);
  });

  it("profile_run refuses a malformed or out-of-range count or time with exit 2 and writes nothing", () => {
    const name = fs.readFileSync(path.join(harness, "cases.txt"), "utf8").split("\n")[0]!;
    const bin = path.join(harness, "build", `profile_run_${name}`);
    for (const bad of [["--min-ms", "abc"], ["--min-ms", "-1"], ["--rounds", "5x"], ["--warmup", "1.5"], ["--rounds", "9", "--max-rounds", "8"]]) {
      const out = path.join(tmp, "bad-args.json");
      const r = spawnSync(bin, ["--bundle", path.join(harness, "cases", name), ...bad, "--out", out], { env, encoding: "utf8" });
      expect(r.status, bad.join(" ")).toBe(2);
      expect(r.stderr).toContain("profile_run: error:");
      expect(fs.existsSync(out)).toBe(false);
    }
  });

  it("trains a profile with measured sharing, compiles, runs and explains against the trace", async () => {
    const t = await runTrain(path.join(harness, "samples.csv"), { base: BASE, out: trained });
    expect(t.stdout).toContain("FLOPs-linear");
    expect(t.report.sharing.length).toBeGreaterThan(0);
    const profile = loadProfile(trained);
    expect(profile.kernelModels.some((m) => m.nSamples > 0 && m.source?.startsWith("measured"))).toBe(true);

    await runCompile(model, { device: trained, out: bundle, strategy: "codl" });
    const built = buildBundle(bundle, [`-DCMAKE_PREFIX_PATH=${xnnpackPrefix()}`]);
    const plan = JSON.parse(fs.readFileSync(path.join(bundle, "plan.json"), "utf8")) as { model: { inputs: { shape: number[] }[] } };
    const shape = plan.model.inputs[0]!.shape;
    const input = path.join(tmp, "in.npy");
    writeNpy(input, shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5));
    const run = spawnSync(built.codlRun, ["--bundle", bundle, "--input", input, "--threads", "1", "--warmup", "2", "--iterations", "5", "--trace", trace], { env, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);

    const e = await runExplain(bundle, { trace });
    expect(e.measured).toBeDefined();
    expect(e.measured!.rows.length).toBe(e.plan.operators.length);
    expect(e.measured!.measuredTotalMs).toBeGreaterThan(0);
    expect(e.stdout).toMatch(/total: predicted [\d.]+ ms, measured median [\d.]+ ms/);

    const refit = await runTrain(path.join(harness, "samples.csv"), { base: trained, out: path.join(tmp, "refit.json"), fromTrace: trace, model });
    expect(refit.report.total.nTrain).toBeGreaterThan(t.report.total.nTrain);
    // The trace also fits the runtime's own cost outside the kernels (profile.runtime).
    expect(refit.report.runtime.length).toBe(1);
    expect(refit.report.profile.runtime).toBeDefined();

    // --runtime-only: the base's kernel and sharing models untouched, only the runtime refitted.
    const rtOnly = await runTrain(undefined, { base: trained, out: path.join(tmp, "rt.json"), fromTrace: trace, model, runtimeOnly: true });
    expect(rtOnly.stdout).toMatch(/runtime \(in-sample\): [\d.]+ ms a run/);
    const before = loadProfile(trained);
    const after = loadProfile(path.join(tmp, "rt.json"));
    expect(after.kernelModels).toEqual(before.kernelModels);
    expect(after.sharing).toEqual(before.sharing);
    expect(after.runtime).toBeDefined();
    await expect(runTrain(path.join(harness, "samples.csv"), { base: trained, out: path.join(tmp, "x.json"), fromTrace: trace, model, runtimeOnly: true })).rejects.toMatchObject({ code: "CODL-E050" });

    // Every chain of the trace says what its transforms moved (sharing.copy is fitted from it).
    const traced = parseTrace(JSON.parse(fs.readFileSync(trace, "utf8")), trace);
    expect(traced.chains.every((c) => Array.isArray(c.transfers))).toBe(true);
    // --calibrate: each whole operator the trace timed, by exact configuration.
    await runTrain(undefined, { base: trained, out: path.join(tmp, "cal.json"), fromTrace: trace, model, runtimeOnly: true, calibrate: true });
    const cal = loadProfile(path.join(tmp, "cal.json"));
    const whole = traced.ops.filter((o) => o.placement !== "split" && ((o.cpu_ms ?? 0) > 0 || (o.gpu_ms ?? 0) > 0));
    expect(cal.calibration!.ops.length).toBeGreaterThan(0);
    expect(cal.calibration!.ops.length).toBeLessThanOrEqual(whole.length);
    expect(cal.calibration!.ops.every((o) => o.ms > 0 && o.runs >= 1)).toBe(true);
    // ... and each timed part of each split operator (calibration.parts): as many runs as parts.
    const partCount = traced.ops.filter((o) => o.placement === "split").reduce((n, o) => n + ((o.cpu_ms ?? 0) > 0 ? 1 : 0) + ((o.gpu_ms ?? 0) > 0 ? 1 : 0), 0);
    expect((cal.calibration!.parts ?? []).reduce((n, p) => n + p.runs, 0)).toBe(partCount);
    // Provenance says what this training changed, from which trace.
    expect(cal.provenance.notes?.split("\n").at(-1)).toMatch(new RegExp(`^then codl train --runtime-only --calibrate --from-trace \\(1 trace: ${path.basename(trace).replace(/\./g, "\\.")}\\): refitted runtime overhead.*; calibration \\(${cal.calibration!.ops.length} operators\\)$`));
    // Calibrating again on top keeps one entry per configuration: the same trace replaces its own.
    await runTrain(undefined, { base: path.join(tmp, "cal.json"), out: path.join(tmp, "cal2.json"), fromTrace: trace, model, runtimeOnly: true, calibrate: true });
    const cal2 = JSON.parse(fs.readFileSync(path.join(tmp, "cal2.json"), "utf8")) as typeof cal;
    expect(cal2.calibration!.ops).toEqual(cal.calibration!.ops);
    expect(cal2.calibration!.source).toMatch(/then codl train --from-trace --calibrate: .* re-measured\)$/);
    await expect(runTrain(undefined, { base: trained, out: path.join(tmp, "y.json"), calibrate: true })).rejects.toMatchObject({ code: "CODL-E050" });
  }, 600_000);
});
