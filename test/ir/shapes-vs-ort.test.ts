/**
 * Our shape rules against ONNX Runtime: every op of the import set, with
 * the attribute forms real exporters write, plus seeded random sweeps of
 * Conv, ConvTranspose and pooling attributes.
 */

import { describe, expect, it } from "vitest";
import { CompilerError } from "../../src/diag/errors.js";
import { importOnnx } from "../../src/onnx/import.js";
import { inferShapes } from "../../src/passes/infer-shapes.js";
import { buildModel, floatTensor, int64Tensor, type NodeSpec } from "../helpers/onnx-model.js";
import { runOrt } from "../helpers/ort.js";
import type { onnx as Onnx } from "onnx-proto";

interface Case {
  readonly name: string;
  readonly input: readonly number[];
  readonly node: Omit<NodeSpec, "outputs">;
  readonly initializers?: readonly Onnx.ITensorProto[];
  readonly opset?: number;
  readonly extraInputs?: Readonly<Record<string, readonly number[]>>;
}

async function compare(c: Case): Promise<void> {
  const bytes = buildModel({
    opset: c.opset ?? 13,
    nodes: [{ ...c.node, outputs: ["y"] }],
    inputs: [{ name: "x", shape: c.input }, ...Object.entries(c.extraInputs ?? {}).map(([name, shape]) => ({ name, shape }))],
    outputs: [{ name: "y" }],
    initializers: c.initializers ?? [],
  });
  const reference = await runOrt(bytes, { x: c.input, ...(c.extraInputs ?? {}) }).catch((e: unknown) => e as Error);
  if (reference instanceof Error) {
    // A configuration ORT refuses must be refused by codl too, with a CODL error.
    expect(() => inferShapes(importOnnx(bytes).graph), `${c.name}: ORT says ${reference.message}`).toThrow(CompilerError);
    return;
  }
  const graph = inferShapes(importOnnx(bytes).graph);
  expect(graph.tensors.get("y")?.shape, c.name).toEqual(reference.y?.dims);
}

