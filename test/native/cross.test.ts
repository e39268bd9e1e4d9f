/**
 * The aarch64 cross-build: the runtime and the test model, compiled with
 * Debian's GCC cross toolchain against arm64 XNNPACK/pthreadpool/OpenCL
 * packages unpacked into a sysroot (scripts/native-cross-deps.sh), using the
 * toolchain file bundles ship (src/runtime/toolchains/aarch64-linux-gnu.cmake).
 * The CPU-only variant runs under qemu-aarch64-static and must match the
 * TypeScript reference; the OpenCL variant must build and link (no arm64
 * OpenCL device exists here to run it). Then a real bundle: a tiny fixture
 * compiled by `codl compile --strategy cpu --cpu-only-build`, built for
 * aarch64 from the bundle's own files, run under qemu, checked against ONNX
 * Runtime.
 */

import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFixture, describeFixture } from "../../fixtures/index.js";
import { compileModel } from "../../src/bundle/compile.js";
import { readRuntimeSources } from "../../src/bundle/runtime-sources.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { assembleBundle, buildBundle, repoRoot, writeIfChanged } from "./bundle.js";
import { readNpy, writeNpy } from "./npy.js";
import { layoutWeights, makeWeights, type OutputName, reference, seededFloats, type Tensor } from "./test-model.js";

/** Cross tests may skip only outside CI, and only when the cross toolchain or qemu is missing. */
function crossToolchainMissing(): string | undefined {
  if (process.env.CI) return undefined;
  if (spawnSync("aarch64-linux-gnu-g++", ["--version"]).status !== 0) return "aarch64-linux-gnu-g++";
  if (spawnSync("qemu-aarch64-static", ["--version"]).status !== 0) return "qemu-aarch64-static";
  if (spawnSync("cmake", ["--version"]).status !== 0) return "cmake";
  return undefined;
}

const missing = crossToolchainMissing();
const bundle = path.join(repoRoot, "build/native/test-model-arm64");
const weights = makeWeights();
const x: Tensor = { shape: [1, 3, 20, 18], data: seededFloats(3 * 20 * 18, 101) };
const y: Tensor = { shape: [1, 8, 1, 1], data: seededFloats(8, 202) };
let sysroot = "";
let work = "";
let cpuOnlyRun = "";
let openclRun = "";
let toolchain: string[] = [];

function qemu(binary: string, args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync("qemu-aarch64-static", ["-L", "/usr/aarch64-linux-gnu", "-E", `LD_LIBRARY_PATH=${sysroot}/usr/lib/aarch64-linux-gnu`, binary, ...args], {
    encoding: "utf8",
    timeout: 300_000,
  });
}

