/**
 * The IR graph: tensors by name, nodes in topological order, graph inputs and
 * outputs, and the opset per domain. Produced by onnx/, rewritten by passes/,
 * read by everything after.
 *
 * Nodes carry typed camelCase attributes (see ops/). An operator codl does
 * not know is kept as op "Unknown" with its ONNX type and raw attributes, so
 * `inspect` can list it and `compile` can refuse it with a precise error.
 */

import type { Tensor } from "./tensor.js";
import type { AttrsOf, KnownOp } from "./ops/attrs.js";

/** An ONNX attribute after normalisation at the import boundary (int64 → number). */
export type RawAttr =
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "floats"; readonly value: readonly number[] }
  | { readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly kind: "strings"; readonly value: readonly string[] }
  | { readonly kind: "tensor"; readonly value: Tensor }
  | { readonly kind: "other"; readonly type: string };

export type RawAttrs = Readonly<Record<string, RawAttr>>;

/** An activation fused into the operator that produces its input. */
export type Activation =
  | { readonly kind: "relu" }
  | { readonly kind: "relu6" }
  | { readonly kind: "clip"; readonly min: number; readonly max: number }
  | { readonly kind: "leakyRelu"; readonly alpha: number }
  | { readonly kind: "hardSwish" }
  | { readonly kind: "sigmoid" }
  | { readonly kind: "tanh" };

interface NodeBase {
  /** Unique, non-empty (the importer names anonymous nodes deterministically). */
  readonly name: string;
  /** Operator type and domain as written in the ONNX file. */
  readonly onnxOp: string;
  readonly domain: string;
  /** Input tensor names; "" marks an absent optional input. */
  inputs: string[];
  outputs: string[];
  /** Names of the ONNX nodes this node stands for (itself first, then fused ones). */
  fusedFrom: string[];
  activation: Activation | undefined;
}

export type NodeOf<K extends KnownOp> = NodeBase & { readonly op: K; attrs: AttrsOf<K> };

export type UnknownNode = NodeBase & { readonly op: "Unknown"; attrs: RawAttrs };

export type Node = { [K in KnownOp]: NodeOf<K> }[KnownOp] | UnknownNode;

export type OpKind = Node["op"];

export interface Graph {
  name: string;
  /** Every tensor by name: inputs, initializers, intermediates, outputs. */
  tensors: Map<string, Tensor>;
  /** Topologically ordered. */
  nodes: Node[];
  inputs: string[];
  outputs: string[];
  /** Opset version per domain ("" is the default ONNX domain). */
  opsets: Readonly<Record<string, number>>;
}

export function isOp<K extends OpKind>(node: Node, op: K): node is Extract<Node, { op: K }> {
  return node.op === op;
}

/** Map from tensor name to the nodes that read it, in node order. */
export function consumersOf(graph: Graph): Map<string, Node[]> {
  const out = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (input === "") continue;
      const list = out.get(input);
      if (list === undefined) out.set(input, [node]);
      else if (!list.includes(node)) list.push(node);
    }
  }
  return out;
}

/** Map from tensor name to the node that writes it. */
export function producersOf(graph: Graph): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const node of graph.nodes) for (const output of node.outputs) if (output !== "") out.set(output, node);
  return out;
}

export function tensorOf(graph: Graph, name: string): Tensor | undefined {
  return graph.tensors.get(name);
}

/**
 * Producer lookups for fusion: `exclusive(t)` is the node that writes tensor
 * t when exactly one node reads t and t is not a graph output, i.e. when t
 * can disappear into a fused kernel.
 */
export function fusionIndex(graph: Graph): { exclusive: (tensor: string) => Node | undefined; moved: (tensor: string, node: Node) => void } {
  const consumers = consumersOf(graph);
  const producers = producersOf(graph);
  return {
    exclusive: (tensor) => {
      if (graph.outputs.includes(tensor) || (consumers.get(tensor)?.length ?? 0) !== 1) return undefined;
      return producers.get(tensor);
    },
    moved: (tensor, node) => {
      producers.set(tensor, node);
    },
  };
}
