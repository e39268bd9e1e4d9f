import { describe, expect, it } from "vitest";
import { cpuTiling } from "../../src/kernels/cpu-xnnpack.js";
import { type GpuSpec, pickConvWorkGroup } from "../../src/kernels/gpu-blocking.js";
import { fcSplit, gpuLaunch } from "../../src/kernels/gpu-conv.js";
import type { OpConfig } from "../../src/kernels/op-config.js";
import { convGenericBlock, tfliteKernelId, tfliteLaunch, usesConstantMemory } from "../../src/kernels/tflite-gpu.js";

const adreno: GpuSpec = { vendor: "adreno", computeUnits: 2, waveSize: 64, maxWorkGroupSize: 1024, constantMemoryBytes: 3584 };
const mali: GpuSpec = { vendor: "mali", computeUnits: 12, waveSize: 8, maxWorkGroupSize: 384, constantMemoryBytes: 1024 };

function conv(h: number, ic: number, oc: number, k = 1, s = 1): OpConfig {
  const oh = Math.floor((h - k) / s) + 1;
  return { op: "conv2d", n: 1, ih: h, iw: h, ic, oh, ow: oh, oc, kh: k, kw: k, sh: s, sw: s, groups: 1 };
}

describe("GPU blocking", () => {
  it("reproduces the 14×14 work-group padding cliff (320 vs 288 channels)", () => {
    // 320 → 80 slices; waves = 196·80/2/128 = 61 → block 2×2×2, grid 7×7×40.
    // z = 40 (divides 40), xy = 256/40 = 6 → x = 6: two groups cover 7 columns, 5 of 12 wasted.
    const a = tfliteLaunch("tflite.conv_generic_1x1", conv(14, 320, 320), adreno);
    expect(a.block).toEqual([2, 2, 2]);
    expect(a.grid).toEqual([7, 7, 40]);
    expect(a.local).toEqual([6, 1, 40]);
    expect(a.workGroups).toBe(14);
    expect(a.workItems).toBe(14 * 240);
    // 288 → 72 slices, grid 7×7×36: z = 36, xy = 7 → x = 7, no waste.
    const b = tfliteLaunch("tflite.conv_generic_1x1", conv(14, 288, 288), adreno);
    expect(b.local).toEqual([7, 1, 36]);
    expect(b.workGroups).toBe(7);
    expect(b.loop).toBe(72);
  });

  it("picks work-groups as hand-worked", () => {
    expect(pickConvWorkGroup([7, 7, 16], 1024, 64)).toEqual([7, 2, 16]);
    expect(pickConvWorkGroup([56, 56, 4], 1024, 64)).toEqual([56, 1, 4]);
    expect(pickConvWorkGroup([4, 4, 3], 384, 16)).toEqual([4, 2, 3]); // y = 4 would cover the grid; halved
  });

  it("chooses Mali blocks by task size per compute unit", () => {
    expect(convGenericBlock(conv(7, 64, 64), mali)).toEqual([1, 1, 1]); // 49·16/12 = 65 ≤ 256
    expect(convGenericBlock(conv(14, 64, 128), mali)).toEqual([2, 1, 1]); // 196·32/12 = 523
    expect(convGenericBlock(conv(56, 64, 64), mali)).toEqual([2, 2, 2]); // 3136·16/12 = 4181 > 4096 → 8 (1×1 is not capped)
    expect(convGenericBlock(conv(58, 64, 64, 3), mali)).toEqual([2, 1, 2]); // same task, 3×3 caps the block at 4
  });

  it("keeps small filters in constant memory on Adreno (the 3.5 KB cliff)", () => {
    expect(usesConstantMemory(conv(56, 32, 32), adreno)).toBe(true); // 32·32·2 = 2 KB
    expect(usesConstantMemory(conv(56, 64, 32), adreno)).toBe(false); // 4 KB
    expect(usesConstantMemory(conv(56, 32, 64), adreno)).toBe(false); // 16 slices > 8
    expect(tfliteKernelId(conv(56, 32, 32), "convolution_2d", adreno)).toBe("tflite.conv_constants");
  });

  it("shares an FC's K loop among gpu.fcSplitK work items, never more than its float4 steps", () => {
    // VGG-16's first FC: 25088 → 4096, 6272 float4 steps per 4 outputs.
    const fc: OpConfig = { op: "fc", n: 1, ih: 1, iw: 1, ic: 25088, oh: 1, ow: 1, oc: 4096, kh: 1, kw: 1, sh: 1, sw: 1, groups: 1 };
    const h100: GpuSpec = { vendor: "other", computeUnits: 132, waveSize: 32, maxWorkGroupSize: 1024, constantMemoryBytes: 65536 };
    const whole = gpuLaunch(fc, h100, "gpu.fc");
    expect([whole.grid, whole.local, whole.loop]).toEqual([[1024, 1, 1], [64, 1, 1], 6272]);
    const split = gpuLaunch(fc, { ...h100, fcSplitK: 32 }, "gpu.fc");
    expect([split.grid, split.local, split.loop, split.workItems]).toEqual([[32768, 1, 1], [32, 1, 1], 196, 32768]);
    expect(fcSplit(fc, { ...h100, fcSplitK: 32 })).toBe(32);
    // 8 inputs are 2 float4 steps: at most 2 items share them; a work-group never exceeds the device's.
    expect(fcSplit({ ...fc, ic: 8 }, { ...h100, fcSplitK: 32 })).toBe(2);
    expect(fcSplit(fc, { ...h100, fcSplitK: 2048 })).toBe(1024);
    expect(fcSplit(fc, h100)).toBe(1);
  });

  it("codl's own 1×1 kernel grows its block with waves per CU", () => {
    const small = gpuLaunch(conv(7, 64, 64), adreno); // 49·16/2/64 = 6 waves → 2×1×1
    expect(small.kernel).toBe("gpu.conv2d_1x1");
    expect(small.block).toEqual([2, 1, 1]);
    const big = gpuLaunch(conv(56, 64, 128), adreno); // 3136·32/2/64 = 784 waves → 4×1×2
    expect(big.block).toEqual([4, 1, 2]);
    expect(big.grid).toEqual([14, 56, 16]);
    expect(big.rounds).toBe(Math.ceil(big.workGroups / 2));
    const direct = gpuLaunch(conv(58, 64, 64, 3), adreno);
    expect(direct.kernel).toBe("gpu.conv2d_direct");
    expect(direct.loop).toBe(16 * 9);
  });
});

describe("CPU tiling (XNNPACK)", () => {
  it("splits a GEMM into mr rows and nc columns with ~5 tiles per thread", () => {
    // 56×56×64→64 1×1: M = 3136 → 523 mr-tiles of 6; one nc = 64 suffices (523 ≥ 4·5).
    const t = cpuTiling(conv(56, 64, 64), { threads: 4, mr: 6, nr: 8, cr: 16 });
    expect(t.kernel).toBe("cpu.gemm");
    expect(t.tiles).toBe(523);
    expect(t.rounds).toBe(131);
    expect(t.microPerTile).toBe(8);
    expect(t.steps).toBe(64);
    // 1×1 spatial (fc-like): 1 mr-tile; N = 1000 split so 4 threads get 5 tiles: nc = ceil(1000/20) → 56.
    const fc = cpuTiling({ op: "fc", n: 1, ih: 1, iw: 1, ic: 512, oh: 1, ow: 1, oc: 1000, kh: 1, kw: 1, sh: 1, sw: 1, groups: 1 }, { threads: 4, mr: 6, nr: 8, cr: 16 });
    expect(fc.nc).toBe(56);
    expect(fc.tiles).toBe(18);
    expect(fc.rounds).toBe(5);
  });
});
