/**
 * The native runtime (codegen/runtime) on the hand-written test model
 * (codegen/test-model): one CMake build, then codl_run on .npy inputs, checked
 * against a TypeScript reference, its trace, and its error paths. Needs cmake,
 * OpenCL (PoCL here) and XNNPACK; skipped outside CI only when they are missing.
 */

import { type SpawnSyncReturns, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { assembleBundle, buildBundle, copyTree, nativeToolchainMissing, repoRoot } from "./bundle.js";
import { readNpy, writeNpy } from "./npy.js";
import { layoutWeights, makeWeights, type OutputName, reference, seededFloats, type Tensor } from "./test-model.js";

const missing = nativeToolchainMissing();
const bundle = path.join(repoRoot, "build/native/test-model");
let codlRun = "";
let codlRunCpuOnly = "";
const buildSeconds: number[] = [];
let work = "";
let cacheDir = "";
const weights = makeWeights();
const x: Tensor = { shape: [1, 3, 20, 18], data: seededFloats(3 * 20 * 18, 101) };
const y: Tensor = { shape: [1, 8, 1, 1], data: seededFloats(8, 202) };

function runCodl(args: readonly string[], env: Record<string, string> = {}, binary = codlRun): SpawnSyncReturns<string> {
  return spawnSync(binary, args, {
    encoding: "utf8",
    env: { ...process.env, CODL_CACHE_DIR: cacheDir, ...env },
    timeout: 300_000,
  });
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst, `${what}: max |error| ${worst} vs max |ref| ${maxAbs(expected)}`).toBeLessThanOrEqual(1e-4 * maxAbs(expected));
}

/** The cores this process may use, from /proc/self/status (Cpus_allowed_list, e.g. "0-1"). */
function allowedCores(): number[] {
  const list = /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))![1]!;
  return list.split(",").flatMap((item) => {
    const [lo, hi] = item.split("-").map(Number);
    return Array.from({ length: (hi ?? lo!) - lo! + 1 }, (_, i) => lo! + i);
  });
}

