/**
 * Work and parameter counts per node, for `inspect` and the FLOPs-linear
 * baseline. FLOPs count a multiply-add as 2; element-wise ops and fused
 * activations count 1 per output element; pure data movement counts 0.
 * Parameters are the elements of a node's floating-point constant inputs.
 */

import { isFloat } from "../dtype.js";
import type { Graph, Node } from "../graph.js";
import { elementCount, isStatic, type StaticShape } from "../tensor.js";

export interface NodeCost {
  readonly flops: number;
  readonly params: number;
}

function shapeOf(graph: Graph, name: string | undefined): StaticShape | undefined {
  const s = name === undefined ? undefined : graph.tensors.get(name)?.shape;
  return isStatic(s) ? s : undefined;
}

const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

export function nodeFlops(graph: Graph, node: Node): number {
  const out = shapeOf(graph, node.outputs[0]);
  const x = shapeOf(graph, node.inputs[0]);
  if (out === undefined) return 0;
  const outElems = elementCount(out);
  const act = node.activation === undefined ? 0 : outElems;
  switch (node.op) {
    case "Conv": {
      const w = shapeOf(graph, node.inputs[1]);
      if (w === undefined) return 0;
      // Every output element is a dot product over IC/group × kernel.
      return 2 * outElems * prod(w.slice(1)) + (node.inputs[2] ? outElems : 0) + act;
    }
    case "ConvTranspose": {
      const w = shapeOf(graph, node.inputs[1]);
      if (w === undefined || x === undefined) return 0;
      return 2 * elementCount(x) * prod(w.slice(1)) + (node.inputs[2] ? outElems : 0) + act;
    }
    case "Gemm": {
      const a = shapeOf(graph, node.inputs[0]);
      if (a === undefined) return 0;
      const k = node.attrs.transA ? (a[0] as number) : (a[1] as number);
      return 2 * outElems * k + (node.inputs[2] ? outElems : 0);
    }
    case "MatMul": {
      const a = shapeOf(graph, node.inputs[0]);
      if (a === undefined) return 0;
      return 2 * outElems * (a[a.length - 1] as number);
    }
    case "MaxPool":
    case "AveragePool":
      return outElems * prod(node.attrs.kernelShape);
    case "GlobalAveragePool":
    case "GlobalMaxPool":
    case "ReduceMean":
      return x === undefined ? 0 : elementCount(x);
    case "BatchNormalization":
      return 2 * outElems;
    case "Softmax":
      return 3 * outElems;
    case "Resize":
      return node.attrs.mode === "nearest" ? 0 : 4 * outElems;
    case "Add":
    case "Mul":
    case "Sub":
    case "Div":
      return outElems + act;
    case "Relu":
    case "LeakyRelu":
    case "PRelu":
    case "Clip":
    case "Sigmoid":
    case "HardSigmoid":
    case "HardSwish":
    case "Tanh":
      return outElems;
    default:
      return 0;
  }
}

export function nodeParams(graph: Graph, node: Node): number {
  let params = 0;
  for (const name of node.inputs) {
    const t = name === "" ? undefined : graph.tensors.get(name);
    if (t?.data !== undefined && isFloat(t.dtype) && isStatic(t.shape)) params += elementCount(t.shape);
  }
  return params;
}

export function nodeCost(graph: Graph, node: Node): NodeCost {
  return { flops: nodeFlops(graph, node), params: nodeParams(graph, node) };
}
