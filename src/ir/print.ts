/**
 * A stable text dump of the IR, for `--dump-after` and golden tests. Node
 * order is the graph's; attributes are printed in key order; constants are
 * listed sorted by name. The same graph always prints the same text.
 */

import type { Activation, Graph, Node, RawAttr } from "./graph.js";
import { formatShape, type Tensor } from "./tensor.js";

function typeOf(t: Tensor | undefined): string {
  return t === undefined ? "?" : `${t.dtype}[${formatShape(t.shape)}]`;
}

/** The shortest decimal that reads back as the same float32 (ONNX float attributes are float32). */
export function formatFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === Math.fround(v)) return String(s);
  }
  return String(v);
}

function value(v: unknown): string {
  if (v === undefined) return "-";
  if (typeof v === "number") return formatFloat(v);
  if (Array.isArray(v)) return `[${v.map(value).join(",")}]`;
  if (typeof v === "object" && v !== null && "kind" in v) return rawValue(v as RawAttr);
  return String(v);
}

function rawValue(a: RawAttr): string {
  switch (a.kind) {
    case "tensor":
      return `tensor<${typeOf(a.value)}>`;
    case "other":
      return `<${a.type}>`;
    case "string":
      return JSON.stringify(a.value);
    default:
      return value(a.value);
  }
}

export function formatActivation(a: Activation | undefined): string {
  if (a === undefined) return "none";
  switch (a.kind) {
    case "leakyRelu":
      return `leakyRelu(${formatFloat(a.alpha)})`;
    case "clip":
      return `clip(${value(a.min)},${value(a.max)})`;
    default:
      return a.kind;
  }
}

export function formatAttrs(node: Node): string {
  const attrs = node.attrs as Readonly<Record<string, unknown>>;
  const keys = Object.keys(attrs).sort();
  return keys.map((k) => `${k}=${value(attrs[k])}`).join(" ");
}

export function printGraph(graph: Graph): string {
  const lines: string[] = [];
  const opsets = Object.entries(graph.opsets).map(([d, v]) => `${d === "" ? "ai.onnx" : d}=${v}`);
  lines.push(`graph ${JSON.stringify(graph.name)} opsets ${opsets.join(" ")}`);
  for (const name of graph.inputs) lines.push(`  input  ${name}: ${typeOf(graph.tensors.get(name))}`);
  const constants = [...graph.tensors.values()].filter((t) => t.data !== undefined).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const t of constants) lines.push(`  const  ${t.name}: ${typeOf(t)}`);
  graph.nodes.forEach((node, i) => {
    const op = node.op === "Unknown" ? `Unknown<${node.domain === "" ? "" : `${node.domain}.`}${node.onnxOp}>` : node.op;
    const outs = node.outputs.map((o) => `${o}: ${typeOf(graph.tensors.get(o))}`).join(", ");
    const extras: string[] = [];
    const attrs = formatAttrs(node);
    if (attrs !== "") extras.push(`{${attrs}}`);
    if (node.activation !== undefined) extras.push(`act=${formatActivation(node.activation)}`);
    if (node.fusedFrom.length > 1) extras.push(`fused=[${node.fusedFrom.join(",")}]`);
    lines.push(`  %${i} ${op} ${JSON.stringify(node.name)} (${node.inputs.join(", ")}) -> (${outs})${extras.length ? ` ${extras.join(" ")}` : ""}`);
  });
  for (const name of graph.outputs) lines.push(`  output ${name}: ${typeOf(graph.tensors.get(name))}`);
  return `${lines.join("\n")}\n`;
}