/** Each thread's Cpus_allowed_list of a running process (threads may come and go while read). */
function threadCoreLists(pid: number): string[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        const m = /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8"));
        return m ? [m[1]!] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** A copy of the built bundle's runtime files (weights.bin, kernels/) that a test may break. */
function scratchBundle(name: string): string {
  const dir = path.join(work, name);
  copyTree(path.join(bundle, "kernels"), path.join(dir, "kernels"));
  fs.copyFileSync(path.join(bundle, "weights.bin"), path.join(dir, "weights.bin"));
  return dir;
}

describe.skipIf(missing !== undefined)("native runtime on the test model", () => {
  beforeAll(() => {
    assembleBundle(path.join(repoRoot, "codegen/test-model"), bundle);
    const { bin, tableInc } = layoutWeights(weights);
    fs.writeFileSync(path.join(bundle, "weights.bin"), bin);
    const inc = path.join(bundle, "src/weights_table.inc");
    if (!fs.existsSync(inc) || fs.readFileSync(inc, "utf8") !== tableInc) fs.writeFileSync(inc, tableInc);
    const built = buildBundle(bundle);
    codlRun = built.codlRun;
    // The same bundle folder, built again without OpenCL around its CPU-only model table.
    const cpuOnly = buildBundle(bundle, ["-DCODL_CPU_ONLY=ON", "-DCODL_MODEL_SOURCE=src/model_cpu.cc"], "build-cpu-only");
    codlRunCpuOnly = cpuOnly.codlRun;
    buildSeconds.push(built.seconds, cpuOnly.seconds);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "codl-native-"));
    cacheDir = path.join(work, "cl-cache"); // one program cache per test run
    fs.mkdirSync(cacheDir);
    writeNpy(path.join(work, "x.npy"), x.shape, x.data);
    writeNpy(path.join(work, "y.npy"), y.shape, y.data);
  }, 600_000);

  const outputs: readonly OutputName[] = ["t2", "silu", "out", "prob"];
  const outFile = (name: string, variant = "") => path.join(work, `${name}${variant}.npy`);
  const expectReference = (variant: string, input = x) => {
    const ref = reference(weights, input, y);
    for (const name of outputs) {
      const got = readNpy(outFile(name, variant));
      expect(got.shape, name).toEqual(ref[name].shape);
      expectClose(got.data, ref[name].data, name);
    }
  };

  it("matches the TypeScript reference on every output, with a trace", () => {
    const out = (name: string) => outFile(name);
    const r = runCodl([
      "--bundle", bundle,
      "--input", `y=${path.join(work, "y.npy")}`,
      "--input", `x=${path.join(work, "x.npy")}`,
      "--output", out("t2"),
      "--output", `out=${out("out")}`,
      "--output", `silu=${out("silu")}`,
      "--output", `prob=${out("prob")}`,
      "--warmup", "1", "--iterations", "3", "--threads", "2",
      "--trace", path.join(work, "trace.json"),
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/median latency: \d+\.\d+ ms \(3 iterations, 1 warm-up\)/);
    expect(r.stdout).toMatch(/device: OpenCL: .* \| XNNPACK, 2 threads/);
    expectReference("");

    const trace = JSON.parse(fs.readFileSync(path.join(work, "trace.json"), "utf8"));
    expect(trace.format).toBe("codl-trace");
    expect(trace.iterations).toBe(3);
    expect(trace.latency_ms.all).toHaveLength(3);
    expect(trace.ops.map((o: { id: string }) => o.id)).toEqual(["op0", "op1", "op2", "op3", "op4", "op5", "op6", "op7", "op8", "op9", "op10", "op11"]);
    for (const op of trace.ops) {
      const cpu = op.placement !== "gpu";
      const gpu = op.placement !== "cpu";
      expect(op.cpu_ms === null, `${op.id} cpu_ms`).toBe(!cpu);
      expect(op.gpu_ms === null, `${op.id} gpu_ms`).toBe(!gpu);
      if (cpu) expect(op.cpu_ms).toBeGreaterThan(0);
      if (gpu) expect(op.gpu_ms).toBeGreaterThan(0);
    }
    expect(trace.ops[1]).toMatchObject({ dim: "OC", gpu_out: [0, 8], cpu_out: [8, 12], chain: "c1" });
    expect(trace.chains.map((c: { id: string }) => c.id)).toEqual(["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"]);
    expect(trace.chains[2].ops).toEqual(["op2", "op3"]);
    expect(trace.chains[0].transform_in_ms).toBeGreaterThan(0);
    // Liveness: t1, t3 and t6 can share one image; 8 image tensors need fewer than 8 images.
    expect(trace.memory.images).toBeLessThan(8);
    type Span = { op: string | null; chain: string | null; what: string; start_ms: number; end_ms: number };
    const timeline: Span[] = trace.timeline;
    const whats = new Set(timeline.map((e) => e.what));
    for (const w of ["cpu", "gpu", "transform_in", "transform_out", "flush"]) expect(whats).toContain(w);
    // Concurrency by construction: each split chain's GPU work is flushed before its CPU halves start.
    for (const chain of trace.chains.filter((c: { dim: string }) => c.dim !== "none")) {
      const flush = timeline.find((e) => e.what === "flush" && e.chain === chain.id);
      const cpuStarts = timeline.filter((e) => e.what === "cpu" && chain.ops.includes(e.op)).map((e) => e.start_ms);
      expect(flush, chain.id).toBeDefined();
      expect(cpuStarts.length, chain.id).toBe(chain.ops.length);
      for (const t of cpuStarts) expect(t, chain.id).toBeGreaterThanOrEqual(flush!.start_ms);
    }
  });

  it("runs the CPU-only variant in a CODL_CPU_ONLY build (no OpenCL)", () => {
    const r = runCodl(
      [
        "--bundle", bundle,
        "--input", path.join(work, "x.npy"), "--input", path.join(work, "y.npy"),
        ...outputs.flatMap((name) => ["--output", `${name}=${outFile(name, "-cpu")}`]),
        "--warmup", "0", "--iterations", "2", "--threads", "1",
      ],
      { CODL_CL_DEVICE: "no-such-gpu" }, // never consulted
      codlRunCpuOnly,
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/device: CPU only \| XNNPACK, 1 thread\n/);
    expectReference("-cpu");
  });

  it("caches program binaries per device, driver and source, and rebuilds a corrupt entry", () => {
    // The reference run above filled the run's cache: the transforms plus the 7 operator kernels.
    const cached = fs.readdirSync(cacheDir).filter((f) => f.endsWith(".clbin"));
    expect(cached).toHaveLength(8);
    // A copy of the cache with one entry broken (rebuilding all of them on PoCL costs seconds).
    const corrupt = path.join(work, "corrupt-cache");
    fs.mkdirSync(corrupt, { recursive: true });
    for (const f of cached) fs.copyFileSync(path.join(cacheDir, f), path.join(corrupt, f));
    fs.writeFileSync(path.join(corrupt, cached[0]!), "not a binary");
    const r = runCodl(["--bundle", bundle, "--input", path.join(work, "x.npy"), "--input", path.join(work, "y.npy"), "--iterations", "1"], {
      CODL_CACHE_DIR: corrupt,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    for (const f of cached) expect(fs.statSync(path.join(corrupt, f)).size).toBeGreaterThan(100);
  });

  it("runs a batch of 2: row slabs per batch item, transforms over N rows, broadcast over the batch", () => {
    const x2: Tensor = { shape: [2, 3, 20, 18], data: seededFloats(2 * 3 * 20 * 18, 303) };
    writeNpy(path.join(work, "x2.npy"), x2.shape, x2.data);
    const r = runCodl(
      [
        "--bundle", bundle,
        "--input", path.join(work, "x2.npy"), "--input", path.join(work, "y.npy"),
        ...outputs.flatMap((name) => ["--output", `${name}=${outFile(name, "-b2")}`]),
        "--warmup", "0", "--iterations", "2", "--threads", "2",
      ],
      {},
      path.join(path.dirname(codlRun), "codl_run_b2"),
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expectReference("-b2", x2);
  });

  it("pins XNNPACK to --cpu-cores and the OpenCL driver's threads to --gpu-cores, with the same outputs", async () => {
    const cores = allowedCores();
    const [cpuCore, gpuCore] = [cores[0]!, cores[cores.length - 1]!];
    const child = spawn(
      codlRun,
      [
        "--bundle", bundle,
        "--input", path.join(work, "x.npy"), "--input", path.join(work, "y.npy"),
        ...outputs.flatMap((name) => ["--output", `${name}=${outFile(name, "-pinned")}`]),
        "--warmup", "0", "--iterations", "400", "--threads", "1", "--cpu-cores", String(cpuCore), "--gpu-cores", String(gpuCore),
      ],
      { env: { ...process.env, CODL_CACHE_DIR: cacheDir } },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    // While it runs, the cores each of its threads may use (/proc/<pid>/task/*/status).
    const seen = new Set<string>();
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      for (const list of threadCoreLists(child.pid!)) seen.add(list);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await exited, stderr).toBe(0);
    expect(stderr).toBe("");
    expect(stdout).toContain(`(driver threads on cores ${gpuCore})`);
    expect(stdout).toContain(`XNNPACK, 1 thread on cores ${cpuCore}`);
    expect([...seen], "PoCL's worker threads").toContain(String(gpuCore));
    expect([...seen], "the thread running XNNPACK").toContain(String(cpuCore));
    expectReference("-pinned");
  });

  it("reports a bad core list and more threads than pinned cores (exit code 2), and fits the default threads to the cores", () => {
    const inputs = ["--bundle", bundle, "--input", path.join(work, "x.npy"), "--input", path.join(work, "y.npy"), "--iterations", "1"];
    let r = runCodl([...inputs, "--cpu-cores", "1-0"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CODL-R001: CPU cores '1-0': the range 1-0 runs backwards/);
    r = runCodl([...inputs, "--gpu-cores", "4096"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CODL-R001: GPU driver cores '4096': core 4096 is not one this process may use/);
    r = runCodl(inputs, { CODL_CPU_CORES: "x" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CODL-R001: CPU cores 'x': 'x' is not a core number/);
    // Without --threads, the default thread count fits the pinned cores.
    r = runCodl([...inputs, "--cpu-cores", String(allowedCores()[0])]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`XNNPACK, 1 thread on cores ${allowedCores()[0]}`);
    r = runCodl([...inputs, "--threads", "2", "--cpu-cores", String(allowedCores()[0])]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CODL-R001: 2 CPU threads do not fit CPU cores \d+ \(1\); use at most one thread per core/);
  });

  it("reports a wrong input shape and dtype, with exit code 2", () => {
    const bad = path.join(work, "x-bad.npy");
    writeNpy(bad, [1, 3, 20, 17], new Float32Array(3 * 20 * 17));
    let r = runCodl(["--bundle", bundle, "--input", `x=${bad}`, "--input", `y=${path.join(work, "y.npy")}`, "--iterations", "1"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CODL-R001: input 'x' has shape \[1, 3, 20, 17\], the model expects \[1, 3, 20, 18\]/);

    const f64 = path.join(work, "x-f64.npy");
    writeNpy(f64, [1, 3, 20, 18], new Float64Array(3 * 20 * 18));
    r = runCodl(["--bundle", bundle, "--input", `x=${f64}`, "--input", `y=${path.join(work, "y.npy")}`, "--iterations", "1"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/x-f64\.npy: dtype '<f8' is not supported/);

    r = runCodl(["--bundle", bundle, "--input", `x=${path.join(work, "x.npy")}`, "--iterations", "1"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the model has 2 inputs, 1 given/);
  });

  it("reports missing and corrupt weights.bin, with exit code 2", () => {
    const inputs = ["--input", path.join(work, "x.npy"), "--input", path.join(work, "y.npy"), "--iterations", "1"];
    const corrupt = scratchBundle("corrupt");
    const bytes = fs.readFileSync(path.join(corrupt, "weights.bin"));
    bytes[100] = (bytes[100]! ^ 0xff) & 0xff;
    fs.writeFileSync(path.join(corrupt, "weights.bin"), bytes);
    let r = runCodl(["--bundle", corrupt, ...inputs]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/CODL-R002: .*weights\.bin: corrupt weights \(CRC-32 [0-9a-f]{8}, the model expects [0-9a-f]{8}\)/);

    fs.writeFileSync(path.join(corrupt, "weights.bin"), bytes.subarray(0, 64));
    r = runCodl(["--bundle", corrupt, ...inputs]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/weights\.bin: 64 bytes, the model expects \d+/);

    fs.rmSync(path.join(corrupt, "weights.bin"));
    r = runCodl(["--bundle", corrupt, ...inputs]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/weights\.bin: cannot open the weights file/);
  });

  it("reports a CODL_CL_DEVICE that matches nothing, with exit code 3", () => {
    const r = runCodl(["--bundle", bundle, "--input", path.join(work, "x.npy"), "--input", path.join(work, "y.npy")], {
      CODL_CL_DEVICE: "no-such-gpu",
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/CODL-R003: no OpenCL device matches CODL_CL_PLATFORM='' CODL_CL_DEVICE='no-such-gpu'; available:\n {2}platform 0: /);
  });

  it("reports a machine without any OpenCL platform, with exit code 3", () => {
    // ocl-icd finds no driver in an empty vendors folder.
    const r = runCodl(["--bundle", bundle, "--input", path.join(work, "x.npy"), "--input", path.join(work, "y.npy")], {
      OCL_ICD_VENDORS: path.join(work, "no-vendors"),
    });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/CODL-R003: no OpenCL platform found .*install an OpenCL driver/);
  });

  it("reports a kernel that fails to build, with its build log", () => {
    const broken = scratchBundle("broken-kernel");
    const file = path.join(broken, "kernels/op4_pool.cl");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("acc = fmax(", "acc = fmaxx("));
    const r = runCodl(["--bundle", broken, "--input", path.join(work, "x.npy"), "--input", path.join(work, "y.npy")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/CODL-R004: kernels\/op4_pool\.cl: OpenCL build failed .*build log:/s);
    expect(r.stderr).toMatch(/fmaxx/);
  });

  it("rejects bad arguments with usage, with exit code 2", () => {
    const r = runCodl(["--bundle", bundle, "--iterations", "zero"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--iterations needs an integer/);
  });
});
