/**
 * ONNX → IR. Decodes the model, normalises it once (default domain, opset per
 * domain, int64 → number, anonymous nodes named), turns initializers and
 * Constant nodes into constant tensors, drops Identity and Dropout, checks the
 * structure (duplicate producers, dangling names, cycles) and orders nodes
 * topologically. Shape-dependent folding (torch's Shape → Gather → Unsqueeze
 * → Concat → Reshape) happens in the infer-shapes pass, which knows shapes.
 */

import { CompilerError } from "../diag/errors.js";
import type { Graph, Node, RawAttr, RawAttrs } from "../ir/graph.js";
import { parseNode } from "../ir/ops/parse.js";
import type { Tensor } from "../ir/tensor.js";
import { AttributeType, type AttributeProto, decodeModel, type GraphProto, type NodeProto } from "./decode.js";
import { type ExternalDataReader, type TensorContext, tensorFromProto, tensorFromValueInfo, toNumber } from "./values.js";

export interface ImportOptions {
  /** The model's path, for messages. */
  readonly path?: string;
  /** Reads external data from the model's folder; without it, external data is refused. */
  readonly readExternal?: ExternalDataReader;
  /** Largest tensor accepted, in bytes (default 4 GiB). */
  readonly maxTensorBytes?: number;
}

export const MIN_OPSET = 7;
export const MAX_OPSET = 22;

/** Facts about the file itself, before any rewriting. */
export interface ModelInfo {
  readonly irVersion: number;
  readonly producer: string;
  readonly opsets: Readonly<Record<string, number>>;
  /** ONNX node op types as written in the file (Constant, Identity, Dropout included), sorted by type. */
  readonly onnxOpCounts: Readonly<Record<string, number>>;
}

export interface ImportedModel {
  readonly graph: Graph;
  readonly info: ModelInfo;
}

