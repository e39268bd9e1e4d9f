import { describe, expect, it } from "vitest";
import { featureFn, type Work } from "../../src/predict/features.js";
import { evaluateModel, fitKernelModel } from "../../src/predict/kernel-model.js";
import { mulberry32, splitByKey } from "../../src/predict/split.js";

function work(loop: number, block: number, cuWork: number, items: number): Work {
  return { loop, block, pixels: 1, taps: 1, cuWork, workGroups: items / 64, workItems: items, activeItems: items, insideShare: 1, rounds: 1, micro: 1, steps: loop, inputBytes: 0, inputs: 1, outputBytes: 0, weightBytes: 0, weightTraffic: 0, inputTraffic: 0, flops: 0, postElements: 0, oneRow: 0, tilePixels: 0 };
}

describe("fitting", () => {
  it("recovers known coefficients from synthetic samples", () => {
    const rnd = mulberry32(7);
    const features = ["loop*block", "loop*cu_work", "work_items"];
    const truth = [2e-4, 3e-6, 1e-5]; // ms per unit
    const intercept = 0.01;
    const ws: Work[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 400; i++) {
      const w = work(1 + Math.floor(rnd() * 300), 1 + Math.floor(rnd() * 8), 100 + rnd() * 20000, 64 * (1 + Math.floor(rnd() * 100)));
      ws.push(w);
      ys.push(intercept + features.reduce((s, f, j) => s + truth[j]! * featureFn(f)!(w), 0));
    }
    const m = fitKernelModel(features, ws, ys, { kernel: "k", processor: "gpu", ridge: 0, reweightRounds: 0 });
    // Un-z-score: raw coefficient = coefficient / std.
    features.forEach((_, j) => {
      expect(m.coefficients[j]! / m.stds[j]!).toBeCloseTo(truth[j]!, 9);
    });
    const rawIntercept = m.intercept - features.reduce((s, _, j) => s + (m.coefficients[j]! / m.stds[j]!) * m.means[j]!, 0);
    expect(rawIntercept).toBeCloseTo(intercept, 6);
    expect(evaluateModel(m, ws[0]!)).toBeCloseTo(ys[0]!, 8);
  });

  it("recovers them through noise with reweighting, within a few percent", () => {
    const rnd = mulberry32(11);
    const ws: Work[] = [];
    const ys: number[] = [];
    for (let i = 0; i < 600; i++) {
      const w = work(1 + Math.floor(rnd() * 300), 1, 100 + rnd() * 20000, 64);
      ws.push(w);
      const noise = i % 10 === 0 ? 1.5 : 1 + (rnd() - 0.5) * 0.04; // 10% outliers
      ys.push((0.02 + 5e-6 * w.loop * w.cuWork) * noise);
    }
    const m = fitKernelModel(["loop*cu_work"], ws, ys, { kernel: "k", processor: "gpu", ridge: 0, reweightRounds: 10 });
    expect(m.coefficients[0]! / m.stds[0]! / 5e-6).toBeGreaterThan(0.97);
    expect(m.coefficients[0]! / m.stds[0]! / 5e-6).toBeLessThan(1.03);
  });

  it("fits a roofline model: the larger of a latency chain and a throughput term, recovered from their max", () => {
    const rnd = mulberry32(23);
    const ws: Work[] = [];
    const ys: number[] = [];
    // Per-item chain: 3e-4 ms per loop iteration and output; throughput: 2e-6 ms per loop × work per CU.
    const chain = (w: Work): number => 3e-4 * w.loop * w.block;
    const throughput = (w: Work): number => 0.005 + 2e-6 * w.loop * w.cuWork;
    for (let i = 0; i < 300; i++) {
      const w = work(16 + Math.floor(rnd() * 500), 1 + Math.floor(rnd() * 4), 10 + rnd() * 600, 64 * (1 + Math.floor(rnd() * 50)));
      ws.push(w);
      ys.push(Math.max(chain(w), throughput(w)));
    }
    const opts = { kernel: "k", processor: "gpu" as const, ridge: 0, reweightRounds: 0 };
    const roof = fitKernelModel(["loop*cu_work"], ws, ys, opts, ["loop*block"]);
    expect(roof.maxWith?.features).toEqual(["loop*block"]);
    // Both regimes occur: some rows are chain-bound, some throughput-bound.
    const chainBound = ws.filter((w) => chain(w) > throughput(w)).length;
    expect(chainBound).toBeGreaterThan(30);
    expect(chainBound).toBeLessThan(270);
    for (let i = 0; i < ws.length; i++) expect(Math.abs(evaluateModel(roof, ws[i]!) / ys[i]! - 1)).toBeLessThan(1e-6);
    // A sum of the same two features cannot follow the max.
    const sum = fitKernelModel(["loop*cu_work", "loop*block"], ws, ys, opts);
    const worst = Math.max(...ws.map((w, i) => Math.abs(evaluateModel(sum, w) / ys[i]! - 1)));
    expect(worst).toBeGreaterThan(0.1);
  });

  it("splits by configuration: no key on both sides, about 30% of keys held out", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 137}` }));
    const { train, test } = splitByKey(rows, (r) => r.key, 0.3, 66);
    const trainKeys = new Set(train.map((r) => r.key));
    expect(test.every((r) => !trainKeys.has(r.key))).toBe(true);
    expect(new Set(test.map((r) => r.key)).size).toBe(41);
    expect(splitByKey(rows, (r) => r.key, 0.3, 66).test).toEqual(test);
  });
});

describe("occupancy features", () => {
  const launch = (groups: number, groupSize: number, computeUnits = 2): Work => ({
    ...work(10, 8, 0, groups * groupSize),
    workGroups: groups,
    rounds: Math.ceil(groups / computeUnits),
  });

  it("counts batches of resident work-groups per compute unit (hand-worked)", () => {
    // 3×3 256→256 on 14×14, Adreno 640: 7 groups of 224 items over 2 CUs → 4 per CU.
    // 224 pads to 256 fibers in 64-wide waves; a 768-fiber budget holds 3 → 2 batches.
    const occ = featureFn("occ_rounds(768,64)")!;
    expect(occ(launch(7, 224))).toBe(2);
    // 7 groups of 168 (pads to 192): 4 fit, the CU's 4 groups run in one batch.
    expect(occ(launch(7, 168))).toBe(1);
    // 14 groups of 168: 7 per CU, 4 per batch → 2; 28 groups of 224: 14 per CU, 3 per batch → 5.
    expect(occ(launch(14, 168))).toBe(2);
    expect(occ(launch(28, 224))).toBe(5);
    // A group larger than the budget still runs: one at a time.
    expect(occ(launch(4, 1024))).toBe(2);
    expect(featureFn("loop*occ_rounds(768,64)")!(launch(7, 224))).toBe(20);
  });
});
