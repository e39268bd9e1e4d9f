/**
 * The static fp16 check (src/plan/half-precision.ts): the range it bounds for a
 * saturating output, on hand-built convolutions whose answer is known, on the
 * fixtures (fst refused, the rest kept), and what compile records.
 */

import { describe, expect, it } from "vitest";
import { buildFixture, FIXTURES, fixtureInputShapes } from "../../fixtures/index.js";
import { compileModel } from "../../src/bundle/compile.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { loadModel } from "../../src/index.js";
import { halfPrecisionRisks } from "../../src/plan/half-precision.js";
import { buildModel, floatTensor } from "../helpers/onnx-model.js";

/** input [1,2,4,4] → 1×1 Conv to 1 channel with weights (w, w) and bias b → activation `act`. */
function convModel(w: number, b: number, act: "Tanh" | "Sigmoid" | "Relu"): Uint8Array {
  return buildModel({
    inputs: [{ name: "x", shape: [1, 2, 4, 4] }],
    outputs: [{ name: "y", shape: [1, 1, 4, 4] }],
    initializers: [floatTensor("w", [1, 2, 1, 1], [w, w]), floatTensor("b", [1], [b])],
    nodes: [
      { op: "Conv", inputs: ["x", "w", "b"], outputs: ["z"], attrs: { kernel_shape: [1, 1] } },
      { op: act, inputs: ["z"], outputs: ["y"] },
    ],
  });
}

const graphOf = (bytes: Uint8Array) => loadModel(bytes, {}).graph;

describe("halfPrecisionRisks", () => {
  it("bounds a Tanh's input by |mean| + 4·sd of the linear part and refuses above the tolerance", () => {
    // z = 30·x0 + 30·x1 + 5 with unit-variance inputs: mean 5, sd 30·√2; bound 5 + 4·42.43 = 174.7.
    const [risk] = halfPrecisionRisks(graphOf(convModel(30, 5, "Tanh")));
    expect(risk).toBeDefined();
    expect(risk!.saturating).toBe("tanh");
    expect(risk!.output).toBe("y");
    expect(risk!.inputBound).toBeCloseTo(5 + 4 * 30 * Math.SQRT2, 6);
    expect(risk!.estimatedError).toBeCloseTo(risk!.inputBound * 2 ** -11, 12);
    expect(risk!.tolerance).toBe(1e-2);
  });

  it("keeps fp16 for a Tanh of small values, a Sigmoid at the same bound (slope 1/4) and any non-saturating output", () => {
    expect(halfPrecisionRisks(graphOf(convModel(1, 0, "Tanh")))).toEqual([]);
    // bound 174.7: tanh would err 8.5e-2, sigmoid 2.1e-2; with tolerance 0.05 only tanh is refused.
    expect(halfPrecisionRisks(graphOf(convModel(30, 5, "Sigmoid")), 0.05)).toEqual([]);
    expect(halfPrecisionRisks(graphOf(convModel(30, 5, "Tanh")), 0.05)).toHaveLength(1);
    expect(halfPrecisionRisks(graphOf(convModel(300, 5, "Relu")))).toEqual([]);
  });

  it("refuses fst (Tanh of values up to ±162 at tiny size) and none of the other fixtures", () => {
    for (const f of FIXTURES) {
      const risks = halfPrecisionRisks(loadModel(buildFixture(f, "tiny").bytes, { inputShapes: fixtureInputShapes(f, "tiny") }).graph);
      if (f === "fst") {
        expect(risks.map((r) => r.output)).toEqual(["output"]);
        expect(risks[0]!.inputBound).toBeGreaterThan(100);
      } else {
        expect(risks, f).toEqual([]);
      }
    }
  });

  it("makes compile keep fp32 and record why, unless --fp16-tolerance allows it", () => {
    const bytes = convModel(30, 5, "Tanh");
    const profile = loadProfile("sd888");
    const refused = compileModel(bytes, profile, { toolVersion: "t", gpuPrecision: "fp16" }).plan.options;
    expect(refused.gpuPrecision).toBe("fp32");
    expect(refused.fp16Refused?.output).toBe("y");
    const allowed = compileModel(bytes, profile, { toolVersion: "t", gpuPrecision: "fp16", fp16Tolerance: 0.1 }).plan.options;
    expect(allowed.gpuPrecision).toBe("fp16");
    expect(allowed.fp16Refused).toBeUndefined();
    expect(compileModel(bytes, profile, { toolVersion: "t" }).plan.options.fp16Refused).toBeUndefined();
  });
});
