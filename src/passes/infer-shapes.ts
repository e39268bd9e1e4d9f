/**
 * Pass `infer-shapes`: gives every tensor a static shape, and on the way
 *  - applies `--input-shape` overrides and refuses dynamic inputs without one;
 *  - folds the shape arithmetic exporters emit (see fold.ts), so that
 *    Shape → Gather → Unsqueeze → Concat → Reshape becomes a constant shape;
 *  - moves attributes that later opsets pass as constant inputs (Clip min/max,
 *    Pad pads, Squeeze/Unsqueeze/ReduceMean axes, Resize scales/sizes) back
 *    into typed attributes, so every later stage sees one canonical form;
 *  - resolves auto_pad and defaults of Conv and pooling into explicit pads.
 * Declared shapes (graph outputs, value_info) must agree with inferred ones.
 */

import { CompilerError } from "../diag/errors.js";
import type { Graph, Node } from "../ir/graph.js";
import { inferOutputShapes, type ShapeContext } from "../ir/ops/shapes.js";
import { ConstData, elementCount, encodeNumbers, isStatic, readNumbers, type StaticShape, type Tensor } from "../ir/tensor.js";
import { evaluate, isFoldable, MAX_FOLD_ELEMENTS, needsOnlyShape, type Value } from "./fold.js";

export interface InferShapesOptions {
  /** Static shapes for graph inputs, by name. */
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
}

export function inferShapes(graph: Graph, options: InferShapesOptions = {}): Graph {
  applyInputShapes(graph, options.inputShapes ?? {});
  const opset = graph.opsets[""] ?? 13;
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    canonicaliseInputAttributes(graph, node, opset);
    if (tryFold(graph, node)) continue;
    // Downstream of an unsupported operator shapes are unknown; inspect still reports the rest.
    if (node.inputs.some((name) => name !== "" && staticShape(graph.tensors.get(name)) === undefined)) {
      nodes.push(node);
      continue;
    }
    const ctx: ShapeContext = {
      inputs: node.inputs.map((name) => (name === "" ? undefined : staticShape(graph.tensors.get(name)))),
      constant: (i) => constantNumbers(graph, node.inputs[i]),
    };
    const shapes = inferOutputShapes(node, ctx);
    if (shapes !== undefined) {
      const dtype = graph.tensors.get(node.inputs[0] ?? "")?.dtype ?? "float32";
      node.outputs.forEach((out, i) => {
        const shape = shapes[i];
        if (out === "" || shape === undefined) return;
        setShape(graph, node, out, shape, dtype);
      });
    }
    nodes.push(node);
  }
  graph.nodes = nodes;
  return graph;
}

function applyInputShapes(graph: Graph, overrides: Readonly<Record<string, readonly number[]>>): void {
  for (const [name, dims] of Object.entries(overrides)) {
    const t = graph.tensors.get(name);
    if (t === undefined || !graph.inputs.includes(name)) {
      throw new CompilerError("CODL-E016", { value: `${name}=${dims.join("x")}`, cause: `the graph has no input '${name}' (inputs: ${graph.inputs.join(", ")})` });
    }
    if (t.shape !== undefined && t.shape.length !== dims.length) {
      throw new CompilerError("CODL-E016", { value: `${name}=${dims.join("x")}`, cause: `input '${name}' has rank ${t.shape.length}` });
    }
    t.shape?.forEach((d, axis) => {
      if (typeof d === "number" && d !== dims[axis]) {
        throw new CompilerError("CODL-E016", { value: `${name}=${dims.join("x")}`, cause: `axis ${axis} is fixed at ${d} in the model` });
      }
    });
    t.shape = [...dims];
  }
  for (const name of graph.inputs) {
    const t = graph.tensors.get(name);
    if (t?.shape === undefined) throw new CompilerError("CODL-E015", { tensor: name, dim: "?", axis: "all" });
    t.shape.forEach((d, axis) => {
      if (typeof d !== "number") throw new CompilerError("CODL-E015", { tensor: name, dim: d, axis });
    });
  }
}

function staticShape(t: Tensor | undefined): StaticShape | undefined {
  return t !== undefined && isStatic(t.shape) ? t.shape : undefined;
}

/** Small constant tensors as numbers; large ones (weights) are never read here. */
function constantValue(graph: Graph, name: string | undefined): Value | undefined {
  if (name === undefined || name === "") return undefined;
  const t = graph.tensors.get(name);
  if (t?.data === undefined || !isStatic(t.shape) || elementCount(t.shape) > MAX_FOLD_ELEMENTS) return undefined;
  return { dtype: t.dtype, shape: t.shape, data: readNumbers(t) };
}

function constantNumbers(graph: Graph, name: string | undefined): readonly number[] | undefined {
  return constantValue(graph, name)?.data;
}

