/**
 * Pass `fuse-conv-bn`: folds an inference-mode BatchNormalization into the
 * convolution that feeds it (torch exports them unfused):
 *
 *   y = γ·(conv(x, W) + b − μ)/√(σ² + ε) + β
 *     = conv(x, W·s) + (b − μ)·s + β,   s = γ/√(σ² + ε)   (per output channel)
 *
 * The folded weights are lazy constants: they are computed only when a later
 * stage reads them, so inspecting a large model never copies its weights.
 */

import type { Graph, Node, NodeOf } from "../ir/graph.js";
import { fusionIndex } from "../ir/graph.js";
import { ConstData, elementCount, isStatic, readNumbers, type Tensor } from "../ir/tensor.js";
import type { PassContext } from "./pass.js";

export function fuseConvBn(graph: Graph, ctx: PassContext): Graph {
  const index = fusionIndex(graph);
  const removed = new Set<Node>();
  for (const bn of graph.nodes) {
    if (bn.op !== "BatchNormalization" || bn.outputs.filter((o) => o !== "").length !== 1) continue;
    const conv = index.exclusive(bn.inputs[0] ?? "");
    if (conv === undefined || conv.op !== "Conv" || conv.activation !== undefined) continue;
    const params = bn.inputs.slice(1, 5).map((n) => graph.tensors.get(n));
    const weight = graph.tensors.get(conv.inputs[1] ?? "");
    if (weight?.data === undefined || weight.dtype !== "float32" || !isStatic(weight.shape)) continue;
    if (params.length !== 4 || params.some((p) => p?.data === undefined || p.dtype !== "float32")) continue;
    const bias = conv.inputs[2] ? graph.tensors.get(conv.inputs[2]) : undefined;
    if (conv.inputs[2] && (bias?.data === undefined || bias.dtype !== "float32")) continue;
    fold(graph, conv, bn, weight, params as Tensor[], bias);
    removed.add(bn);
    ctx.record({ pass: "fuse-conv-bn", kind: "Conv+BatchNormalization", nodes: [conv.name, bn.name] });
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  return graph;
}

function fold(graph: Graph, conv: NodeOf<"Conv">, bn: NodeOf<"BatchNormalization">, weight: Tensor, params: Tensor[], bias: Tensor | undefined): void {
  const [gamma, beta, mean, variance] = params as [Tensor, Tensor, Tensor, Tensor];
  const eps = bn.attrs.epsilon;
  const shape = weight.shape as readonly number[];
  const oc = shape[0] as number;
  const perChannel = elementCount(shape) / oc;
  const scale = (): Float64Array => {
    const g = readNumbers(gamma);
    const v = readNumbers(variance);
    return Float64Array.from({ length: oc }, (_, m) => (g[m] ?? 1) / Math.sqrt((v[m] ?? 1) + eps));
  };
  const weightData = weight.data as ConstData;
  const folded = ConstData.lazy(() => {
    const s = scale();
    const src = weightData.bytes();
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const out = new Float32Array(oc * perChannel);
    for (let m = 0; m < oc; m++) {
      const k = s[m] as number;
      for (let i = 0; i < perChannel; i++) {
        const at = m * perChannel + i;
        out[at] = view.getFloat32(at * 4, true) * k;
      }
    }
    return new Uint8Array(out.buffer);
  });
  const foldedBias = ConstData.lazy(() => {
    const s = scale();
    const b = bias === undefined ? [] : readNumbers(bias);
    const mu = readNumbers(mean);
    const be = readNumbers(beta);
    const out = Float32Array.from({ length: oc }, (_, m) => ((b[m] ?? 0) - (mu[m] ?? 0)) * (s[m] as number) + (be[m] ?? 0));
    return new Uint8Array(out.buffer);
  });
  const weightName = uniqueName(graph, `${conv.name}::weight_bn`);
  const biasName = uniqueName(graph, `${conv.name}::bias_bn`);
  graph.tensors.set(weightName, { name: weightName, dtype: "float32", shape: [...shape], data: folded });
  graph.tensors.set(biasName, { name: biasName, dtype: "float32", shape: [oc], data: foldedBias });
  conv.inputs = [conv.inputs[0] ?? "", weightName, biasName];
  conv.outputs = [bn.outputs[0] ?? ""];
  conv.fusedFrom = [...conv.fusedFrom, ...bn.fusedFrom];
}

export function uniqueName(graph: Graph, base: string): string {
  let name = base;
  for (let k = 1; graph.tensors.has(name); k++) name = `${base}_${k}`;
  return name;
}
