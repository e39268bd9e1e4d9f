/**
 * The IR checker, run between passes. It checks what every stage relies on:
 * unique producers, inputs defined before use (topological order), tensors
 * registered, input arity per op, and (after infer-shapes) static shapes.
 * Failures name the node, its op and its inputs.
 */

import { CompilerError } from "../diag/errors.js";
import type { Graph, Node } from "./graph.js";
import { isStatic } from "./tensor.js";

export interface VerifyOptions {
  /** Every output of a known node whose inputs are static must be static. */
  readonly requireShapes: boolean;
}

/** [min, max] number of inputs per op kind (absent optional inputs count as given). */
const ARITY: { readonly [K in Node["op"]]: readonly [number, number] } = {
  Conv: [2, 3],
  ConvTranspose: [2, 3],
  BatchNormalization: [5, 5],
  Relu: [1, 1],
  LeakyRelu: [1, 1],
  PRelu: [2, 2],
  Clip: [1, 3],
  Sigmoid: [1, 1],
  HardSigmoid: [1, 1],
  HardSwish: [1, 1],
  Tanh: [1, 1],
  Add: [2, 2],
  Mul: [2, 2],
  Sub: [2, 2],
  Div: [2, 2],
  Concat: [1, Number.MAX_SAFE_INTEGER],
  MaxPool: [1, 1],
  AveragePool: [1, 1],
  GlobalAveragePool: [1, 1],
  GlobalMaxPool: [1, 1],
  Gemm: [2, 3],
  MatMul: [2, 2],
  Flatten: [1, 1],
  Reshape: [2, 2],
  Transpose: [1, 1],
  Squeeze: [1, 2],
  Unsqueeze: [1, 2],
  Softmax: [1, 1],
  Resize: [1, 4],
  Pad: [1, 4],
  ReduceMean: [1, 2],
  Unknown: [0, Number.MAX_SAFE_INTEGER],
};

function fail(node: Node, cause: string): never {
  throw new CompilerError("CODL-E019", { node: node.name, op: `${node.onnxOp}(${node.inputs.join(", ")})`, cause });
}

export function verifyGraph(graph: Graph, options: VerifyOptions): void {
  const defined = new Set<string>(graph.inputs);
  for (const [name, t] of graph.tensors) if (t.data !== undefined) defined.add(name);
  const names = new Set<string>();
  for (const node of graph.nodes) {
    if (node.name === "" || names.has(node.name)) fail(node, "node names must be unique and non-empty");
    names.add(node.name);
    const [min, max] = ARITY[node.op];
    if (node.inputs.length < min || node.inputs.length > max) fail(node, `takes ${min}–${max} inputs, has ${node.inputs.length}`);
    for (const input of node.inputs) {
      if (input === "") continue;
      if (!defined.has(input)) fail(node, `input '${input}' is not defined before this node`);
      if (!graph.tensors.has(input)) fail(node, `input '${input}' is not registered as a tensor`);
    }
    for (const output of node.outputs) {
      if (output === "") continue;
      if (defined.has(output)) fail(node, `output '${output}' is already produced elsewhere`);
      if (!graph.tensors.has(output)) fail(node, `output '${output}' is not registered as a tensor`);
      defined.add(output);
    }
    if (options.requireShapes && node.op !== "Unknown") {
      const inputsStatic = node.inputs.every((i) => i === "" || isStatic(graph.tensors.get(i)?.shape));
      const out = node.outputs.find((o) => o !== "" && !isStatic(graph.tensors.get(o)?.shape));
      if (inputsStatic && out !== undefined) fail(node, `output '${out}' has no static shape`);
    }
  }
  for (const out of graph.outputs) {
    if (!defined.has(out)) throw new CompilerError("CODL-E017", { tensor: out });
  }
}
