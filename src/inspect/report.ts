/**
 * `codl inspect`: what a model contains once imported and lowered — operator
 * counts, every tensor's shape, FLOPs and parameters per node and in total,
 * unsupported operators and the fusions applied. Plain data in, plain data
 * out; the CLI prints it as text or JSON.
 */

import type { Graph } from "../ir/graph.js";
import { nodeCost } from "../ir/ops/cost.js";
import { formatActivation } from "../ir/print.js";
import { formatShape } from "../ir/tensor.js";
import type { ModelInfo } from "../onnx/import.js";
import type { PassEvent } from "../passes/pass.js";

export interface TensorRow {
  readonly name: string;
  readonly kind: "input" | "output" | "constant" | "intermediate";
  readonly dtype: string;
  readonly shape: string;
}

export interface NodeRow {
  readonly index: number;
  readonly name: string;
  readonly op: string;
  readonly fusedFrom: readonly string[];
  readonly activation: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly outputShape: string;
  readonly flops: number;
  readonly params: number;
}

export interface InspectReport {
  readonly model: ModelInfo & { readonly graph: string };
  readonly opCounts: Readonly<Record<string, number>>;
  readonly nodes: readonly NodeRow[];
  readonly tensors: readonly TensorRow[];
  readonly totals: { readonly nodes: number; readonly flops: number; readonly params: number };
  readonly unsupported: readonly { readonly node: string; readonly op: string; readonly domain: string }[];
  readonly fusions: readonly PassEvent[];
}

export function buildInspectReport(graph: Graph, info: ModelInfo, events: readonly PassEvent[]): InspectReport {
  const opCounts: Record<string, number> = {};
  const nodes: NodeRow[] = graph.nodes.map((node, index) => {
    const op = node.op === "Unknown" ? `Unknown(${node.domain === "" ? "" : `${node.domain}.`}${node.onnxOp})` : node.op;
    opCounts[op] = (opCounts[op] ?? 0) + 1;
    const cost = nodeCost(graph, node);
    return {
      index,
      name: node.name,
      op,
      fusedFrom: node.fusedFrom,
      activation: formatActivation(node.activation),
      inputs: node.inputs,
      outputs: node.outputs,
      outputShape: formatShape(graph.tensors.get(node.outputs[0] ?? "")?.shape),
      flops: cost.flops,
      params: cost.params,
    };
  });
  const inputs = new Set(graph.inputs);
  const outputs = new Set(graph.outputs);
  const tensors: TensorRow[] = [...graph.tensors.values()]
    .map((t): TensorRow => ({
      name: t.name,
      kind: inputs.has(t.name) ? "input" : outputs.has(t.name) ? "output" : t.data !== undefined ? "constant" : "intermediate",
      dtype: t.dtype,
      shape: formatShape(t.shape),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const unsupported = graph.nodes.filter((n) => n.op === "Unknown").map((n) => ({ node: n.name, op: n.onnxOp, domain: n.domain }));
  return {
    model: { ...info, graph: graph.name },
    opCounts: Object.fromEntries(Object.entries(opCounts).sort(([a], [b]) => (a < b ? -1 : 1))),
    nodes,
    tensors,
    totals: {
      nodes: nodes.length,
      flops: nodes.reduce((s, n) => s + n.flops, 0),
      params: nodes.reduce((s, n) => s + n.params, 0),
    },
    unsupported,
    fusions: events.filter((e) => e.pass !== "dce"),
  };
}

function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)} K`;
  return String(n);
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ").trimEnd());
}

export function formatInspectText(r: InspectReport): string {
  const out: string[] = [];
  const opsets = Object.entries(r.model.opsets).map(([d, v]) => `${d === "" ? "ai.onnx" : d} ${v}`);
  out.push(`model: ${r.model.graph} (ir ${r.model.irVersion}, opsets ${opsets.join(", ")}${r.model.producer ? `, by ${r.model.producer}` : ""})`);
  out.push("", "inputs:");
  for (const t of r.tensors.filter((t) => t.kind === "input")) out.push(`  ${t.name}: ${t.dtype}[${t.shape}]`);
  out.push("outputs:");
  for (const t of r.tensors.filter((t) => t.kind === "output")) out.push(`  ${t.name}: ${t.dtype}[${t.shape}]`);
  out.push("", "operators in the file:");
  out.push(...table(Object.entries(r.model.onnxOpCounts).map(([op, n]) => [`  ${op}`, String(n)])));
  out.push("", "operators after lowering:");
  out.push(...table(Object.entries(r.opCounts).map(([op, n]) => [`  ${op}`, String(n)])));
  out.push("", "nodes:");
  out.push(
    ...table([
      ["  #", "name", "op", "act", "output", "FLOPs", "params"],
      ...r.nodes.map((n) => [`  ${n.index}`, n.name, n.op, n.activation, n.outputShape, human(n.flops), human(n.params)]),
    ]),
  );
  out.push("", `total: ${r.totals.nodes} nodes, ${human(r.totals.flops)}FLOPs, ${human(r.totals.params)} parameters`);
  out.push("", `fusions applied: ${r.fusions.length}`);
  const byKind = new Map<string, number>();
  for (const f of r.fusions) byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
  for (const [kind, n] of [...byKind].sort()) out.push(`  ${kind}: ${n}`);
  out.push("", `unsupported operators: ${r.unsupported.length === 0 ? "none" : r.unsupported.length}`);
  for (const u of r.unsupported) out.push(`  ${u.node}: ${u.domain === "" ? "" : `${u.domain}.`}${u.op}`);
  out.push("", "tensors:");
  out.push(...table(r.tensors.map((t) => [`  ${t.name}`, t.kind, `${t.dtype}[${t.shape}]`])));
  return `${out.join("\n")}\n`;
}
