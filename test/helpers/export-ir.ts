/**
 * IR → ONNX, for tests only: writes a lowered graph back as a standard ONNX
 * model (fused activations become separate nodes again, folded weights are
 * materialised) so ONNX Runtime can check that lowering kept the numbers.
 */

import onnxPkg from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";
import type { Activation, Graph, Node } from "../../src/ir/graph.js";
import type { Tensor } from "../../src/ir/tensor.js";

const { onnx } = onnxPkg;
const T = onnx.AttributeProto.AttributeType;

const ELEM: Record<string, number> = { float32: 1, int64: 7, int32: 6, bool: 9, float16: 10, float64: 11, uint8: 2, int8: 3 };

const ints = (name: string, v: readonly number[] | undefined): Onnx.IAttributeProto[] => (v === undefined ? [] : [{ name, type: T.INTS, ints: [...v] }]);
const int = (name: string, v: number): Onnx.IAttributeProto => ({ name, type: T.INT, i: v });
const float = (name: string, v: number): Onnx.IAttributeProto => ({ name, type: T.FLOAT, f: v });
const str = (name: string, v: string): Onnx.IAttributeProto => ({ name, type: T.STRING, s: new TextEncoder().encode(v) });

function attributes(node: Node): Onnx.IAttributeProto[] {
  switch (node.op) {
    case "Conv":
    case "ConvTranspose":
      return [...ints("kernel_shape", node.attrs.kernelShape), ...ints("strides", node.attrs.strides), ...ints("dilations", node.attrs.dilations), ...ints("pads", node.attrs.pads), int("group", node.attrs.group), ...(node.op === "ConvTranspose" ? ints("output_padding", node.attrs.outputPadding) : [])];
    case "MaxPool":
    case "AveragePool":
      return [...ints("kernel_shape", node.attrs.kernelShape), ...ints("strides", node.attrs.strides), ...ints("pads", node.attrs.pads), int("ceil_mode", node.attrs.ceilMode ? 1 : 0), ...(node.op === "AveragePool" ? [int("count_include_pad", node.attrs.countIncludePad ? 1 : 0)] : ints("dilations", node.attrs.dilations))];
    case "BatchNormalization":
      return [float("epsilon", node.attrs.epsilon)];
    case "LeakyRelu":
      return [float("alpha", node.attrs.alpha)];
    case "HardSigmoid":
      return [float("alpha", node.attrs.alpha), float("beta", node.attrs.beta)];
    case "Concat":
    case "Flatten":
      return [int("axis", node.attrs.axis)];
    case "Softmax":
      return [int("axis", node.attrs.axis)];
    case "Gemm":
      return [float("alpha", node.attrs.alpha), float("beta", node.attrs.beta), int("transA", node.attrs.transA ? 1 : 0), int("transB", node.attrs.transB ? 1 : 0)];
    case "Transpose":
      return ints("perm", node.attrs.perm);
    case "ReduceMean":
      return [...ints("axes", node.attrs.axes), int("keepdims", node.attrs.keepdims ? 1 : 0)];
    case "Resize":
      return [str("mode", node.attrs.mode), str("coordinate_transformation_mode", node.attrs.coordinateTransformationMode), str("nearest_mode", node.attrs.nearestMode)];
    case "Pad":
      return [str("mode", node.attrs.mode)];
    default:
      return [];
  }
}

function activationNode(a: Activation, input: string, output: string, extra: (t: Onnx.ITensorProto) => string): Onnx.INodeProto {
  switch (a.kind) {
    case "relu":
      return { opType: "Relu", input: [input], output: [output] };
    case "sigmoid":
      return { opType: "Sigmoid", input: [input], output: [output] };
    case "tanh":
      return { opType: "Tanh", input: [input], output: [output] };
    case "hardSwish":
      return { opType: "HardSwish", input: [input], output: [output] };
    case "leakyRelu":
      return { opType: "LeakyRelu", input: [input], output: [output], attribute: [float("alpha", a.alpha)] };
    case "relu6":
    case "clip": {
      const [lo, hi] = a.kind === "relu6" ? [0, 6] : [a.min, a.max];
      const scalar = (v: number): string => extra({ dataType: 1, dims: [], floatData: [Math.max(Math.min(v, 3.4e38), -3.4e38)] });
      return { opType: "Clip", input: [input, scalar(lo), scalar(hi)], output: [output] };
    }
  }
}

