/**
 * The emitter without a toolchain: determinism, weights.bin (alignment,
 * size, CRC in the table), the transforms of H and OC splits and chains,
 * float literals, and `codl compile` writing a full bundle (and a CPU-only one).
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { buildFixture, fixtureInputShapes } from "../../fixtures/index.js";
import { compileModel } from "../../src/bundle/compile.js";
import { checkForceSplit } from "../../src/bundle/forced.js";
import { readRuntimeSources } from "../../src/bundle/runtime-sources.js";
import { runCompile } from "../../src/cli/compile.js";
import { loadProfile } from "../../src/device/load-profile.js";
import type { CompilerError } from "../../src/diag/errors.js";
import { floatLit } from "../../src/emit/c-text.js";
import { convChunkField } from "../../src/emit/cpu-xnnpack.js";
import { buildProgram } from "../../src/emit/program.js";
import { floatToHalf } from "../../src/emit/weights.js";
import { halfToFloat } from "../../src/ir/tensor.js";
import { buildModel, floatTensor } from "../helpers/onnx-model.js";

const sd888 = loadProfile("sd888");
const yolo = buildFixture("yolov2", "tiny").bytes;
const yoloShapes = fixtureInputShapes("yolov2", "tiny");
const compile = (options: Parameters<typeof compileModel>[2]) => compileModel(yolo, sd888, options);
const text = (files: ReadonlyMap<string, Uint8Array>, f: string) => new TextDecoder().decode(files.get(f));

describe("emit", () => {
  it("is deterministic: the same inputs give byte-identical bundles", () => {
    const opts = { toolVersion: "t", inputShapes: yoloShapes, runtime: readRuntimeSources(), force: { dim: "H" as const, ratio: 0.4, chain: true } };
    const a = compile(opts).bundle.files;
    const b = compile(opts).bundle.files;
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [k, v] of a) expect(Buffer.from(b.get(k)!).equals(Buffer.from(v)), k).toBe(true);
    for (const f of ["CMakeLists.txt", "CMakePresets.json", "README.md", "src/model.cc", "weights.bin", "src/runtime/model_desc.h", "src/runtime/codl.cmake"]) expect(a.has(f), f).toBe(true);
    expect([...a.keys()].some((k) => k.startsWith("kernels/") && k.endsWith(".cl"))).toBe(true);
  });

  it("writes weights.bin with 64-byte aligned entries, its exact size and CRC-32 in the table", () => {
    const files = compile({ toolVersion: "t", inputShapes: yoloShapes, runtime: readRuntimeSources(), force: { dim: "OC", ratio: 0.5 } }).bundle.files;
    const blob = files.get("weights.bin")!;
    const cc = text(files, "src/model.cc");
    expect(cc).toContain(`${blob.byteLength}ull,`);
    expect(cc).toContain(`0x${(crc32(blob) >>> 0).toString(16).padStart(8, "0")}u,`);
    const offsets = [...cc.matchAll(/^ {4}\{(\d+), (\d+), WeightsKind::k(\w+), /gm)].map((m) => ({ offset: Number(m[1]), bytes: Number(m[2]), kind: m[3] }));
    expect(offsets.length).toBeGreaterThan(0);
    for (const o of offsets) {
      expect(o.offset % 64).toBe(0);
      expect(o.offset + o.bytes).toBeLessThanOrEqual(blob.byteLength);
    }
    // OC split: both processors' slices are in the blob.
    expect(new Set(offsets.map((o) => o.kind))).toEqual(new Set(["Host", "GpuBuffer"]));
  });

  it("moves the CPU's input slab in and its output slab out around an H split", () => {
    const model = buildModel({
      nodes: [{ op: "Conv", inputs: ["x", "w"], outputs: ["y"], name: "conv", attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }],
      inputs: [{ name: "x", shape: [1, 4, 10, 8] }],
      outputs: [{ name: "y" }],
      initializers: [floatTensor("w", [8, 4, 3, 3])],
    });
    const c = compileModel(model, sd888, { toolVersion: "t", force: { dim: "H", ratio: 0.5 } });
    const op = c.plan.operators[0]!;
    expect(op.placement).toMatchObject({ processor: "both", dim: "H", gpu: [0, 5], cpu: [5, 10], inputHalo: { gpu: [0, 6], cpu: [4, 10] } });
    const p = buildProgram(c.graph, c.plan);
    const chain = p.chains[0]!;
    expect(chain.in).toEqual([{ tensor: 0, to: "cpu", dim: "H", range: [4, 10] }]);
    expect(chain.out).toEqual([{ tensor: 1, to: "gpu", dim: "H", range: [5, 10] }]);
    expect(p.tensors.map((t) => [t.gpu, t.cpu, t.home])).toEqual([
      ["image", true, "gpu"],
      ["image", true, "gpu"],
    ]);
  });

  it("splits channels: OC transforms start at a multiple of 4 for images, anywhere for buffers", () => {
    const model = buildModel({
      nodes: [
        { op: "Conv", inputs: ["x", "w"], outputs: ["t"], name: "conv" },
        { op: "Relu", inputs: ["t"], outputs: ["y"], name: "relu_cpu" },
        { op: "Transpose", inputs: ["y"], outputs: ["z"], name: "transpose", attrs: { perm: [0, 1, 3, 2] } },
      ],
      inputs: [{ name: "x", shape: [1, 3, 6, 6] }],
      outputs: [{ name: "z" }],
      initializers: [floatTensor("w", [12, 3, 1, 1])],
    });
    const image = compileModel(model, sd888, { toolVersion: "t", force: { dim: "OC", ratio: 0.5 } });
    const pi = buildProgram(image.graph, image.plan);
    const split = image.plan.operators[0]!.placement.split!;
    expect(split % 4).toBe(0);
    expect(pi.chains[0]!.out).toEqual([{ tensor: 1, to: "gpu", dim: "OC", range: [split, 12] }]);
    // The CPU-only transpose pulls the GPU's channels over: a whole-pixel channel slab.
    expect(pi.chains[1]!.in).toEqual([{ tensor: 1, to: "cpu", dim: "OC", range: [0, split] }]);
    const buffer = compileModel(model, loadProfile("kirin990"), { toolVersion: "t", strategy: "mulayer" });
    const conv = buffer.plan.operators[0]!.placement;
    const pb = buildProgram(buffer.graph, buffer.plan);
    if (conv.dim === "OC") expect(pb.chains[0]!.out).toEqual([{ tensor: 1, to: "gpu", dim: "OC", range: [conv.split, 12] }]);
    expect(pb.tensors[1]!.gpu).toBe("buffer");
  });

  it("keeps chains contiguous and moves nothing inside a chain", () => {
    const c = compile({ toolVersion: "t", inputShapes: yoloShapes, force: { dim: "H", ratio: 0.4, chain: true } });
    expect(c.plan.chains.length).toBeGreaterThan(0);
    const p = buildProgram(c.graph, c.plan);
    const multi = p.chains.filter((ch) => ch.ops.length >= 2);
    expect(multi.length).toBe(c.plan.chains.length);
    for (const ch of multi) {
      const inside = new Set(ch.ops.slice(0, -1).map((op) => op.output));
      for (const t of [...ch.in, ...ch.out]) expect(inside.has(t.tensor)).toBe(false);
    }
  });

  it("chunks a convolution's CPU half by output channels only under a profile's convChunks rule", () => {
    const rule = loadProfile("host-pocl").cpu.convChunks;
    expect(rule).toBeDefined();
    // 16 MB or less, grouped, or no rule: one operator
    expect(convChunkField(rule, 1, 455, 1024 * 9)).toEqual({});
    expect(convChunkField(rule, 2, 1024, 1024 * 9)).toEqual({});
    expect(convChunkField(undefined, 1, 1024, 1024 * 9)).toEqual({});
    // 512→1024 3×3 (18.9 MB): 1 MB holds 48 channels, 16 chunks need 64
    expect(convChunkField(rule, 1, 1024, 512 * 9)).toEqual({ chunk_oc: 64 });
    // an OC part of 500 channels of 1024·9 inputs: 32 (the last chunk 20)
    expect(convChunkField(rule, 1, 500, 1024 * 9)).toEqual({ chunk_oc: 32 });
    // 1280·9 inputs, 1024 channels (47 MB): 16 chunks of 64
    expect(convChunkField(rule, 1, 1024, 1280 * 9)).toEqual({ chunk_oc: 64 });
    // a 1×1 layer with 8192 inputs and 4096 outputs (128 MB): 1 MB holds 32 channels, 16 chunks need 256
    expect(convChunkField(rule, 1, 4096, 8192)).toEqual({ chunk_oc: 256 });

    const big = buildModel({
      nodes: [{ op: "Conv", inputs: ["x", "w"], outputs: ["y"], name: "c", attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } }],
      inputs: [{ name: "x", shape: [1, 512, 4, 4] }],
      outputs: [{ name: "y" }],
      initializers: [floatTensor("w", [1024, 512, 3, 3])],
    });
    const cc = (profile: typeof sd888) => text(compileModel(big, profile, { toolVersion: "t", strategy: "cpu", runtime: readRuntimeSources() }).bundle.files, "src/model.cc");
    expect(cc({ ...sd888, cpu: { ...sd888.cpu, convChunks: rule } })).toContain("d.chunk_oc = 64;");
    expect(cc(sd888)).not.toContain("chunk_oc");
  });

  it("writes float32 literals that round-trip", () => {
    for (const x of [0, 1, -2, 0.1, 1e-5, 3.4028234663852886e38, -1.5e-7, 1 / 3]) {
      const lit = floatLit(x).replace(/[()f]/g, "");
      expect(Math.fround(Number(lit))).toBe(Math.fround(x));
    }
    expect(floatLit(Number.POSITIVE_INFINITY)).toBe("INFINITY");
  });

  it("checks the testing aids' options (exit 2)", () => {
    expect(checkForceSplit(undefined, undefined)).toBeUndefined();
    expect(checkForceSplit("OC", "0.25")).toEqual({ dim: "OC", ratio: 0.25, chain: false });
    for (const [d, r] of [["W", "0.5"], ["H", "1"], ["H", "x"], ["H", undefined]] as const) {
      try {
        checkForceSplit(d, r);
        expect.unreachable();
      } catch (e) {
        expect((e as CompilerError).code).toBe("CODL-E091");
      }
    }
  });

  it("codl compile writes a buildable bundle; --cpu-only-build turns OpenCL off", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-emit-"));
    const file = path.join(dir, "yolov2.onnx");
    fs.writeFileSync(file, yolo);
    const out = path.join(dir, "b");
    await runCompile(file, { device: "sd888", out, cpuOnlyBuild: true });
    expect(fs.readFileSync(path.join(out, "CMakeLists.txt"), "utf8")).toContain("set(CODL_CPU_ONLY ON");
    expect(fs.readFileSync(path.join(out, "src/model.cc"), "utf8")).not.toContain("GpuStorage::kImage, DType");
    expect(fs.existsSync(path.join(out, "kernels"))).toBe(false);
    const r = await runCompile(file, { device: "sd888", out, forceDim: "H", forceRatio: "0.5" });
    expect(r.report.files).toContain("src/runtime/runtime.cc");
    expect(fs.readFileSync(path.join(out, "README.md"), "utf8")).toContain("ae108ef");
    expect(JSON.parse(fs.readFileSync(path.join(out, "CMakePresets.json"), "utf8")).configurePresets.map((p: { name: string }) => p.name)).toEqual(["host", "android-arm64-v8a"]);
  });

  it("names kernel files by their text, so operators of the same shape share one", () => {
    const model = buildModel({
      nodes: [
        { op: "Conv", inputs: ["x", "w"], outputs: ["a"], name: "c1", attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
        { op: "Conv", inputs: ["a", "w"], outputs: ["y"], name: "c2", attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      ],
      inputs: [{ name: "x", shape: [1, 4, 8, 8] }],
      outputs: [{ name: "y" }],
      initializers: [floatTensor("w", [4, 4, 3, 3], Array.from({ length: 144 }, (_, i) => (i % 7) / 7 - 0.4))],
    });
    const files = compileModel(model, sd888, { toolVersion: "t", strategy: "gpu", runtime: readRuntimeSources() }).bundle.files;
    const kernels = [...files.keys()].filter((k) => k.startsWith("kernels/"));
    expect(kernels).toHaveLength(1);
    expect(kernels[0]).toMatch(/^kernels\/conv2d_[0-9a-f]{12}\.cl$/);
    expect(text(files, kernels[0]!)).not.toMatch(/c1|c2|op\d/);
    // An H split passes its rows as arguments: the same source as on the GPU alone.
    const split = compileModel(model, sd888, { toolVersion: "t", runtime: readRuntimeSources(), force: { dim: "H", ratio: 0.5 } }).bundle.files;
    expect([...split.keys()].filter((k) => k.startsWith("kernels/"))).toEqual(kernels);
    expect(text(split, "src/model.cc")).toMatch(/\{ArgKind::kInt, 0, 0, 0\.0f\}, \{ArgKind::kInt, 0, 4, 0\.0f\}/);
  });

  it("--gpu-precision fp16 stores GPU weights and inner images as half, and records it", async () => {
    const c = compile({ toolVersion: "t", inputShapes: yoloShapes, runtime: readRuntimeSources(), strategy: "gpu", gpuPrecision: "fp16" });
    const files = c.bundle.files;
    expect(c.plan.options.gpuPrecision).toBe("fp16");
    expect(JSON.parse(text(files, "manifest.json")).gpuPrecision).toBe("fp16");
    const cc = text(files, "src/model.cc");
    expect(cc).toContain("DType::kF16");
    // Graph inputs and outputs stay fp32 (the runtime reads and writes them as float).
    for (const line of cc.split("\n").filter((l) => l.includes("Proc::kGpu}") && l.includes("DType::kF16"))) expect(line).not.toMatch(/"(input|output)"/);
    const conv = [...files.keys()].find((k) => k.startsWith("kernels/conv2d_"))!;
    expect(text(files, conv)).toContain("__global const half* restrict w");
    expect(text(files, conv)).toContain("vload_half4(");
    const fp32 = compile({ toolVersion: "t", inputShapes: yoloShapes, runtime: readRuntimeSources(), strategy: "gpu" });
    expect(fp32.plan.options.gpuPrecision).toBe("fp32");
    expect(files.get("weights.bin")!.byteLength).toBeLessThan(fp32.bundle.files.get("weights.bin")!.byteLength * 0.6);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-emit-"));
    const file = path.join(dir, "yolov2.onnx");
    fs.writeFileSync(file, yolo);
    await expect(runCompile(file, { device: "sd888", out: path.join(dir, "b"), gpuPrecision: "fp8", planOnly: true })).rejects.toMatchObject({ code: "CODL-E093" });
    for (const bad of ["0", "-1", "2", "lots"]) {
      await expect(runCompile(file, { device: "sd888", out: path.join(dir, "b"), gpuPrecision: "fp16", fp16Tolerance: bad, planOnly: true })).rejects.toMatchObject({ code: "CODL-E095" });
    }
    expect(fs.existsSync(path.join(dir, "b")), "nothing written on bad input").toBe(false);
  });

  it("converts float32 to binary16 with round to nearest even", () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00],
      [1e-8, 0],
      [2 ** -24, 0x0001],
      [2 ** -14, 0x0400],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
      [Number.POSITIVE_INFINITY, 0x7c00],
    ];
    for (const [v, h] of cases) expect(floatToHalf(v), String(v)).toBe(h);
    expect(floatToHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
    for (const v of [0.1, -2.71, 1234.5, 6.1e-5, 3e-7]) expect(Math.abs(halfToFloat(floatToHalf(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
  });
});
