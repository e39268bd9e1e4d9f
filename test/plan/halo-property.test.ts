/**
 * The halo property over random chains of conv and pool operators: in every
 * chain the planner forms (and in every chain of the DP's search space),
 * the two sides' owned output rows cover each row exactly once, and every
 * input row an operator's rows read is computed by the side that reads it.
 * Dependencies are enumerated tap by tap here, independently of inputRange.
 */

import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { type ChainLayer, randomChain } from "../../bench/plan-synthetic.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { evaluateSegments } from "../../src/plan/evaluate.js";
import { chainCost } from "../../src/plan/halo.js";
import { buildPlanGraph } from "../../src/plan/ops.js";
import { searchPathDp } from "../../src/plan/search-dp.js";
import { createContext } from "../../src/plan/strategies.js";
import { ratioGrid } from "../../src/plan/index.js";

const profile = loadProfile("sd855", path.resolve("profiles"));

/** Input rows output row r of a layer reads, by enumerating its taps (clipped to the input). */
function taps(layer: ChainLayer, r: number, inRows: number): number[] {
  const rows: number[] = [];
  for (let t = 0; t < layer.k; t++) {
    const i = r * layer.stride - layer.pad + t * layer.dilation;
    if (i >= 0 && i < inRows) rows.push(i);
  }
  return rows;
}

interface Rows {
  gpuEnd: number;
  cpuStart: number;
  own: number;
}

/** Violations of the property for one chain (empty when it holds); plain loops, one expect per chain. */
function checkChain(layers: readonly ChainLayer[], heights: readonly number[], rows: readonly Rows[], share: number): string[] {
  const bad: string[] = [];
  const n = rows.length;
  if (rows[n - 1]!.own !== share) bad.push(`last op owns ${rows[n - 1]!.own} rows, not ${share}`);
  for (let k = 0; k < n; k++) {
    const h = heights[k + 1]!;
    const r = rows[k]!;
    // Owned rows: [0, own) on the GPU and [own, H) on the CPU — each row once, each inside what that side computes.
    const owners = new Array<number>(h).fill(0);
    for (let i = 0; i < r.own; i++) owners[i]! += 1;
    for (let i = r.own; i < h; i++) owners[i]! += 1;
    if (!owners.every((c) => c === 1)) bad.push(`op ${k}: rows not owned exactly once`);
    if (r.own > r.gpuEnd || r.own < r.cpuStart) bad.push(`op ${k}: owned split ${r.own} outside GPU [0, ${r.gpuEnd}) / CPU [${r.cpuStart}, ${h})`);
    if (k === 0) continue;
    // Every row the next layer computes on a side reads only rows that side computed.
    const prev = rows[k - 1]!;
    const layer = layers[k]!;
    for (let o = 0; o < r.gpuEnd; o++) for (const i of taps(layer, o, heights[k]!)) if (i >= prev.gpuEnd) bad.push(`op ${k} GPU row ${o} reads row ${i}, GPU computed [0, ${prev.gpuEnd})`);
    for (let o = r.cpuStart; o < h; o++) for (const i of taps(layer, o, heights[k]!)) if (i < prev.cpuStart) bad.push(`op ${k} CPU row ${o} reads row ${i}, CPU computed [${prev.cpuStart}, …)`);
  }
  return bad;
}

function heightsOf(layers: readonly ChainLayer[], h0: number): number[] {
  const hs = [h0];
  for (const l of layers) hs.push(Math.floor((hs[hs.length - 1]! + 2 * l.pad - ((l.k - 1) * l.dilation + 1)) / l.stride) + 1);
  return hs;
}

describe("halo propagation over random conv/pool chains", () => {
  it("covers rows exactly once and computes every needed row on the side that needs it (300 chains × every ratio)", () => {
    const ratios = ratioGrid(0.1);
    let checked = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const { graph, layers, height } = randomChain(seed);
      const pg = buildPlanGraph(graph);
      expect(pg.paths).toHaveLength(1);
      const ctx = createContext(pg, profile, { ratios, maxChain: 32, minGain: 0 });
      const ops = pg.ops;
      const heights = heightsOf(layers, height);
      expect(ops.map((o) => o.ir.outRows)).toEqual(heights.slice(1));
      for (const ratio of ratios) {
        const share = ctx.model.shareOf(ops[ops.length - 1]!, "H", ratio);
        if (share === undefined) continue;
        const c = chainCost(ctx.model, ops, ratio, share);
        expect(checkChain(layers, heights, c.rows, share)).toEqual([]);
        checked++;
      }
      // The DP's chains obey the same property, and its objective is what evaluate.ts reports.
      const dp = searchPathDp(ctx.model, ops, ["any"], ctx.choices, ratios, 32);
      const ev = evaluateSegments(ctx.model, pg, dp.segments);
      expect(ev.totalMs).toBeCloseTo(dp.totalMs, 9);
      for (const s of dp.segments) {
        if (s.kind !== "chain") continue;
        const first = s.ops[0]!;
        const c = chainCost(ctx.model, s.ops.map((i) => ops[i]!), s.ratio, s.share);
        expect(checkChain(layers.slice(first, first + s.ops.length), heights.slice(first), c.rows, s.share)).toEqual([]);
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