describe.skipIf(missing !== undefined)("aarch64 cross-build", () => {
  beforeAll(() => {
    const deps = spawnSync("bash", [path.join(repoRoot, "scripts/native-cross-deps.sh")], { encoding: "utf8" });
    if (deps.status !== 0) throw new Error(`scripts/native-cross-deps.sh failed:\n${deps.stderr}`);
    sysroot = deps.stdout.trim();
    assembleBundle(path.join(repoRoot, "codegen/test-model"), bundle);
    fs.writeFileSync(path.join(bundle, "weights.bin"), layoutWeights(weights).bin);
    fs.writeFileSync(path.join(bundle, "src/weights_table.inc"), layoutWeights(weights).tableInc);
    toolchain = [`-DCMAKE_TOOLCHAIN_FILE=${path.join(bundle, "src/runtime/toolchains/aarch64-linux-gnu.cmake")}`, `-DCODL_ARM64_SYSROOT=${sysroot}`];
    cpuOnlyRun = buildBundle(bundle, [...toolchain, "-DCODL_CPU_ONLY=ON", "-DCODL_MODEL_SOURCE=src/model_cpu.cc"], "build-arm64-cpu").codlRun;
    openclRun = buildBundle(bundle, toolchain, "build-arm64").codlRun;
    work = fs.mkdtempSync(path.join(os.tmpdir(), "codl-cross-"));
    writeNpy(path.join(work, "x.npy"), x.shape, x.data);
    writeNpy(path.join(work, "y.npy"), y.shape, y.data);
  }, 900_000);

  it("builds aarch64 executables, with and without OpenCL", () => {
    for (const binary of [cpuOnlyRun, openclRun]) {
      const header = fs.readFileSync(binary).subarray(0, 20);
      expect(header.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
      // e_machine at offset 18: 0xB7 is EM_AARCH64.
      expect(header.readUInt16LE(18)).toBe(0xb7);
    }
  });

  it("runs the CPU-only model under qemu-aarch64-static and matches the reference", () => {
    const outputs: readonly OutputName[] = ["t2", "silu", "out", "prob"];
    // One thread: pthreadpool's spinning workers crawl under user-mode emulation.
    const r = qemu(cpuOnlyRun, [
      "--bundle", bundle,
      "--input", `x=${path.join(work, "x.npy")}`,
      "--input", `y=${path.join(work, "y.npy")}`,
      ...outputs.flatMap((name) => ["--output", `${name}=${path.join(work, `${name}.npy`)}`]),
      "--warmup", "0", "--iterations", "1", "--threads", "1",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("device: CPU only | XNNPACK, 1 thread");
    const ref = reference(weights, x, y);
    for (const name of outputs) {
      const got = readNpy(path.join(work, `${name}.npy`));
      const want = ref[name];
      expect(got.shape, name).toEqual(want.shape);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < want.data.length; i++) {
        worst = Math.max(worst, Math.abs(got.data[i]! - want.data[i]!));
        scale = Math.max(scale, Math.abs(want.data[i]!));
      }
      expect(worst, `${name}: max |error| ${worst} vs max |ref| ${scale}`).toBeLessThanOrEqual(1e-4 * scale);
    }
  });

  it("builds a compiled tiny fixture bundle for aarch64 and matches ONNX Runtime under qemu", async () => {
    const name = "resnet50";
    const fixture = buildFixture(name, "tiny");
    const inputShapes = describeFixture(name, "tiny").inputShapes;
    const compiled = compileModel(fixture.bytes, loadProfile("sd888"), {
      strategy: "cpu",
      cpuOnlyBuild: true,
      inputShapes,
      toolVersion: "cross-test",
      runtime: readRuntimeSources(),
    });
    const dir = path.join(repoRoot, "build/native/fixture-arm64", name);
    for (const [rel, bytes] of compiled.bundle.files) writeIfChanged(path.join(dir, rel), bytes);
    const bundleToolchain = [`-DCMAKE_TOOLCHAIN_FILE=${path.join(dir, "src/runtime/toolchains/aarch64-linux-gnu.cmake")}`, toolchain[1] as string];
    const run = buildBundle(dir, bundleToolchain, "build-arm64").codlRun;
    const [input, shape] = Object.entries(inputShapes)[0] as [string, number[]];
    const data = seededFloats(shape.reduce((p, d) => p * d, 1), 5);
    writeNpy(path.join(work, "fx-in.npy"), shape, data);
    const r = qemu(run, ["--bundle", dir, "--input", `${input}=${path.join(work, "fx-in.npy")}`, "--output", path.join(work, "fx-out.npy"), "--warmup", "0", "--iterations", "1", "--threads", "1"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const session = await ort.InferenceSession.create(fixture.bytes, { logSeverityLevel: 3 });
    const ref = await session.run({ [input]: new ort.Tensor("float32", data, shape) });
    await session.release();
    const want = Object.values(ref)[0]?.data as Float32Array;
    const got = readNpy(path.join(work, "fx-out.npy")).data;
    expect(got.length).toBe(want.length);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      scale = Math.max(scale, Math.abs(want[i]!));
    }
    expect(worst, `max |error| ${worst} vs max |ref| ${scale}`).toBeLessThanOrEqual(1e-4 * scale);
  }, 900_000);
});