const w = (name: string, dims: readonly number[]) => floatTensor(name, dims);
const cases: Case[] = [
  { name: "conv 3x3 pad 1", input: [1, 4, 9, 9], node: { op: "Conv", inputs: ["x", "w"], attrs: { pads: [1, 1, 1, 1] } }, initializers: [w("w", [8, 4, 3, 3])] },
  { name: "conv asymmetric pads, stride 2", input: [1, 4, 10, 11], node: { op: "Conv", inputs: ["x", "w", "b"], attrs: { pads: [0, 1, 2, 0], strides: [2, 2] } }, initializers: [w("w", [6, 4, 3, 3]), w("b", [6])] },
  { name: "conv dilation 2", input: [1, 2, 12, 12], node: { op: "Conv", inputs: ["x", "w"], attrs: { dilations: [2, 2], kernel_shape: [3, 3] } }, initializers: [w("w", [3, 2, 3, 3])] },
  { name: "conv groups", input: [1, 8, 7, 7], node: { op: "Conv", inputs: ["x", "w"], attrs: { group: 4, pads: [1, 1, 1, 1] } }, initializers: [w("w", [8, 2, 3, 3])] },
  { name: "depthwise", input: [1, 6, 7, 7], node: { op: "Conv", inputs: ["x", "w"], attrs: { group: 6, strides: [2, 2], pads: [1, 1, 1, 1] } }, initializers: [w("w", [6, 1, 3, 3])] },
  { name: "conv SAME_UPPER", input: [1, 2, 9, 8], node: { op: "Conv", inputs: ["x", "w"], attrs: { auto_pad: "SAME_UPPER", strides: [2, 2] } }, initializers: [w("w", [2, 2, 4, 4])] },
  { name: "conv SAME_LOWER", input: [1, 2, 9, 8], node: { op: "Conv", inputs: ["x", "w"], attrs: { auto_pad: "SAME_LOWER", strides: [2, 3] } }, initializers: [w("w", [2, 2, 3, 2])] },
  { name: "conv VALID", input: [1, 2, 9, 8], node: { op: "Conv", inputs: ["x", "w"], attrs: { auto_pad: "VALID", strides: [2, 2] } }, initializers: [w("w", [2, 2, 3, 3])] },
  { name: "conv 1-D", input: [1, 3, 20], node: { op: "Conv", inputs: ["x", "w"], attrs: { strides: [3] } }, initializers: [w("w", [5, 3, 4])] },
  { name: "convtranspose stride 2 output_padding", input: [1, 4, 5, 5], node: { op: "ConvTranspose", inputs: ["x", "w"], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } }, initializers: [w("w", [4, 3, 3, 3])] },
  { name: "convtranspose output_shape", input: [1, 4, 5, 5], node: { op: "ConvTranspose", inputs: ["x", "w"], attrs: { strides: [2, 2], output_shape: [10, 10] } }, initializers: [w("w", [4, 2, 3, 3])] },
  { name: "convtranspose groups + bias", input: [1, 4, 3, 4], node: { op: "ConvTranspose", inputs: ["x", "w", "b"], attrs: { group: 2, dilations: [2, 1] } }, initializers: [w("w", [4, 3, 2, 2]), w("b", [6])] },
  { name: "convtranspose SAME_UPPER", input: [1, 2, 5, 5], node: { op: "ConvTranspose", inputs: ["x", "w"], attrs: { auto_pad: "SAME_UPPER", strides: [2, 2] } }, initializers: [w("w", [2, 2, 3, 3])] },
  { name: "batchnorm", input: [1, 3, 4, 4], node: { op: "BatchNormalization", inputs: ["x", "s", "b", "m", "v"] }, initializers: [w("s", [3]), w("b", [3]), w("m", [3]), floatTensor("v", [3], [1, 2, 3])] },
  { name: "relu", input: [1, 3, 4, 4], node: { op: "Relu", inputs: ["x"] } },
  { name: "leakyrelu", input: [2, 3], node: { op: "LeakyRelu", inputs: ["x"], attrs: { alpha: 0.1 } } },
  { name: "prelu", input: [1, 3, 4, 4], node: { op: "PRelu", inputs: ["x", "s"] }, initializers: [w("s", [3, 1, 1])] },
  { name: "clip attrs (opset 10)", opset: 10, input: [1, 3, 4, 4], node: { op: "Clip", inputs: ["x"], attrs: { min: { float: 0 }, max: { float: 6 } } } },
  { name: "clip inputs", input: [1, 3, 4, 4], node: { op: "Clip", inputs: ["x", "lo", "hi"] }, initializers: [floatTensor("lo", [], [0]), floatTensor("hi", [], [6])] },
  { name: "sigmoid", input: [1, 5], node: { op: "Sigmoid", inputs: ["x"] } },
  { name: "hardsigmoid", input: [1, 5], node: { op: "HardSigmoid", inputs: ["x"] } },
  { name: "hardswish", opset: 14, input: [1, 5, 2], node: { op: "HardSwish", inputs: ["x"] } },
  { name: "tanh", input: [3], node: { op: "Tanh", inputs: ["x"] } },
  { name: "add broadcast", input: [1, 3, 4, 5], node: { op: "Add", inputs: ["x", "c"] }, initializers: [w("c", [3, 1, 1])] },
  { name: "mul broadcast scalar", input: [1, 3, 4, 5], node: { op: "Mul", inputs: ["x", "c"] }, initializers: [w("c", [])] },
  { name: "sub two inputs", input: [2, 1, 5], node: { op: "Sub", inputs: ["x", "z"] }, extraInputs: { z: [3, 1] } },
  { name: "div", input: [1, 3, 4, 5], node: { op: "Div", inputs: ["x", "c"] }, initializers: [floatTensor("c", [5], [1, 2, 3, 4, 5])] },
  { name: "concat channels", input: [1, 3, 4, 5], node: { op: "Concat", inputs: ["x", "z", "x"], attrs: { axis: 1 } }, extraInputs: { z: [1, 2, 4, 5] } },
  { name: "concat negative axis", input: [1, 3, 4, 5], node: { op: "Concat", inputs: ["x", "z"], attrs: { axis: -1 } }, extraInputs: { z: [1, 3, 4, 2] } },
  { name: "maxpool ceil", input: [1, 2, 10, 11], node: { op: "MaxPool", inputs: ["x"], attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 } } },
  { name: "maxpool ceil with pads", input: [1, 2, 7, 7], node: { op: "MaxPool", inputs: ["x"], attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 } } },
  { name: "maxpool pads dilation", input: [1, 2, 10, 10], node: { op: "MaxPool", inputs: ["x"], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], dilations: [2, 2] } } },
  { name: "maxpool SAME_UPPER", input: [1, 2, 13, 13], node: { op: "MaxPool", inputs: ["x"], attrs: { kernel_shape: [2, 2], auto_pad: "SAME_UPPER", strides: [1, 1] } } },
  { name: "avgpool count_include_pad", input: [1, 2, 9, 9], node: { op: "AveragePool", inputs: ["x"], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 } } },
  { name: "avgpool ceil", input: [1, 2, 9, 9], node: { op: "AveragePool", inputs: ["x"], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } } },
  { name: "global avg", input: [1, 7, 5, 3], node: { op: "GlobalAveragePool", inputs: ["x"] } },
  { name: "global max", input: [2, 7, 5, 3], node: { op: "GlobalMaxPool", inputs: ["x"] } },
  { name: "gemm transB bias", input: [2, 6], node: { op: "Gemm", inputs: ["x", "w", "b"], attrs: { transB: 1 } }, initializers: [w("w", [4, 6]), w("b", [4])] },
  { name: "gemm transA", input: [6, 2], node: { op: "Gemm", inputs: ["x", "w"], attrs: { transA: 1, alpha: 0.5 } }, initializers: [w("w", [6, 3])] },
  { name: "matmul 3-D x 2-D", input: [2, 3, 4], node: { op: "MatMul", inputs: ["x", "w"] }, initializers: [w("w", [4, 5])] },
  { name: "matmul 1-D", input: [4], node: { op: "MatMul", inputs: ["x", "w"] }, initializers: [w("w", [2, 4, 5])] },
  { name: "flatten axis 1", input: [2, 3, 4, 5], node: { op: "Flatten", inputs: ["x"] } },
  { name: "flatten axis 0", input: [2, 3, 4, 5], node: { op: "Flatten", inputs: ["x"], attrs: { axis: 0 } } },
  { name: "flatten axis -1", input: [2, 3, 4, 5], node: { op: "Flatten", inputs: ["x"], attrs: { axis: -1 } } },
  { name: "reshape 0 and -1", input: [2, 3, 4, 5], node: { op: "Reshape", inputs: ["x", "s"] }, initializers: [int64Tensor("s", [0, -1, 5])] },
  { name: "reshape 6-D (reorg)", input: [1, 8, 4, 4], node: { op: "Reshape", inputs: ["x", "s"] }, initializers: [int64Tensor("s", [1, 8, 2, 2, 2, 2])] },
  { name: "transpose default", input: [2, 3, 4], node: { op: "Transpose", inputs: ["x"] } },
  { name: "transpose perm", input: [1, 2, 3, 4, 5, 6], node: { op: "Transpose", inputs: ["x"], attrs: { perm: [0, 3, 5, 1, 2, 4] } } },
  { name: "squeeze attr (opset 11)", opset: 11, input: [1, 3, 1, 5], node: { op: "Squeeze", inputs: ["x"], attrs: { axes: [0, -2] } } },
  { name: "squeeze all", input: [1, 3, 1, 5], node: { op: "Squeeze", inputs: ["x"] } },
  { name: "squeeze input (opset 13)", input: [1, 3, 1, 5], node: { op: "Squeeze", inputs: ["x", "a"] }, initializers: [int64Tensor("a", [2])] },
  { name: "unsqueeze attr (opset 11)", opset: 11, input: [3, 5], node: { op: "Unsqueeze", inputs: ["x"], attrs: { axes: [0, 3] } } },
  { name: "unsqueeze input (opset 13)", input: [3, 5], node: { op: "Unsqueeze", inputs: ["x", "a"] }, initializers: [int64Tensor("a", [-1, 0])] },
  { name: "softmax opset 11", opset: 11, input: [2, 3, 4], node: { op: "Softmax", inputs: ["x"] } },
  { name: "softmax opset 13", input: [2, 3, 4], node: { op: "Softmax", inputs: ["x"], attrs: { axis: 1 } } },
  { name: "resize scales (opset 13)", input: [1, 2, 3, 5], node: { op: "Resize", inputs: ["x", "", "s"], attrs: { mode: "nearest" } }, initializers: [floatTensor("s", [4], [1, 1, 2, 2])] },
  { name: "resize sizes linear", input: [1, 2, 3, 5], node: { op: "Resize", inputs: ["x", "", "", "z"], attrs: { mode: "linear" } }, initializers: [int64Tensor("z", [1, 2, 7, 9])] },
  { name: "resize roi + scales (opset 11)", opset: 11, input: [1, 2, 3, 5], node: { op: "Resize", inputs: ["x", "r", "s"], attrs: { mode: "linear" } }, initializers: [floatTensor("r", [0], []), floatTensor("s", [4], [1, 1, 1.5, 2.5])] },
  { name: "resize opset 10", opset: 10, input: [1, 2, 3, 5], node: { op: "Resize", inputs: ["x", "s"] }, initializers: [floatTensor("s", [4], [1, 1, 2, 2])] },
  { name: "upsample opset 9", opset: 9, input: [1, 2, 3, 5], node: { op: "Upsample", inputs: ["x", "s"] }, initializers: [floatTensor("s", [4], [1, 1, 2, 3])] },
  { name: "upsample opset 7 attr", opset: 7, input: [1, 2, 3, 5], node: { op: "Upsample", inputs: ["x"], attrs: { scales: { floats: [1, 1, 2, 2] } } } },
  { name: "pad reflect (opset 11)", opset: 11, input: [1, 2, 5, 5], node: { op: "Pad", inputs: ["x", "p"], attrs: { mode: "reflect" } }, initializers: [int64Tensor("p", [0, 0, 2, 1, 0, 0, 1, 2])] },
  { name: "pad constant value", input: [1, 2, 5, 5], node: { op: "Pad", inputs: ["x", "p", "v"] }, initializers: [int64Tensor("p", [0, 0, 1, 1, 0, 0, 1, 1]), floatTensor("v", [], [0.5])] },
  { name: "pad attr (opset 10)", opset: 10, input: [1, 2, 5, 5], node: { op: "Pad", inputs: ["x"], attrs: { pads: [0, 0, 1, 2, 0, 0, 3, 4] } } },
  { name: "reducemean keepdims", input: [1, 3, 4, 5], node: { op: "ReduceMean", inputs: ["x"], attrs: { axes: [2, 3] } } },
  { name: "reducemean drop dims", input: [1, 3, 4, 5], node: { op: "ReduceMean", inputs: ["x"], attrs: { axes: [-1], keepdims: 0 } } },
  { name: "reducemean axes input (opset 18)", opset: 18, input: [1, 3, 4, 5], node: { op: "ReduceMean", inputs: ["x", "a"] }, initializers: [int64Tensor("a", [1])] },
];

