/** Hand-made `codl_run --trace` documents for tests of what reads traces. */

import type { Trace, TraceOp } from "../../src/profile/trace.js";

export type TraceChain = Trace["chains"][number];

/** One Conv operator: whole on the CPU or the GPU (1 row), or split by H with GPU rows [0, gpuRows) of `rows`. */
export function traceOp(id: string, placement: TraceOp["placement"], cpuMs: number | null, gpuMs: number | null, gpuRows = 0, rows = 10): TraceOp {
  const split = placement === "split";
  return {
    id,
    kind: "Conv",
    chain: `c${id}`,
    placement,
    dim: split ? "H" : "none",
    gpu_out: placement === "cpu" ? [0, 0] : [0, split ? gpuRows : 1],
    cpu_out: placement === "gpu" ? [0, 0] : split ? [gpuRows, rows] : [0, 1],
    cpu_ms: cpuMs,
    gpu_ms: gpuMs,
  };
}

export function traceOf(ops: TraceOp[], chains: TraceChain[] = [], latencyMs = 1): Trace {
  return { format: "codl-trace", version: 1, model: "m", device: "d", threads: 1, iterations: 3, latency_ms: { median: latencyMs, all: [latencyMs] }, ops, chains };
}
