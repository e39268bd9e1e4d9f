/**
 * Graph shapes that real exporters write and our fixtures do not: tf2onnx's
 * NHWC wrapping with SAME padding and Cast/Slice shape arithmetic,
 * paddle2onnx's Constant-fed Reshape and attribute-form Clip, and old torch
 * exports at opset 9 (Upsample with a Constant scales input, attribute Pad).
 * Each must import, lower, and agree with ONNX Runtime on every tensor.
 */

import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import { buildModel, exposeOutputs, floatTensor, int64Tensor, type ModelSpec } from "../helpers/onnx-model.js";
import { runOrt } from "../helpers/ort.js";

async function agreesWithOrt(spec: ModelSpec, inputShapes: Record<string, number[]>): Promise<string[]> {
  const bytes = buildModel(spec);
  const inferred = new Map<string, readonly (number | string)[] | undefined>();
  const model = loadModel(bytes, {
    inputShapes,
    afterPass: (pass, graph) => {
      if (pass !== "infer-shapes") return;
      for (const n of graph.nodes) for (const o of n.outputs) if (o !== "") inferred.set(o, graph.tensors.get(o)?.shape);
    },
  });
  const names = [...inferred.keys()];
  const ref = await runOrt(exposeOutputs(bytes, names), inputShapes);
  for (const name of names) expect(inferred.get(name), name).toEqual(ref[name]?.dims);
  for (const out of spec.outputs) expect(model.graph.tensors.get(out.name)?.shape, out.name).toEqual(ref[out.name]?.dims);
  return model.graph.nodes.map((n) => n.op);
}