describe("shape inference agrees with ONNX Runtime", () => {
  for (const c of cases) it(c.name, () => compare(c));
});

/** xorshift32, so the sweep is the same on every run. */
function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

describe("seeded random attribute sweeps agree with ONNX Runtime", () => {
  const pick = rng(2024);
  const sweep: Case[] = [];
  for (let i = 0; i < 60; i++) {
    const k = [1 + pick(5), 1 + pick(5)];
    const s = [1 + pick(3), 1 + pick(3)];
    const autoPad = ["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"][pick(5)] as string;
    // ORT implements SAME padding only without dilation.
    const d = autoPad.startsWith("SAME") ? [1, 1] : [1 + pick(2), 1 + pick(2)];
    const g = [1, 2, 4][pick(3)] as number;
    const c = g * (1 + pick(3));
    const m = g * (1 + pick(3));
    const h = (k[0] as number) * (d[0] as number) + pick(12);
    const wd = (k[1] as number) * (d[1] as number) + pick(12);
    const pads = autoPad === "NOTSET" ? [pick(k[0] as number), pick(k[1] as number), pick(k[0] as number), pick(k[1] as number)] : undefined;
    sweep.push({
      name: `conv #${i} k${k} s${s} d${d} g${g} ${autoPad} pads ${pads ?? "-"}`,
      input: [1, c, h, wd],
      node: { op: "Conv", inputs: ["x", "w"], attrs: { strides: s, dilations: d, group: g, auto_pad: autoPad, ...(pads ? { pads } : {}) } },
      initializers: [floatTensor("w", [m, c / g, ...k])],
    });
    const pk = [1 + pick(4), 1 + pick(4)];
    const ps = [1 + pick(3), 1 + pick(3)];
    const ceil = pick(2);
    const ppads = [pick(pk[0] as number), pick(pk[1] as number), pick(pk[0] as number), pick(pk[1] as number)];
    sweep.push({
      name: `pool #${i} k${pk} s${ps} ceil${ceil} pads ${ppads}`,
      input: [1, 2, (pk[0] as number) + pick(9), (pk[1] as number) + pick(9)],
      node: { op: i % 2 ? "MaxPool" : "AveragePool", inputs: ["x"], attrs: { kernel_shape: pk, strides: ps, ceil_mode: ceil, pads: ppads } },
    });
    const tk = [1 + pick(4), 1 + pick(4)];
    const ts = [1 + pick(3), 1 + pick(3)];
    const top = [pick(tk[0] as number), pick(tk[1] as number), pick(tk[0] as number), pick(tk[1] as number)];
    const op = [pick(ts[0] as number), pick(ts[1] as number)];
    sweep.push({
      name: `convtranspose #${i} k${tk} s${ts} pads ${top} out_pad ${op}`,
      input: [1, 2, 2 + pick(6), 2 + pick(6)],
      node: { op: "ConvTranspose", inputs: ["x", "w"], attrs: { strides: ts, pads: top, output_padding: op } },
      initializers: [floatTensor("w", [2, 3, ...tk])],
    });
  }
  for (const c of sweep) it(c.name, () => compare(c));
});
