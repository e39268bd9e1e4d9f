/**
 * Lowering keeps the numbers: each tiny fixture, imported and run through
 * the whole pipeline (folding, Conv+BN folding, activation fusion, DCE), is
 * exported back to ONNX and must compute what the original computes in
 * ONNX Runtime, to float32 rounding (the 1e-4 × max|reference| bound the runtime is held to).
 */

import { describe, expect, it } from "vitest";
import { buildFixture, describeFixture, FIXTURES } from "../../fixtures/index.js";
import { loadModel } from "../../src/index.js";
import { exportGraph } from "../helpers/export-ir.js";
import { runOrt } from "../helpers/ort.js";

describe("the lowered graph computes what the original model computes", () => {
  for (const name of FIXTURES) {
    it(name, async () => {
      const fixture = buildFixture(name, "tiny");
      const { inputShapes } = describeFixture(name, "tiny");
      const { graph, events } = loadModel(fixture.bytes, { inputShapes });
      const original = await runOrt(fixture.bytes, inputShapes, 7);
      const lowered = await runOrt(exportGraph(graph), inputShapes, 7);
      for (const out of fixture.outputs) {
        const a = original[out.name]?.data as Float32Array;
        const b = lowered[out.name]?.data as Float32Array;
        expect(b.length).toBe(a.length);
        const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0) || 1;
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
        expect(worst / scale, `${out.name}: max abs error ${worst} against max |ref| ${scale}`).toBeLessThan(1e-4);
      }
      const bn = Object.entries(fixture.opCounts).find(([op]) => op === "BatchNormalization")?.[1] ?? 0;
      const foldedBn = events.filter((e) => e.kind === "Conv+BatchNormalization").length;
      expect(foldedBn).toBe(bn);
    });
  }
});
