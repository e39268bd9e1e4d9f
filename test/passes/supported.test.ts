import { describe, expect, it } from "vitest";
import { CompilerError } from "../../src/diag/errors.js";
import { loadModel } from "../../src/index.js";
import { assertSupported } from "../../src/passes/supported.js";
import { buildModel } from "../helpers/onnx-model.js";

describe("assertSupported", () => {
  it("refuses an unknown operator with CODL-E040 (exit 3) naming the op and node", () => {
    const bytes = buildModel({
      nodes: [
        { op: "Relu", inputs: ["x"], outputs: ["a"] },
        { op: "Erf", inputs: ["a"], outputs: ["b"], name: "gelu/erf" },
        { op: "Gelu", domain: "com.microsoft", inputs: ["b"], outputs: ["y"], name: "ms" },
      ],
      inputs: [{ name: "x", shape: [1, 4] }],
      outputs: [{ name: "y" }],
    });
    const { graph } = loadModel(bytes);
    let error: unknown;
    try {
      assertSupported(graph);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompilerError);
    expect((error as CompilerError).code).toBe("CODL-E040");
    expect((error as CompilerError).exitCode).toBe(3);
    expect((error as CompilerError).message).toContain("gelu/erf");
    expect((error as CompilerError).message).toContain("com.microsoft.Gelu");
  });

  it("accepts a graph of known operators", () => {
    const bytes = buildModel({ nodes: [{ op: "Relu", inputs: ["x"], outputs: ["y"] }], inputs: [{ name: "x", shape: [1, 4] }], outputs: [{ name: "y" }] });
    expect(() => assertSupported(loadModel(bytes).graph)).not.toThrow();
  });
});
