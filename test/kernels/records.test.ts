/**
 * Operator records (kernels/from-ir.ts) carry what picks the kernel that
 * runs: Resize's mode, a layout op that is one copy (kernels/layout.ts), a
 * Concat whose channel offsets are not multiples of 4, Softmax's axis length
 * and whether it reduces over channels. And a graph input or output of rank
 * above 4 is refused at compile time (CODL-E096), not at run time.
 */

import { describe, expect, it } from "vitest";
import { compileModel } from "../../src/bundle/compile.js";
import { readRuntimeSources } from "../../src/bundle/runtime-sources.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { loadModel } from "../../src/index.js";
import { irOpOf } from "../../src/kernels/from-ir.js";
import { bufferInLogicalOrder, bufferStrides, layoutIsCopy, layoutMoves } from "../../src/kernels/layout.js";
import type { OpConfig } from "../../src/kernels/op-config.js";
import { gpuLaunch } from "../../src/kernels/gpu-conv.js";
import { buildModel, floatTensor, int64Tensor, type NodeSpec } from "../helpers/onnx-model.js";

/** The record of the single operator `op` in a model of one input `x`. */
function recordOf(node: NodeSpec, inputs: Array<{ name: string; shape: number[] }>, inits = [] as ReturnType<typeof floatTensor>[]): OpConfig {
  const bytes = buildModel({ nodes: [node], inputs, outputs: [{ name: "y" }], initializers: inits, opset: 13 });
  const graph = loadModel(bytes).graph;
  const n = graph.nodes.find((x) => x.name === "op");
  if (n === undefined) throw new Error("the operator was folded away");
  return irOpOf(graph, n).config;
}

