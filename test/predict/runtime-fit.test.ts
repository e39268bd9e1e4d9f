import { describe, expect, it } from "vitest";
import { fitRuntime, traceResidual } from "../../src/predict/runtime-fit.js";
import type { Trace } from "../../src/profile/trace.js";

/** A trace of `cpu` CPU-only and `gpu` GPU-only operators, each chain one operator, whose latency is their time plus `overhead`. */
function trace(cpu: number, gpu: number, opMs: number, overhead: (cpu: number, gpu: number) => number, transformMs = 0): Trace {
  const ops = [
    ...Array.from({ length: cpu }, (_, i) => ({ id: String(i), kind: "Conv", chain: `c${i}`, placement: "cpu" as const, dim: "none" as const, gpu_out: [0, 0] as [number, number], cpu_out: [0, 8] as [number, number], cpu_ms: opMs, gpu_ms: null })),
    ...Array.from({ length: gpu }, (_, i) => ({ id: String(cpu + i), kind: "Conv", chain: `c${cpu + i}`, placement: "gpu" as const, dim: "none" as const, gpu_out: [0, 8] as [number, number], cpu_out: [0, 0] as [number, number], cpu_ms: null, gpu_ms: opMs })),
  ];
  const chains = ops.map((o, i) => ({ id: o.chain, ops: [o.id], dim: "none", ratio: null, transform_in_ms: i === 0 ? transformMs : null, map_ms: null, transform_out_ms: null, wall_ms: opMs }));
  const latency = (cpu + gpu) * opMs + transformMs + overhead(cpu, gpu);
  return { format: "codl-trace", version: 1, model: "m", device: "d", threads: 1, iterations: 5, latency_ms: { median: latency, all: [latency] }, ops, chains };
}

describe("runtime overhead fit (codl train --from-trace)", () => {
  it("recovers per-run and per-operator costs from whole-model traces, outside compute and transforms", () => {
    const truth = (c: number, g: number) => 0.004 + 0.0003 * c + 0.002 * g;
    const rows = [trace(20, 0, 0.05, truth, 0.01), trace(70, 0, 0.01, truth), trace(0, 30, 0.2, truth), trace(10, 40, 0.1, truth, 0.02), trace(5, 5, 1, truth)].map((t, i) => traceResidual(t, `t${i}`)!);
    expect(rows[0]!.residualMs).toBeCloseTo(truth(20, 0), 9);
    const fit = fitRuntime(rows, undefined, "test")!;
    expect(fit.runtime.perRunMs).toBeCloseTo(0.004, 6);
    expect(fit.runtime.perCpuOpMs).toBeCloseTo(0.0003, 7);
    expect(fit.runtime.perGpuOpMs).toBeCloseTo(0.002, 6);
    for (const r of fit.rows) expect(r.fittedMs).toBeCloseTo(r.residualMs, 6);
  });

  it("keeps coefficients non-negative and keeps the base's GPU term when no trace has GPU operators", () => {
    // Residuals that fall with the operator count: the unconstrained slope would be negative.
    const rows = [
      traceResidual(trace(10, 0, 0.1, () => 0.02), "a")!,
      traceResidual(trace(40, 0, 0.1, () => 0.01), "b")!,
      traceResidual(trace(80, 0, 0.1, () => 0.005), "c")!,
    ];
    const fit = fitRuntime(rows, { perRunMs: 1, perCpuOpMs: 1, perGpuOpMs: 0.0042 }, "test")!;
    expect(fit.runtime.perCpuOpMs).toBe(0);
    expect(fit.runtime.perRunMs).toBeGreaterThan(0);
    expect(fit.runtime.perGpuOpMs).toBe(0.0042);
  });

  it("a trace without a measured latency gives no residual, and no traces no fit", () => {
    const t = trace(3, 0, 0.1, () => 0.001);
    expect(traceResidual({ ...t, latency_ms: { median: null, all: [] } }, "x")).toBeUndefined();
    expect(fitRuntime([], undefined, "test")).toBeUndefined();
  });
});