function tensorProto(t: Tensor): Onnx.ITensorProto {
  return { name: t.name, dataType: ELEM[t.dtype] ?? 1, dims: [...((t.shape ?? []) as number[])], rawData: t.data?.bytes() ?? new Uint8Array() };
}

/** Exports a lowered graph at opset 13 (HardSwish needs 14, which is used if present). */
export function exportGraph(graph: Graph): Uint8Array {
  const initializers: Onnx.ITensorProto[] = [];
  const nodes: Onnx.INodeProto[] = [];
  let fresh = 0;
  const extra = (t: Onnx.ITensorProto): string => {
    const name = `__export_${fresh++}`;
    initializers.push({ ...t, name });
    return name;
  };
  for (const node of graph.nodes) {
    const inputs = [...node.inputs];
    if (node.op === "Resize") inputs.push("", extra({ dataType: 1, dims: [node.attrs.scales?.length ?? 0], floatData: [...(node.attrs.scales ?? [])] }));
    if (node.op === "Resize" && node.attrs.sizes !== undefined) inputs.push(extra({ dataType: 7, dims: [node.attrs.sizes.length], int64Data: [...node.attrs.sizes] }));
    if (node.op === "Pad") inputs.push(extra({ dataType: 7, dims: [node.attrs.pads?.length ?? 0], int64Data: [...(node.attrs.pads ?? [])] }), extra({ dataType: 1, dims: [], floatData: [node.attrs.value] }));
    if ((node.op === "Squeeze" || node.op === "Unsqueeze") && node.attrs.axes !== undefined) inputs.push(extra({ dataType: 7, dims: [node.attrs.axes.length], int64Data: [...node.attrs.axes] }));
    if (node.op === "Clip") {
      inputs.push(extra({ dataType: 1, dims: [], floatData: [Math.max(node.attrs.min, -3.4e38)] }), extra({ dataType: 1, dims: [], floatData: [Math.min(node.attrs.max, 3.4e38)] }));
    }
    const opType = node.op === "Unknown" ? node.onnxOp : node.op;
    const outputs = [...node.outputs];
    if (node.activation !== undefined) {
      const mid = `${outputs[0]}__pre_activation`;
      nodes.push({ name: node.name, opType, input: inputs, output: [mid, ...outputs.slice(1)], attribute: attributes(node) });
      nodes.push({ name: `${node.name}__activation`, ...activationNode(node.activation, mid, outputs[0] ?? "", extra) });
    } else {
      nodes.push({ name: node.name, opType, input: inputs, output: outputs, attribute: attributes(node) });
    }
  }
  for (const t of graph.tensors.values()) if (t.data !== undefined) initializers.push(tensorProto(t));
  const valueInfo = (name: string): Onnx.IValueInfoProto => {
    const t = graph.tensors.get(name);
    return { name, type: { tensorType: { elemType: ELEM[t?.dtype ?? "float32"] ?? 1, shape: { dim: ((t?.shape ?? []) as number[]).map((d) => ({ dimValue: d })) } } } };
  };
  const usesHardSwish = nodes.some((n) => n.opType === "HardSwish");
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: usesHardSwish ? 14 : 13 }],
    graph: { name: graph.name, node: nodes, initializer: initializers, input: graph.inputs.map(valueInfo), output: graph.outputs.map(valueInfo) },
  });
  return onnx.ModelProto.encode(model).finish();
}
