/**
 * Pass `fuse-hardswish`: exporters without a HardSwish op (paddle2onnx,
 * torch before opset 14, tf2onnx) spell it out. Two spellings are common:
 *
 *   x ─┬────────────────────────────── Mul ── y      y = x · HardSigmoid(x)
 *      └─ HardSigmoid(α=1/6, β=½) ──────┘            with α = 1/6, β = ½
 *
 *   x ─┬────────────────────── Mul ── Div(6) ── y    y = x · Clip(x + 3, 0, 6) / 6
 *      └─ Add(3) ── Clip(0, 6) ─┘                    (or the Div before the Mul)
 *
 * Both become one HardSwish node, which fuse-activation can then fold into
 * the producing convolution. Intermediate tensors must have no other reader.
 */

import type { Graph, Node } from "../ir/graph.js";
import { consumersOf, producersOf } from "../ir/graph.js";
import { elementCount, isStatic, readNumbers } from "../ir/tensor.js";
import type { PassContext } from "./pass.js";

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b));

export function fuseHardSwish(graph: Graph, ctx: PassContext): Graph {
  const consumers = consumersOf(graph);
  const producers = producersOf(graph);
  const only = (tensor: string): boolean => !graph.outputs.includes(tensor) && (consumers.get(tensor)?.length ?? 0) === 1;
  const scalar = (tensor: string | undefined): number | undefined => {
    const t = tensor === undefined ? undefined : graph.tensors.get(tensor);
    if (t?.data === undefined || !isStatic(t.shape) || elementCount(t.shape) !== 1) return undefined;
    return readNumbers(t)[0];
  };
  /** The constant operand of a binary node whose other operand is `x`. */
  const constantBeside = (node: Node, x: string): number | undefined => {
    if (node.inputs[0] === x) return scalar(node.inputs[1]);
    if (node.inputs[1] === x && (node.op === "Add" || node.op === "Mul")) return scalar(node.inputs[0]);
    return undefined;
  };
  /** Clip(Add(x, 3), 0, 6) reading x, as [clip, add]. */
  const clipOfXPlus3 = (clipOut: string): { x: string; nodes: Node[] } | undefined => {
    const clip = producers.get(clipOut);
    if (clip?.op !== "Clip" || clip.inputs.length > 1 || !close(clip.attrs.min, 0) || !close(clip.attrs.max, 6) || !only(clip.inputs[0] ?? "")) return undefined;
    const add = producers.get(clip.inputs[0] ?? "");
    if (add?.op !== "Add") return undefined;
    for (const x of add.inputs) if (close(constantBeside(add, x) ?? Number.NaN, 3)) return { x, nodes: [add, clip] };
    return undefined;
  };

  const removed = new Set<Node>();
  const replacements = new Map<Node, Node>();
  for (const node of graph.nodes) {
    if (removed.has(node)) continue;
    let match: { x: string; nodes: Node[] } | undefined;
    if (node.op === "Mul") {
      for (const [i, gate] of node.inputs.entries()) {
        const x = node.inputs[1 - i] ?? "";
        const hs = producers.get(gate);
        if (hs?.op === "HardSigmoid" && hs.inputs[0] === x && only(gate) && close(hs.attrs.alpha, 1 / 6) && close(hs.attrs.beta, 0.5)) {
          match = { x, nodes: [hs, node] };
          break;
        }
      }
    } else if (node.op === "Div" && close(scalar(node.inputs[1]) ?? Number.NaN, 6) && only(node.inputs[0] ?? "")) {
      // x · Clip(x + 3, 0, 6), then / 6
      const mul = producers.get(node.inputs[0] ?? "");
      if (mul?.op === "Mul") {
        for (const [i, c] of mul.inputs.entries()) {
          const inner = only(c) ? clipOfXPlus3(c) : undefined;
          if (inner !== undefined && inner.x === mul.inputs[1 - i]) match = { x: inner.x, nodes: [...inner.nodes, mul, node] };
        }
      }
    }
    if (match === undefined && node.op === "Mul") {
      // x · (Clip(x + 3, 0, 6) / 6)
      for (const [i, d] of node.inputs.entries()) {
        const div = producers.get(d);
        if (div?.op !== "Div" || !only(d) || !close(scalar(div.inputs[1]) ?? Number.NaN, 6) || !only(div.inputs[0] ?? "")) continue;
        const inner = clipOfXPlus3(div.inputs[0] ?? "");
        if (inner !== undefined && inner.x === node.inputs[1 - i]) match = { x: inner.x, nodes: [...inner.nodes, div, node] };
      }
    }
    if (match === undefined) continue;
    const last = match.nodes[match.nodes.length - 1] as Node;
    const fused: Node = {
      name: last.name,
      onnxOp: "HardSwish",
      domain: "",
      op: "HardSwish",
      attrs: {},
      inputs: [match.x],
      outputs: [...last.outputs],
      fusedFrom: match.nodes.flatMap((n) => n.fusedFrom),
      activation: undefined,
    };
    for (const n of match.nodes) removed.add(n);
    replacements.set(last, fused);
    ctx.record({ pass: "fuse-hardswish", kind: "HardSwish pattern", nodes: match.nodes.map((n) => n.name) });
  }
  graph.nodes = graph.nodes.flatMap((n) => {
    const r = replacements.get(n);
    if (r !== undefined) return [r];
    return removed.has(n) ? [] : [n];
  });
  return graph;
}