export function importOnnx(bytes: Uint8Array, options: ImportOptions = {}): ImportedModel {
  const path = options.path ?? "<model>";
  const model = decodeModel(bytes, path);
  const graphProto = model.graph as GraphProto;
  const opsets = readOpsets(model.opsetImport ?? [], model.irVersion);
  const ctx: TensorContext = { path, readExternal: options.readExternal, maxTensorBytes: options.maxTensorBytes ?? 4 * 1024 ** 3 };
  const graph = buildGraph(graphProto, opsets, ctx);
  const counts: Record<string, number> = {};
  for (const n of graphProto.node ?? []) {
    const key = n.domain && n.domain !== "ai.onnx" ? `${n.domain}.${n.opType ?? ""}` : (n.opType ?? "");
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const producer = [model.producerName, model.producerVersion].filter((s) => s).join(" ");
  return { graph, info: { irVersion: toNumber(model.irVersion), producer, opsets, onnxOpCounts: sortKeys(counts) } };
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function readOpsets(imports: readonly { domain?: string | null; version?: unknown }[], irVersion: unknown): Record<string, number> {
  const opsets: Record<string, number> = {};
  for (const entry of imports) opsets[normaliseDomain(entry.domain ?? "")] = toNumber(entry.version);
  // IR version 3 files without opset_import imply opset 1: too old for codl.
  const main = opsets[""] ?? (toNumber(irVersion) >= 3 ? 1 : 0);
  if (main < MIN_OPSET || main > MAX_OPSET) {
    throw new CompilerError("CODL-E042", { domain: "ai.onnx", version: main, cause: `codl reads opsets ${MIN_OPSET}–${MAX_OPSET}` });
  }
  opsets[""] = main;
  return Object.fromEntries(Object.entries(opsets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function normaliseDomain(domain: string): string {
  return domain === "ai.onnx" ? "" : domain;
}

function buildGraph(proto: GraphProto, opsets: Record<string, number>, ctx: TensorContext): Graph {
  const tensors = new Map<string, Tensor>();
  const producer = new Map<string, string>();
  const claim = (name: string, by: string): void => {
    const first = producer.get(name);
    if (first !== undefined) throw new CompilerError("CODL-E010", { tensor: name, first, second: by });
    producer.set(name, by);
  };

  (proto.initializer ?? []).forEach((init, i) => {
    const t = tensorFromProto(init, `initializer_${i}`, ctx);
    claim(t.name, "an initializer");
    tensors.set(t.name, t);
  });
  const inputs: string[] = [];
  for (const info of proto.input ?? []) {
    const name = info.name ?? "";
    // IR < 4 lists initializers among the inputs too; they are constants, not inputs.
    if (tensors.get(name)?.data !== undefined) continue;
    const t = tensorFromValueInfo(info);
    claim(name, "a graph input");
    tensors.set(name, t);
    inputs.push(name);
  }
  for (const info of proto.valueInfo ?? []) {
    const name = info.name ?? "";
    if (name === "" || tensors.has(name) || info.type?.tensorType === undefined) continue;
    tensors.set(name, tensorFromValueInfo(info));
  }

  const names = uniqueNodeNames(proto.node ?? []);
  const rename = new Map<string, string>();
  const resolve = (name: string): string => rename.get(name) ?? name;
  const nodes: Node[] = [];
  (proto.node ?? []).forEach((np, i) => {
    const name = names[i] ?? `node_${i}`;
    const onnxOp = np.opType ?? "";
    const domain = normaliseDomain(np.domain ?? "");
    const outputs = (np.output ?? []).map(String);
    for (const out of outputs) if (out !== "") claim(out, name);
    const inputsOfNode = (np.input ?? []).map((n) => resolve(String(n)));

    if (domain === "" && onnxOp === "Constant") {
      const out = outputs[0] ?? "";
      tensors.set(out, constantValue(np, name, out, ctx));
      return;
    }
    if (domain === "" && (onnxOp === "Identity" || onnxOp === "Dropout") && isPassThrough(np, outputs)) {
      const out = outputs[0] ?? "";
      const src = inputsOfNode[0] ?? "";
      rename.set(out, src);
      return;
    }
    const opset = opsets[domain] ?? opsets[""] ?? MIN_OPSET;
    const attrs = readAttributes(np.attribute ?? [], name, ctx);
    nodes.push(parseNode({ name, onnxOp, domain, opset, inputs: inputsOfNode, outputs, attrs }));
  });

  let outputs = (proto.output ?? []).map((o) => o.name ?? "");
  for (const info of proto.output ?? []) {
    const name = info.name ?? "";
    if (!tensors.has(name) || tensors.get(name)?.shape === undefined) {
      if (info.type?.tensorType !== undefined) tensors.set(name, { ...tensorFromValueInfo(info), data: tensors.get(name)?.data });
    }
  }
  outputs = keepOutputNames(outputs, rename, nodes, tensors);
  for (const node of nodes) {
    for (const out of node.outputs) if (out !== "" && !tensors.has(out)) tensors.set(out, { name: out, dtype: "float32", shape: undefined, data: undefined });
  }

  const graph: Graph = { name: proto.name ?? "graph", tensors, nodes: sortTopologically(nodes, tensors, new Set(inputs)), inputs, outputs, opsets };
  for (const out of graph.outputs) {
    if (!tensors.has(out) || (producer.get(out) === undefined && !rename.has(out))) {
      if (!inputs.includes(out) && tensors.get(out)?.data === undefined) throw new CompilerError("CODL-E017", { tensor: out });
    }
  }
  return graph;
}

/** Identity always passes through; Dropout does when its mask output is unused. */
function isPassThrough(np: NodeProto, outputs: readonly string[]): boolean {
  if (np.opType === "Identity") return true;
  return outputs.length === 1 || outputs.slice(1).every((o) => o === "");
}

/**
 * A removed Identity/Dropout whose output is a graph output: the producer of
 * its input takes the output's name, so the user-visible name survives.
 */
function keepOutputNames(outputs: string[], rename: Map<string, string>, nodes: Node[], tensors: Map<string, Tensor>): string[] {
  return outputs.map((out) => {
    const src = rename.get(out);
    if (src === undefined) return out;
    const producer = nodes.find((n) => n.outputs.includes(src));
    if (producer === undefined || outputs.includes(src)) return src;
    for (const n of nodes) {
      n.outputs = n.outputs.map((o) => (o === src ? out : o));
      n.inputs = n.inputs.map((i) => (i === src ? out : i));
    }
    const declared = tensors.get(out);
    if (declared === undefined) {
      const t = tensors.get(src);
      if (t !== undefined) tensors.set(out, { ...t, name: out });
    }
    tensors.delete(src);
    return out;
  });
}

function uniqueNodeNames(protos: readonly NodeProto[]): string[] {
  const seen = new Set<string>();
  return protos.map((np, i) => {
    let name = np.name && np.name.length > 0 ? np.name : `${np.opType ?? "node"}_${i}`;
    if (seen.has(name)) {
      let k = 1;
      while (seen.has(`${name}__${k}`)) k++;
      name = `${name}__${k}`;
    }
    seen.add(name);
    return name;
  });
}

function constantValue(np: NodeProto, node: string, out: string, ctx: TensorContext): Tensor {
  const attr = (np.attribute ?? [])[0];
  if (attr === undefined) throw new CompilerError("CODL-E030", { node, op: "Constant", cause: "no value attribute" });
  const raw = readAttribute(attr, node, ctx);
  const numbers = (values: readonly number[], dtype: "float32" | "int64", scalar: boolean): Tensor => {
    const t = tensorFromProto(
      {
        name: out,
        dataType: dtype === "float32" ? 1 : 7,
        dims: scalar ? [] : [values.length],
        ...(dtype === "float32" ? { floatData: [...values] } : { int64Data: [...values] }),
      },
      out,
      ctx,
    );
    return t;
  };
  switch (raw.kind) {
    case "tensor":
      return { ...raw.value, name: out };
    case "float":
      return numbers([raw.value], "float32", true);
    case "floats":
      return numbers(raw.value, "float32", false);
    case "int":
      return numbers([raw.value], "int64", true);
    case "ints":
      return numbers(raw.value, "int64", false);
    default:
      throw new CompilerError("CODL-E041", { node, op: "Constant", cause: `value of kind ${raw.kind}` });
  }
}

function readAttributes(protos: readonly AttributeProto[], node: string, ctx: TensorContext): RawAttrs {
  const out: Record<string, RawAttr> = {};
  const sorted = [...protos].sort((a, b) => ((a.name ?? "") < (b.name ?? "") ? -1 : 1));
  for (const a of sorted) out[a.name ?? ""] = readAttribute(a, node, ctx);
  return out;
}

function readAttribute(a: AttributeProto, node: string, ctx: TensorContext): RawAttr {
  const type = a.type ?? inferAttributeType(a);
  switch (type) {
    case AttributeType.FLOAT:
      return { kind: "float", value: a.f ?? 0 };
    case AttributeType.INT:
      return { kind: "int", value: toNumber(a.i ?? 0) };
    case AttributeType.STRING:
      return { kind: "string", value: new TextDecoder().decode(a.s ?? new Uint8Array()) };
    case AttributeType.FLOATS:
      return { kind: "floats", value: a.floats ?? [] };
    case AttributeType.INTS:
      return { kind: "ints", value: (a.ints ?? []).map(toNumber) };
    case AttributeType.STRINGS:
      return { kind: "strings", value: (a.strings ?? []).map((s) => new TextDecoder().decode(s)) };
    case AttributeType.TENSOR:
      if (a.t) return { kind: "tensor", value: tensorFromProto(a.t, `${node}.${a.name ?? ""}`, ctx) };
      return { kind: "other", type: "TENSOR" };
    default:
      return { kind: "other", type: String(type) };
  }
}

/** IR < 2 files may leave `type` unset; the populated field tells. */
function inferAttributeType(a: AttributeProto): number {
  if (a.t) return AttributeType.TENSOR;
  if (a.floats && a.floats.length > 0) return AttributeType.FLOATS;
  if (a.ints && a.ints.length > 0) return AttributeType.INTS;
  if (a.strings && a.strings.length > 0) return AttributeType.STRINGS;
  if (a.s && a.s.length > 0) return AttributeType.STRING;
  if (a.f !== undefined && a.f !== null && a.f !== 0) return AttributeType.FLOAT;
  return AttributeType.INT;
}

/** Kahn's algorithm, stable in file order; refuses cycles and dangling inputs. */
function sortTopologically(nodes: Node[], tensors: Map<string, Tensor>, graphInputs: ReadonlySet<string>): Node[] {
  const producerIndex = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o !== "") producerIndex.set(o, i);
  });
  const pending = new Array<number>(nodes.length).fill(0);
  const dependents: number[][] = nodes.map(() => []);
  nodes.forEach((n, i) => {
    const deps = new Set<number>();
    for (const input of n.inputs) {
      if (input === "") continue;
      const p = producerIndex.get(input);
      if (p === undefined) {
        if (tensors.get(input)?.data === undefined && !graphInputs.has(input)) {
          throw new CompilerError("CODL-E012", { node: n.name, op: n.onnxOp, tensor: input });
        }
        continue;
      }
      deps.add(p);
    }
    pending[i] = deps.size;
    for (const p of deps) dependents[p]?.push(i);
  });
  const ready: number[] = [];
  pending.forEach((c, i) => {
    if (c === 0) ready.push(i);
  });
  const order: Node[] = [];
  // Sorting the ready set keeps file order wherever the file was already topological.
  while (ready.length > 0) {
    ready.sort((a, b) => a - b);
    const i = ready.shift() as number;
    const node = nodes[i] as Node;
    order.push(node);
    for (const d of dependents[i] ?? []) {
      pending[d] = (pending[d] ?? 0) - 1;
      if (pending[d] === 0) ready.push(d);
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((_, i) => (pending[i] ?? 0) > 0);
    throw new CompilerError("CODL-E011", { node: stuck?.name ?? "?" });
  }
  return order;
}