describe("operator records", () => {
  it("places any rank in the NHWC buffer (dims4's view)", () => {
    expect(bufferStrides([2, 3, 4, 5])).toEqual([60, 1, 15, 3]);
    expect(bufferStrides([2, 3, 4])).toEqual([12, 1, 3]);
    expect(bufferStrides([2, 3])).toEqual([3, 1]);
    expect(bufferStrides([7])).toEqual([1]);
    // Rank 5 folds its tail into W: [n, c, h, w1, w2] steps w1 by C·w2 and w2 by C.
    expect(bufferStrides([1, 3, 2, 4, 5])).toEqual([120, 1, 60, 15, 3]);
    expect(bufferInLogicalOrder([1, 1, 4, 5])).toBe(true);
    expect(bufferInLogicalOrder([1, 8, 1, 1])).toBe(true);
    expect(bufferInLogicalOrder([1, 8, 2, 1])).toBe(false);
    // Flatten of a channel vector, Unsqueeze to 4-D: copies; of a feature map: not.
    expect(layoutIsCopy([1, 64, 1, 1], [1, 64], undefined)).toBe(true);
    expect(layoutIsCopy([1, 64], [1, 64, 1, 1], undefined)).toBe(true);
    expect(layoutIsCopy([1, 4, 2, 2], [1, 16], undefined)).toBe(false);
    // NCHW → NHWC of a 1×C×1×1 tensor moves nothing; of a feature map it is a transpose.
    expect(layoutIsCopy([1, 8, 1, 1], [1, 1, 1, 8], [0, 2, 3, 1])).toBe(true);
    expect(layoutIsCopy([1, 8, 4, 4], [1, 4, 4, 8], [0, 2, 3, 1])).toBe(false);
    // RetinaFace's head reshape [1, 32, 32, 12] → [1, 3072, 4] walks 32 × 32 × 3 × 4 with constant steps on both sides.
    expect(layoutMoves([1, 32, 32, 12], [1, 3072, 4], undefined)).toEqual([
      { dim: 32, inStride: 1, outStride: 96 },
      { dim: 32, inStride: 384, outStride: 3 },
      { dim: 3, inStride: 128, outStride: 1 },
      { dim: 4, inStride: 32, outStride: 3072 },
    ]);
    // 4 × 6 against 3 × 8: no common refinement (the emitter's odometer).
    expect(layoutMoves([4, 6], [3, 8], undefined)).toBeUndefined();
    // A Transpose: the output's axes with the permuted input steps.
    expect(layoutMoves([1, 8, 4, 4], [1, 4, 4, 8], [0, 2, 3, 1])).toEqual([
      { dim: 4, inStride: 32, outStride: 1 },
      { dim: 4, inStride: 8, outStride: 32 },
      { dim: 8, inStride: 1, outStride: 4 },
    ]);
  });

  it("marks the kernel variant a record's shape does not show", () => {
    const x = (shape: number[]) => [{ name: "x", shape }];
    const flatten = recordOf({ op: "Flatten", inputs: ["x"], outputs: ["y"], name: "op", attrs: { axis: 1 } }, x([1, 32, 1, 1]));
    expect(flatten).toMatchObject({ onnxOp: "Flatten", mode: "copy", oc: 32 });
    const flatMap = recordOf({ op: "Flatten", inputs: ["x"], outputs: ["y"], name: "op", attrs: { axis: 1 } }, x([1, 8, 2, 2]));
    expect(flatMap.mode).toBeUndefined();
    const reshape = recordOf({ op: "Reshape", inputs: ["x", "s"], outputs: ["y"], name: "op" }, x([1, 8, 4, 4]), [int64Tensor("s", [1, 8, 16])]);
    expect(reshape.mode).toBeUndefined();

    const resize = (mode: string) =>
      recordOf({ op: "Resize", inputs: ["x", "", "sc"], outputs: ["y"], name: "op", attrs: { mode } }, x([1, 4, 5, 5]), [floatTensor("sc", [4], [1, 1, 2, 2])]);
    expect(resize("linear").mode).toBe("linear");
    expect(resize("nearest").mode).toBe("nearest");

    const concat = (c0: number) =>
      recordOf({ op: "Concat", inputs: ["x", "x2"], outputs: ["y"], name: "op", attrs: { axis: 1 } }, [
        { name: "x", shape: [1, c0, 4, 4] },
        { name: "x2", shape: [1, 8, 4, 4] },
      ]);
    expect(concat(6).mode).toBe("unaligned");
    expect(concat(8).mode).toBeUndefined();

    // Softmax: its axis length in kh; over channels it is XNNPACK's on the CPU and float4 steps on the GPU.
    const softmax = (shape: number[], axis: number) => recordOf({ op: "Softmax", inputs: ["x"], outputs: ["y"], name: "op", attrs: { axis } }, x(shape));
    const overC = softmax([1, 10, 3, 3], 1);
    expect(overC).toMatchObject({ kh: 10, mode: "channels" });
    const overL = softmax([1, 4092, 2], 2);
    expect(overL.kh).toBe(2);
    expect(overL.mode).toBeUndefined();
    const gpu = loadProfile("host-pocl").gpu;
    // Per float4 item: its own read plus two passes over the axis (in float4 slices over channels: ceil(10/4) = 3).
    expect(gpuLaunch(overC, gpu, "gpu.element").loop).toBe(4 * (1 + 2 * 3));
    expect(gpuLaunch(overL, gpu, "gpu.element").loop).toBe(4 * (1 + 2 * 2));
    expect(gpuLaunch({ ...overL, onnxOp: "Pad" }, gpu, "gpu.element").loop).toBe(4);
  });

  it("refuses a graph input of rank above 4 at compile time (CODL-E096, exit 3)", () => {
    const bytes = buildModel({ nodes: [{ op: "Relu", inputs: ["x"], outputs: ["y"], name: "op" }], inputs: [{ name: "x", shape: [1, 2, 3, 4, 5] }], outputs: [{ name: "y" }], initializers: [], opset: 13 });
    expect(() => compileModel(bytes, loadProfile("sd888"), { toolVersion: "t", runtime: readRuntimeSources() })).toThrow(expect.objectContaining({ code: "CODL-E096", exitCode: 3 }));
  });
});
