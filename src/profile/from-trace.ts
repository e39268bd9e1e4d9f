/**
 * Samples from a real run: a `codl_run --trace` of a bundle, with the model
 * the bundle was compiled from. Trace operators are keyed by the plan's
 * operator ids, which are the lowered graph's node order (plan/ops.ts), so
 * each timed part maps back to its operator configuration:
 *
 *   gpu_ms over the GPU's output part  → a row for its GPU kernel
 *   cpu_ms over the CPU's output part  → a row for its CPU kernel
 *
 * Parts are cut as the predictor cuts them (predict/coexec.ts sliceRows /
 * sliceChannels). `codl train --from-trace` refits from these rows.
 */

import { selectCpuKernel } from "../kernels/cpu-xnnpack.js";
import { irOpOf, opConfigOf } from "../kernels/from-ir.js";
import { selectGpuKernel } from "../kernels/gpu-conv.js";
import { configKey, type OpConfig } from "../kernels/op-config.js";
import type { Graph } from "../ir/graph.js";
import { sliceChannels, sliceRows } from "../predict/coexec.js";
import type { ProfileSample } from "./collect.js";
import type { Trace, TraceOp } from "./trace.js";

/** The part of `c` a side computed: output rows (H) or channels (OC) [a, b). */
export function partConfig(c: OpConfig, dim: TraceOp["dim"], range: readonly [number, number]): OpConfig | undefined {
  const [a, b] = range;
  if (b <= a) return undefined;
  if (dim === "H") return sliceRows(c, a, b);
  if (dim === "OC") return sliceChannels(c, b - a);
  return c;
}

export interface TraceMismatch {
  readonly what: string;
  readonly cause: string;
}

/** Rows of one trace, or why the trace does not belong to this graph. */
export function samplesFromTrace(trace: Trace, graph: Graph, source: string, options: { readonly skipSplit?: boolean } = {}): ProfileSample[] | TraceMismatch {
  const nodes = graph.nodes;
  if (trace.ops.length !== nodes.length) return { what: "the model", cause: `the trace has ${trace.ops.length} operators, the model ${nodes.length}` };
  const rows: ProfileSample[] = [];
  for (const op of trace.ops) {
    const node = nodes[Number(op.id)];
    if (node === undefined) return { what: "the model", cause: `operator id '${op.id}' is not in the model` };
    const kind = node.op === "Unknown" ? node.onnxOp : node.op;
    if (kind !== op.kind) return { what: "the model", cause: `operator ${op.id} is ${op.kind} in the trace, ${kind} in the model` };
    if (options.skipSplit === true && op.placement === "split") continue;
    const c = opConfigOf(graph, node);
    const base = { rounds: trace.iterations, stdevMs: 0, dim: op.dim, ratio: 0, caseName: `op${op.id}`, source: `${source}:${node.name}` };
    const gpu = op.gpu_ms !== null && op.gpu_ms > 0 ? partConfig(c, op.dim, op.gpu_out) : undefined;
    if (gpu !== undefined && op.gpu_ms !== null) rows.push({ processor: "gpu", op: gpu.op, kernel: selectGpuKernel(gpu), config: gpu, latencyMs: op.gpu_ms, ...base });
    const cpu = op.cpu_ms !== null && op.cpu_ms > 0 ? partConfig(c, op.dim, op.cpu_out) : undefined;
    if (cpu !== undefined && op.cpu_ms !== null) rows.push({ processor: "cpu", op: cpu.op, kernel: selectCpuKernel(cpu), config: cpu, latencyMs: op.cpu_ms, ...base });
  }
  return rows;
}

/** One side's part of a split operator in a co-execution trace (profile.calibration.parts). */
export interface PartSample {
  readonly processor: "cpu" | "gpu";
  /** The whole operator's configKey with its kernel on that side (as plan/cost.ts keys calibration). */
  readonly key: string;
  readonly dim: "H" | "OC";
  readonly range: readonly [number, number];
  /** Output rows (H) or channels (OC) of the whole operator. */
  readonly extent: number;
  readonly latencyMs: number;
}

/** Every timed part of every split operator of a trace of `graph` (a trace that matched it: samplesFromTrace checks). */
export function partsFromTrace(trace: Trace, graph: Graph): PartSample[] {
  const rows: PartSample[] = [];
  for (const op of trace.ops) {
    if (op.placement !== "split" || (op.dim !== "H" && op.dim !== "OC")) continue;
    const node = graph.nodes[Number(op.id)];
    if (node === undefined) continue;
    const ir = irOpOf(graph, node);
    const c = ir.config;
    const extent = op.dim === "H" ? ir.outRows : ir.outChannels;
    for (const side of ["cpu", "gpu"] as const) {
      const ms = side === "cpu" ? op.cpu_ms : op.gpu_ms;
      const [lo, hi] = side === "cpu" ? op.cpu_out : op.gpu_out;
      if (ms === null || !(ms > 0) || hi <= lo || lo < 0 || hi > extent || hi - lo === extent) continue;
      const kernel = side === "cpu" ? selectCpuKernel(c) : selectGpuKernel(c);
      rows.push({ processor: side, key: configKey(c, kernel), dim: op.dim, range: [lo, hi], extent, latencyMs: ms });
    }
  }
  return rows;
}
