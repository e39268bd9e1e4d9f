/**
 * Pass `dce`: removes nodes whose outputs nothing reads (folding and fusion
 * leave such nodes and constants behind) and forgets tensors no node, graph
 * input or graph output mentions.
 */

import type { Graph } from "../ir/graph.js";
import type { PassContext } from "./pass.js";

export function eliminateDeadCode(graph: Graph, ctx: PassContext): Graph {
  const live = new Set<string>(graph.outputs);
  const kept = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (node === undefined) continue;
    if (node.outputs.some((o) => o !== "" && live.has(o))) {
      kept.push(node);
      for (const input of node.inputs) if (input !== "") live.add(input);
    } else {
      ctx.record({ pass: "dce", kind: "dead node", nodes: [node.name] });
    }
  }
  graph.nodes = kept.reverse();
  for (const node of graph.nodes) for (const o of node.outputs) if (o !== "") live.add(o);
  for (const name of graph.inputs) live.add(name);
  for (const name of [...graph.tensors.keys()]) if (!live.has(name)) graph.tensors.delete(name);
  return graph;
}
