/**
 * The importer's normalisation: domains and opsets, int64 handling,
 * initializers from raw and typed fields, external data, Constant folding,
 * Identity/Dropout removal, torch's shape sub-graph, naming, unknown ops.
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { externalDataReader } from "../../src/cli/io.js";
import { loadModel } from "../../src/index.js";
import { readNumbers } from "../../src/ir/tensor.js";
import { importOnnx } from "../../src/onnx/import.js";
import { buildModel, encodeModel, floatTensor, int64Tensor, modelProto } from "../helpers/onnx-model.js";
import { runOrt } from "../helpers/ort.js";

describe("normalisation", () => {
  it("defaults the domain, keeps opsets per domain, and names anonymous nodes", () => {
    const model = modelProto({ nodes: [{ op: "Relu", inputs: ["x"], outputs: ["a"], name: "" }, { op: "Relu", inputs: ["a"], outputs: ["y"], name: "" }], inputs: [{ name: "x", shape: [2] }], outputs: [{ name: "y" }] });
    model.opsetImport = [{ domain: "ai.onnx", version: 12 }, { domain: "com.microsoft", version: 1 }];
    const g = loadModel(encodeModel(model)).graph;
    expect(g.opsets).toEqual({ "": 12, "com.microsoft": 1 });
    expect(g.nodes.map((n) => n.name)).toEqual(["Relu_0", "Relu_1"]);
  });

  it("makes duplicate node names unique", () => {
    const bytes = buildModel({ nodes: [{ op: "Relu", inputs: ["x"], outputs: ["a"], name: "n" }, { op: "Sigmoid", inputs: ["a"], outputs: ["y"], name: "n" }], inputs: [{ name: "x", shape: [2] }], outputs: [{ name: "y" }] });
    expect(loadModel(bytes).graph.nodes.map((n) => n.name)).toEqual(["n", "n__1"]);
  });

  it("reads int64 attributes and data, saturating INT64_MAX", () => {
    // Slice(shape, 1, INT64_MAX) over a constant: torch's "to the end".
    const bytes = buildModel({
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Slice", inputs: ["s", "st", "en"], outputs: ["t"] },
        { op: "Concat", inputs: ["one", "t"], outputs: ["shape"], attrs: { axis: 0 } },
        { op: "Reshape", inputs: ["x", "shape"], outputs: ["y"] },
      ],
      inputs: [{ name: "x", shape: [2, 3, 4] }],
      outputs: [{ name: "y" }],
      initializers: [int64Tensor("st", [1]), { name: "en", dataType: 7, dims: [1], int64Data: [{ low: -1, high: 0x7fffffff, unsigned: false } as unknown as number] }, int64Tensor("one", [-1])],
    });
    const g = loadModel(bytes).graph;
    expect(g.tensors.get("y")?.shape).toEqual([2, 3, 4]);
    expect(g.nodes.map((n) => n.op)).toEqual(["Reshape"]);
  });

  it("reads initializers from typed fields: float_data, int64_data, int32_data for float16", () => {
    const bytes = buildModel({
      nodes: [{ op: "Add", inputs: ["x", "f"], outputs: ["y"] }],
      inputs: [{ name: "x", shape: [3] }],
      outputs: [{ name: "y" }],
      initializers: [{ name: "f", dataType: 1, dims: [3], floatData: [1.5, -2, 3] }, { name: "h", dataType: 10, dims: [2], int32Data: [0x3c00, 0xc000] }, int64Tensor("i", [7, -9])],
    });
    const { graph } = importOnnx(bytes);
    expect(readNumbers(graph.tensors.get("f") as never)).toEqual([1.5, -2, 3]);
    expect(readNumbers(graph.tensors.get("h") as never)).toEqual([1, -2]);
    expect(readNumbers(graph.tensors.get("i") as never)).toEqual([7, -9]);
  });

  it("keeps raw_data weights as views of the file buffer (no copy)", () => {
    const bytes = buildModel({ nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }], inputs: [{ name: "x", shape: [64] }], outputs: [{ name: "y" }], initializers: [floatTensor("w", [64])] });
    const data = importOnnx(bytes).graph.tensors.get("w")?.data?.bytes();
    expect(data?.buffer).toBe(bytes.buffer);
  });

  it("lists unknown operators and keeps their raw attributes", () => {
    const bytes = buildModel({ nodes: [{ op: "NonMaxSuppression", inputs: ["x"], outputs: ["y"], attrs: { center_point_box: 1 } }, { op: "Relu", inputs: ["y"], outputs: ["z"] }], inputs: [{ name: "x", shape: [1, 4, 4] }], outputs: [{ name: "z" }] });
    const { graph } = loadModel(bytes);
    const unknown = graph.nodes[0];
    expect(unknown?.op).toBe("Unknown");
    expect(unknown?.op === "Unknown" ? unknown.attrs.center_point_box : undefined).toEqual({ kind: "int", value: 1 });
  });
});

describe("constants and pass-through nodes", () => {
  it("folds Constant nodes and removes Identity and Dropout, keeping output names", async () => {
    const bytes = buildModel({
      nodes: [
        { op: "Constant", inputs: [], outputs: ["c"], attrs: { value: floatTensor("", [1], [2]) } },
        { op: "Mul", inputs: ["x", "c"], outputs: ["m"] },
        { op: "Dropout", inputs: ["m"], outputs: ["d"] },
        { op: "Identity", inputs: ["d"], outputs: ["y"] },
      ],
      inputs: [{ name: "x", shape: [1, 4] }],
      outputs: [{ name: "y", shape: [1, 4] }],
    });
    const { graph } = loadModel(bytes);
    expect(graph.nodes.map((n) => n.op)).toEqual(["Mul"]);
    expect(graph.nodes[0]?.outputs).toEqual(["y"]);
    expect(graph.outputs).toEqual(["y"]);
    const ref = await runOrt(bytes, { x: [1, 4] });
    expect(ref.y?.dims).toEqual([1, 4]);
  });

  it("folds torch's Shape → Gather → Unsqueeze → Concat → Reshape flatten", () => {
    const bytes = buildModel({
      opset: 11,
      nodes: [
        { op: "Shape", inputs: ["x"], outputs: ["s"] },
        { op: "Constant", inputs: [], outputs: ["zero"], attrs: { value: int64Tensor("", [0], []) } },
        { op: "Gather", inputs: ["s", "zero"], outputs: ["n"], attrs: { axis: 0 } },
        { op: "Unsqueeze", inputs: ["n"], outputs: ["n1"], attrs: { axes: [0] } },
        { op: "Concat", inputs: ["n1", "minus1"], outputs: ["shape"], attrs: { axis: 0 } },
        { op: "Reshape", inputs: ["x", "shape"], outputs: ["y"] },
      ],
      inputs: [{ name: "x", shape: [1, 8, 2, 2] }],
      outputs: [{ name: "y" }],
      initializers: [int64Tensor("minus1", [-1])],
    });
    const { graph } = loadModel(bytes);
    expect(graph.nodes.map((n) => n.op)).toEqual(["Reshape"]);
    expect(graph.tensors.get("y")?.shape).toEqual([1, 32]);
    expect(readNumbers(graph.tensors.get("shape") as never)).toEqual([1, -1]);
  });
});

describe("external data", () => {
  it("reads tensors from a file inside the model's folder", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-ext-"));
    const values = Float32Array.from([1, 2, 3, 4]);
    fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.concat([Buffer.alloc(8), Buffer.from(values.buffer)]));
    const model = modelProto({
      nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }],
      inputs: [{ name: "x", shape: [4] }],
      outputs: [{ name: "y" }],
      initializers: [{ name: "w", dataType: 1, dims: [4], dataLocation: 1, externalData: [{ key: "location", value: "weights.bin" }, { key: "offset", value: "8" }, { key: "length", value: "16" }] }],
    });
    const file = path.join(dir, "m.onnx");
    fs.writeFileSync(file, encodeModel(model));
    const { graph } = importOnnx(fs.readFileSync(file), { path: file, readExternal: externalDataReader(file) });
    expect(readNumbers(graph.tensors.get("w") as never)).toEqual([1, 2, 3, 4]);
  });
});
