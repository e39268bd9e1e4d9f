/**
 * Pass `fuse-activation`: an activation whose only input comes from a Conv,
 * ConvTranspose or Add (read by nothing else) runs inside that operator's
 * kernel instead (Relu, Clip, LeakyRelu, HardSwish, Sigmoid, Tanh). Clip(0, 6)
 * becomes relu6, Clip(0, ∞) relu, any other constant Clip a generic clamp.
 */

import type { Activation, Graph, Node } from "../ir/graph.js";
import { fusionIndex } from "../ir/graph.js";
import type { PassContext } from "./pass.js";

const HOSTS = new Set<Node["op"]>(["Conv", "ConvTranspose", "Add"]);

function activationOf(node: Node): Activation | undefined {
  switch (node.op) {
    case "Relu":
      return { kind: "relu" };
    case "LeakyRelu":
      return { kind: "leakyRelu", alpha: node.attrs.alpha };
    case "HardSwish":
      return { kind: "hardSwish" };
    case "Sigmoid":
      return { kind: "sigmoid" };
    case "Tanh":
      return { kind: "tanh" };
    case "Clip": {
      if (node.inputs.length > 1) return undefined; // bounds computed at run time
      const { min, max } = node.attrs;
      if (min === 0 && max === 6) return { kind: "relu6" };
      if (min === 0 && max === Number.POSITIVE_INFINITY) return { kind: "relu" };
      return { kind: "clip", min, max };
    }
    default:
      return undefined;
  }
}

export function fuseActivation(graph: Graph, ctx: PassContext): Graph {
  const index = fusionIndex(graph);
  const removed = new Set<Node>();
  for (const act of graph.nodes) {
    const activation = activationOf(act);
    if (activation === undefined) continue;
    const host = index.exclusive(act.inputs[0] ?? "");
    if (host === undefined || !HOSTS.has(host.op) || host.activation !== undefined || removed.has(host)) continue;
    host.activation = activation;
    host.outputs = [act.outputs[0] ?? ""];
    host.fusedFrom = [...host.fusedFrom, ...act.fusedFrom];
    removed.add(act);
    index.moved(act.outputs[0] ?? "", host);
    ctx.record({ pass: "fuse-activation", kind: `${host.op}+${act.onnxOp}`, nodes: [host.name, act.name] });
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  return graph;
}