function tryFold(graph: Graph, node: Node): boolean {
  if (!isFoldable(node)) return false;
  const values = node.inputs.map((name) => constantValue(graph, name));
  const shapes = node.inputs.map((name) => staticShape(graph.tensors.get(name)));
  const ready = needsOnlyShape(node) ? shapes[0] !== undefined : node.inputs.every((name, i) => name === "" || values[i] !== undefined);
  if (!ready) return false;
  const results = evaluate(node, { values, shapes });
  if (results === undefined || results.length < node.outputs.filter((o) => o !== "").length) return false;
  node.outputs.forEach((out, i) => {
    const v = results[i];
    if (out === "" || v === undefined) return;
    const dtype = v.dtype === "bool" ? "bool" : v.dtype;
    const data = ConstData.ofBytes(encodeNumbers(v.data, dtype));
    graph.tensors.set(out, { name: out, dtype, shape: [...v.shape], data });
  });
  return true;
}

function setShape(graph: Graph, node: Node, out: string, shape: number[], dtype: Tensor["dtype"]): void {
  shape.forEach((d, axis) => {
    if (!Number.isSafeInteger(d) || d <= 0) throw new CompilerError("CODL-E013", { tensor: out, dim: d, axis });
  });
  const elements = shape.reduce((p, d) => p * d, 1);
  if (elements > Number.MAX_SAFE_INTEGER) throw new CompilerError("CODL-E014", { tensor: out, elements: elements.toExponential(3) });
  const existing = graph.tensors.get(out);
  const declared = existing?.shape;
  if (declared !== undefined) {
    const clash = declared.length !== shape.length || declared.some((d, i) => typeof d === "number" && d !== shape[i]);
    if (clash) {
      throw new CompilerError("CODL-E030", {
        node: node.name,
        op: node.onnxOp,
        cause: `output '${out}' is declared as [${declared.join(", ")}] but computes to [${shape.join(", ")}]`,
      });
    }
  }
  graph.tensors.set(out, { name: out, dtype: existing?.dtype ?? dtype, shape, data: undefined });
}

/**
 * Later opsets pass some attributes as inputs. When those inputs are
 * constant, they become attributes again and the inputs are dropped.
 */
function canonicaliseInputAttributes(graph: Graph, node: Node, opset: number): void {
  const num = (i: number): readonly number[] | undefined => constantNumbers(graph, node.inputs[i]);
  const given = (i: number): boolean => (node.inputs[i] ?? "") !== "";
  const requireConstant = (i: number, what: string): readonly number[] => {
    const v = num(i);
    if (v === undefined) throw new CompilerError("CODL-E041", { node: node.name, op: node.onnxOp, cause: `${what} is computed at run time; codl needs a constant` });
    return v;
  };
  switch (node.op) {
    case "Clip": {
      if (node.inputs.length <= 1) return;
      const min = given(1) ? requireConstant(1, "min")[0] : undefined;
      const max = given(2) ? requireConstant(2, "max")[0] : undefined;
      node.attrs = { min: min ?? node.attrs.min, max: max ?? node.attrs.max };
      node.inputs = node.inputs.slice(0, 1);
      return;
    }
    case "Pad": {
      if (node.inputs.length <= 1) return;
      const rank = staticShape(graph.tensors.get(node.inputs[0] ?? ""))?.length ?? 0;
      let pads = [...requireConstant(1, "pads")];
      const value = given(2) ? (requireConstant(2, "constant_value")[0] ?? 0) : node.attrs.value;
      if (given(3)) {
        const axes = requireConstant(3, "axes").map((a) => (a < 0 ? a + rank : a));
        const full = new Array<number>(2 * rank).fill(0);
        axes.forEach((a, i) => {
          full[a] = pads[i] ?? 0;
          full[a + rank] = pads[i + axes.length] ?? 0;
        });
        pads = full;
      }
      node.attrs = { ...node.attrs, pads, value };
      node.inputs = node.inputs.slice(0, 1);
      return;
    }
    case "Squeeze":
    case "Unsqueeze":
    case "ReduceMean": {
      if (node.inputs.length <= 1) return;
      const axes = given(1) ? [...requireConstant(1, "axes")] : undefined;
      node.attrs = { ...node.attrs, axes } as typeof node.attrs;
      node.inputs = node.inputs.slice(0, 1);
      return;
    }
    case "Resize": {
      if (node.inputs.length <= 1) return;
      // Upsample-9 and Resize-10: [X, scales]; Resize-11+: [X, roi, scales, sizes].
      const twoInputForm = node.onnxOp === "Upsample" || opset < 11;
      const scalesAt = twoInputForm ? 1 : 2;
      const scales = given(scalesAt) ? requireConstant(scalesAt, "scales") : undefined;
      const sizes = !twoInputForm && given(3) ? requireConstant(3, "sizes") : undefined;
      node.attrs = {
        ...node.attrs,
        scales: scales !== undefined && scales.length > 0 ? [...scales] : node.attrs.scales,
        sizes: sizes !== undefined && sizes.length > 0 ? [...sizes] : undefined,
      };
      node.inputs = node.inputs.slice(0, 1);
      return;
    }
    default:
      return;
  }
}
