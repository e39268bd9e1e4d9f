import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadProfile } from "../../src/device/load-profile.js";
import type { OpConfig } from "../../src/kernels/op-config.js";
import { predictChain } from "../../src/predict/chain.js";
import { bestSplit, idealMs, inputRows, predictCoexec } from "../../src/predict/coexec.js";

const profile = loadProfile("sd855", path.resolve("profiles"));
const conv3: OpConfig = { op: "conv2d", n: 1, ih: 104, iw: 104, ic: 64, oh: 104, ow: 104, oc: 128, kh: 3, kw: 3, sh: 1, sw: 1, groups: 1, padTop: 1 };

describe("co-execution", () => {
  it("computes halos: output rows [a, b) of a 3×3 s1 p1 conv read [a−1, b+1) clipped", () => {
    expect(inputRows(conv3, 0, 52)).toEqual([0, 53]);
    expect(inputRows(conv3, 52, 104)).toEqual([51, 104]);
  });

  it("pays sharing only when split and not chained", () => {
    const split = predictCoexec(profile, conv3, "H", 0.5);
    expect(split.syncMs).toBe(profile.sharing.syncMs);
    expect(split.transformMs).toBeGreaterThan(0);
    expect(split.totalMs).toBeCloseTo(split.transformMs + split.mapMs + split.syncMs + Math.max(split.cpuMs, split.gpuMs), 12);
    const chained = predictCoexec(profile, conv3, "H", 0.5, { chained: true });
    expect(chained.syncMs).toBe(0);
    const gpuOnly = predictCoexec(profile, conv3, "OC", 1);
    expect(gpuOnly.cpuMs).toBe(0);
    expect(gpuOnly.totalMs).toBe(gpuOnly.gpuMs);
  });

  it("the ideal bound is never above the best real split", () => {
    expect(idealMs(profile, conv3)).toBeLessThanOrEqual(bestSplit(profile, conv3).cost.totalMs + 1e-12);
  });

  it("propagates the halo backwards through a chain", () => {
    const c = { ...conv3, ic: 64, oc: 64 };
    const chain = predictChain(profile, [c, c, c], 0.5);
    // last op: GPU rows [0, 52), CPU [52, 104); each earlier op needs one more row on each side.
    expect(chain.rows).toEqual([
      [54, 50],
      [53, 51],
      [52, 52],
    ]);
    expect(chain.totalMs).toBeGreaterThan(0);
  });
});