describe("exporter forms", () => {
  it("tf2onnx: NHWC input, Transpose around SAME-padded convs, Cast/Slice/Concat shape arithmetic, Squeeze-13", async () => {
    const ops = await agreesWithOrt(
      {
        opset: 13,
        nodes: [
          { op: "Transpose", inputs: ["input:0"], outputs: ["t0"], attrs: { perm: [0, 3, 1, 2] } },
          { op: "Conv", inputs: ["t0", "w0", "b0"], outputs: ["c0"], attrs: { auto_pad: "SAME_UPPER", strides: [2, 2], kernel_shape: [3, 3] } },
          { op: "Relu", inputs: ["c0"], outputs: ["r0"] },
          { op: "Conv", inputs: ["r0", "w1"], outputs: ["c1"], attrs: { auto_pad: "SAME_UPPER", group: 8, kernel_shape: [3, 3] } },
          { op: "BatchNormalization", inputs: ["c1", "s", "b", "m", "v"], outputs: ["bn"], attrs: { epsilon: { float: 0.001 } } },
          { op: "Clip", inputs: ["bn", "lo", "hi"], outputs: ["r1"] },
          { op: "Transpose", inputs: ["r1"], outputs: ["nhwc"], attrs: { perm: [0, 2, 3, 1] } },
          { op: "Shape", inputs: ["nhwc"], outputs: ["shape"] },
          { op: "Cast", inputs: ["shape"], outputs: ["shape32"], attrs: { to: 6 } },
          { op: "Slice", inputs: ["shape32", "zero", "one"], outputs: ["batch32"] },
          { op: "Cast", inputs: ["batch32"], outputs: ["batch"], attrs: { to: 7 } },
          { op: "Concat", inputs: ["batch", "minus1"], outputs: ["flat_shape"], attrs: { axis: 0 } },
          { op: "Reshape", inputs: ["nhwc", "flat_shape"], outputs: ["flat"] },
          { op: "MatMul", inputs: ["flat", "fc"], outputs: ["logits"] },
          { op: "Unsqueeze", inputs: ["logits", "ax"], outputs: ["u"] },
          { op: "Squeeze", inputs: ["u", "ax"], outputs: ["Identity:0"] },
        ],
        inputs: [{ name: "input:0", shape: ["unk__12", 15, 15, 3] }],
        outputs: [{ name: "Identity:0" }],
        initializers: [
          floatTensor("w0", [8, 3, 3, 3]),
          floatTensor("b0", [8]),
          floatTensor("w1", [8, 1, 3, 3]),
          floatTensor("s", [8]),
          floatTensor("b", [8]),
          floatTensor("m", [8]),
          floatTensor("v", [8], [1, 1.5, 2, 0.5, 1, 1, 1, 1]),
          floatTensor("lo", [], [0]),
          floatTensor("hi", [], [6]),
          { name: "zero", dataType: 6, dims: [1], int32Data: [0] },
          { name: "one", dataType: 6, dims: [1], int32Data: [1] },
          int64Tensor("minus1", [-1]),
          floatTensor("fc", [512, 10]),
          int64Tensor("ax", [1]),
        ],
      },
      { "input:0": [1, 15, 15, 3] },
    );
    expect(ops).toEqual(["Transpose", "Conv", "Conv", "Transpose", "Reshape", "MatMul", "Unsqueeze", "Squeeze"]);
  });

  it("paddle2onnx: Constant-fed Reshape, attribute Clip (opset 9), Flatten and Softmax", async () => {
    const ops = await agreesWithOrt(
      {
        opset: 9,
        nodes: [
          { op: "Conv", inputs: ["image", "conv_w"], outputs: ["conv_out"], attrs: { pads: [1, 1, 1, 1], kernel_shape: [3, 3] } },
          { op: "Clip", inputs: ["conv_out"], outputs: ["relu6"], attrs: { min: { float: 0 }, max: { float: 6 } } },
          { op: "MaxPool", inputs: ["relu6"], outputs: ["pool"], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
          { op: "Constant", inputs: [], outputs: ["target"], attrs: { value: int64Tensor("", [0, -1, 4]) } },
          { op: "Reshape", inputs: ["pool", "target"], outputs: ["r"] },
          { op: "Flatten", inputs: ["r"], outputs: ["f"] },
          { op: "Gemm", inputs: ["f", "fc_w", "fc_b"], outputs: ["g"] },
          { op: "Softmax", inputs: ["g"], outputs: ["save_infer_model/scale_0.tmp_0"] },
        ],
        inputs: [{ name: "image", shape: [1, 3, 8, 8] }],
        outputs: [{ name: "save_infer_model/scale_0.tmp_0" }],
        initializers: [floatTensor("conv_w", [4, 3, 3, 3]), floatTensor("fc_w", [64, 5]), floatTensor("fc_b", [5])],
      },
      { image: [1, 3, 8, 8] },
    );
    expect(ops).toEqual(["Conv", "MaxPool", "Reshape", "Flatten", "Gemm", "Softmax"]);
  });

  it("torch at opset 9: attribute-form Pad, Upsample with a Constant scales input", async () => {
    const ops = await agreesWithOrt(
      {
        opset: 9,
        nodes: [
          { op: "Pad", inputs: ["x"], outputs: ["p"], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: "reflect" } },
          { op: "Conv", inputs: ["p", "w"], outputs: ["c"], attrs: { kernel_shape: [3, 3] } },
          { op: "Constant", inputs: [], outputs: ["scales"], attrs: { value: floatTensor("", [4], [1, 1, 2, 2]) } },
          { op: "Upsample", inputs: ["c", "scales"], outputs: ["u"], attrs: { mode: "nearest" } },
          { op: "Add", inputs: ["u", "skip"], outputs: ["a"] },
          { op: "Relu", inputs: ["a"], outputs: ["y"] },
        ],
        inputs: [{ name: "x", shape: [1, 2, 6, 6] }, { name: "skip", shape: [1, 4, 12, 12] }],
        outputs: [{ name: "y" }],
        initializers: [floatTensor("w", [4, 2, 3, 3])],
      },
      { x: [1, 2, 6, 6], skip: [1, 4, 12, 12] },
    );
    expect(ops).toEqual(["Pad", "Conv", "Resize", "Add"]);
  });
});
