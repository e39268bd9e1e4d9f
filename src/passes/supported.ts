/**
 * The gate before planning: a graph with an operator codl cannot run is
 * refused with CODL-E040 (exit 3), naming the first such node and listing
 * the rest. `inspect` reports them instead of failing.
 */

import { CompilerError } from "../diag/errors.js";
import type { Graph } from "../ir/graph.js";

export function assertSupported(graph: Graph): void {
  const unknown = graph.nodes.filter((n) => n.op === "Unknown");
  const first = unknown[0];
  if (first === undefined) return;
  const op = (n: (typeof unknown)[number]): string => (n.domain === "" ? n.onnxOp : `${n.domain}.${n.onnxOp}`);
  const others = unknown.length > 1 ? ` (and ${unknown.length - 1} more: ${unknown.slice(1, 6).map(op).join(", ")}${unknown.length > 6 ? ", …" : ""})` : "";
  throw new CompilerError("CODL-E040", { op: `${op(first)}${others}`, node: first.name });
}
