import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../src/device/load-profile.js";
import { selectCpuKernel } from "../../src/kernels/cpu-xnnpack.js";
import { selectGpuKernel } from "../../src/kernels/gpu-conv.js";
import type { OpConfig } from "../../src/kernels/op-config.js";
import { predictCpuMs, predictGpuMs, pricedKernel } from "../../src/predict/coexec.js";
import { workOf } from "../../src/predict/work.js";
import { evaluateModel } from "../../src/predict/kernel-model.js";
import { launchFloors, trainKernelModels, type TrainSample, DEFAULT_TRAIN } from "../../src/predict/train.js";

const profile = loadProfile("sd855", path.resolve("profiles"));
const elt = (onnxOp?: string): OpConfig => ({ op: "eltwise", n: 1, ih: 16, iw: 16, ic: 32, oh: 16, ow: 16, oc: 32, kh: 1, kw: 1, sh: 1, sw: 1, groups: 1, ...(onnxOp === undefined ? {} : { onnxOp }) });

describe("element-wise kernel ids", () => {
  it("follow what runs: XNNPACK or a generated loop on the CPU, the vectorised or the generic kernel on the GPU", () => {
    expect([selectCpuKernel(elt("Add")), selectGpuKernel(elt("Add"))]).toEqual(["cpu.eltwise", "gpu.eltwise"]);
    expect([selectCpuKernel(elt("LeakyRelu")), selectGpuKernel(elt("LeakyRelu"))]).toEqual(["cpu.custom", "gpu.eltwise"]);
    expect([selectCpuKernel(elt("Concat")), selectGpuKernel(elt("Concat"))]).toEqual(["cpu.concat", "gpu.concat"]);
    expect([selectCpuKernel(elt("Resize")), selectGpuKernel(elt("Resize"))]).toEqual(["cpu.resize", "gpu.resize"]);
    expect([selectCpuKernel(elt("Pad")), selectGpuKernel(elt("Pad"))]).toEqual(["cpu.pad", "gpu.element"]);
    expect([selectCpuKernel(elt("Tanh")), selectGpuKernel(elt("Tanh"))]).toEqual(["cpu.math", "gpu.eltwise"]);
    expect([selectCpuKernel(elt("HardSwish")), selectGpuKernel(elt("HardSwish"))]).toEqual(["cpu.custom", "gpu.eltwise"]);
    expect([selectCpuKernel(elt()), selectGpuKernel(elt())]).toEqual(["cpu.eltwise", "gpu.eltwise"]);
    for (const op of ["Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze"]) expect([selectCpuKernel(elt(op)), selectGpuKernel(elt(op))]).toEqual(["cpu.layout", "gpu.layout"]);
  });

  it("a profile trained before the split prices the new ids with its eltwise models, as before", () => {
    expect(pricedKernel(profile, "cpu.concat")).toBe("cpu.eltwise");
    expect(pricedKernel(profile, "gpu.element")).toBe("gpu.eltwise");
    // Two splits deep: cpu.layout came from cpu.custom, which came from cpu.eltwise.
    expect(pricedKernel(profile, "cpu.layout")).toBe("cpu.eltwise");
    expect(pricedKernel(profile, "gpu.layout")).toBe("gpu.eltwise");
    const host = loadProfile("host-pocl", path.resolve("profiles"));
    expect(pricedKernel(host, "cpu.layout")).toBe("cpu.layout");
    expect(predictCpuMs(profile, elt("Concat"))).toBe(predictCpuMs(profile, elt()));
    expect(predictGpuMs(profile, elt("Pad"))).toBe(predictGpuMs(profile, elt()));
  });
});

describe("launch floor", () => {
  it("is each processor's fastest training row, and no prediction of its models goes below it", () => {
    const samples: TrainSample[] = [];
    for (let i = 1; i <= 24; i++) {
      const c = { ...elt("Add"), oh: i, ih: i };
      samples.push({ key: `k${i}`, kernel: "cpu.eltwise", processor: "cpu", work: workOf("cpu.eltwise", c, profile), latencyMs: 0.002 + 1e-4 * i });
    }
    const floors = launchFloors(samples);
    expect(floors.get("cpu")).toBeCloseTo(0.0021, 12);
    const [r] = trainKernelModels(samples, { ...DEFAULT_TRAIN, holdout: 0, path: "test" });
    expect(r!.model.floorMs).toBeCloseTo(0.0021, 12);
    const tiny = workOf("cpu.eltwise", { ...elt("Add"), oh: 1, ih: 1, ow: 1, iw: 1, oc: 1, ic: 1 }, profile);
    expect(evaluateModel(r!.model, tiny)).toBeGreaterThanOrEqual(0.0021);
  });
});
