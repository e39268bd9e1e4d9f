/**
 * `codl explain --trace` with a profile that prices the runtime's overhead
 * (profile.runtime): operator rows compare kernel time with kernel time, and
 * the per-run and dispatch costs stand on a line of their own.
 */

import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFixture, fixtureInputShapes } from "../../fixtures/index.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { buildMeasuredReport, chainBalance, formatMeasuredText, type MeasuredReport } from "../../src/explain/measured.js";
import { loadModel } from "../../src/index.js";
import { planGraph } from "../../src/plan/index.js";
import type { Trace } from "../../src/profile/trace.js";
import { traceOf, traceOp as op } from "../helpers/trace.js";

describe("measured report with profile.runtime", () => {
  it("subtracts each side's dispatch from the operator rows and reports per run + dispatch apart", () => {
    const base = loadProfile("host-pocl", path.resolve("profiles"));
    const runtime = { perRunMs: 0.01, perCpuOpMs: 0.002, perGpuOpMs: 0.02 };
    const profile = { ...base, runtime };
    const { graph } = loadModel(buildFixture("yolov2", "tiny").bytes, { inputShapes: fixtureInputShapes("yolov2", "tiny") });
    const meta = { toolVersion: "test", modelName: "yolov2", modelSha256: "0".repeat(64), profileSha256: "0".repeat(64) };
    const { plan } = planGraph(graph, profile, { ...meta, strategy: "gpu" });
    expect(plan.options.runtime).toEqual(runtime);
    // A trace whose kernels take exactly the predicted kernel times, and whose run adds exactly the predicted overhead.
    const ops = plan.operators.map((o) => ({
      id: String(o.id),
      kind: o.op,
      chain: `c${o.id}`,
      placement: o.placement.processor === "both" ? ("split" as const) : o.placement.processor,
      dim: o.placement.dim,
      gpu_out: (o.placement.gpu ?? [0, 0]) as [number, number],
      cpu_out: (o.placement.cpu ?? [0, 0]) as [number, number],
      cpu_ms: o.predicted.cpuMs > 0 ? o.predicted.cpuMs - runtime.perCpuOpMs : null,
      gpu_ms: o.predicted.gpuMs > 0 ? o.predicted.gpuMs - runtime.perGpuOpMs : null,
    }));
    const nCpu = ops.filter((o) => o.cpu_ms !== null).length;
    const nGpu = ops.filter((o) => o.gpu_ms !== null).length;
    const overhead = runtime.perRunMs + nCpu * runtime.perCpuOpMs + nGpu * runtime.perGpuOpMs;
    const compute = ops.reduce((s, o) => s + Math.max(o.cpu_ms ?? 0, o.gpu_ms ?? 0), 0);
    const trace: Trace = {
      format: "codl-trace",
      version: 1,
      model: "yolov2",
      device: "test",
      threads: 1,
      iterations: 5,
      latency_ms: { median: compute + overhead, all: [compute + overhead] },
      ops,
      chains: ops.map((o) => ({ id: o.chain, ops: [o.id], dim: "none", ratio: null, transform_in_ms: null, map_ms: null, transform_out_ms: null, wall_ms: null })),
    };
    const r = buildMeasuredReport(plan, trace);
    for (const row of r.rows) expect(row.predictedMs).toBeCloseTo(row.measuredMs, 9);
    expect(r.predictedRuntimeMs).toBeCloseTo(overhead, 9);
    // The plan rounds each operator's times to 1e-6 ms, so the sum agrees to about that times the operator count.
    expect(r.predictedComputeMs + r.predictedSharingMs + r.predictedRuntimeMs).toBeCloseTo(plan.totals.predictedMs, 4);
    expect(formatMeasuredText(r)).toMatch(/runtime \(per run \+ dispatch\): predicted [\d.]+ ms, measured rest of the run [\d.]+ ms/);
  });
});

describe("measured report: split chains", () => {
  it("gives each split chain's sides, the faster side's wait and the GPU share at which both would take as long", () => {
    const chain = (id: string, ops: string[], dim: string, ratio: number | null, wall: number | null) => ({ id, ops, dim, ratio, transform_in_ms: 0, map_ms: 0, transform_out_ms: 0, wall_ms: wall });
    // Chain c0: ops 0 and 1 split by H at a GPU share of 0.5, the CPU parts 4 + 2 ms, the GPU parts 2 + 1 ms; c1 GPU only; c2 an OC split at 0.25.
    const trace = traceOf(
      [op("0", "split", 4, 2, 5), op("1", "split", 2, 1, 5), op("2", "gpu", null, 5), op("3", "split", 3, 1, 5)],
      [chain("c0", ["0", "1"], "H", 0.5, 6.5), chain("c1", ["2"], "none", 1, 5), chain("c2", ["3"], "OC", 0.25, 3.2)],
      10,
    );
    const b = chainBalance(trace);
    expect(b.map((x) => x.chain)).toEqual(["c0", "c2"]);
    // c0: alone the CPU would take 6 / 0.5 = 12 ms, the GPU 3 / 0.5 = 6: both take as long at a GPU share of 12 / 18.
    expect(b[0]).toMatchObject({ first: "0", last: "1", operators: 2, cpuMs: 6, gpuMs: 3, idleMs: 3, wallMs: 6.5 });
    expect(b[0]!.balanceRatio).toBeCloseTo(2 / 3, 12);
    // c2: CPU 3 / 0.75 = 4, GPU 1 / 0.25 = 4: balanced at 0.5.
    expect(b[1]!.balanceRatio).toBeCloseTo(0.5, 12);
    const text = formatMeasuredText({ ...buildMeasuredReportStub(), balance: b });
    expect(text).toContain("c0     0–1         H     0.500     6.000     3.000     6.500     3.000    0.667");
    expect(text).toContain("idle: 5.000 ms over 2 split chains; 2 of them balance more than 0.05 away from their ratio");
    expect(text).not.toContain("rebalanced at run time");
  });

  it("marks the chains a rebalancing bundle ran at another cut than it compiled", () => {
    const trace = traceOf(
      [op("0", "split", 4, 2, 5), op("1", "split", 3, 1, 5)],
      [
        { id: "c0", ops: ["0"], dim: "H", ratio: 0.45, compiled_ratio: 0.5, variants: 5, transform_in_ms: 0, map_ms: 0, transform_out_ms: 0, wall_ms: 4.1 },
        { id: "c1", ops: ["1"], dim: "H", ratio: 0.5, compiled_ratio: 0.5, variants: 3, transform_in_ms: 0, map_ms: 0, transform_out_ms: 0, wall_ms: 3.1 },
      ],
      8,
    );
    const b = chainBalance(trace);
    expect(b[0]!.compiledRatio).toBe(0.5);
    expect(b[1]!.compiledRatio).toBeUndefined();
    const text = formatMeasuredText({ ...buildMeasuredReportStub(), balance: b });
    expect(text).toContain("c0     0           H     0.450*    4.000     2.000     4.100     2.000    0.621");
    expect(text).toContain("* rebalanced at run time: the traced run cut c0 at 0.450 (compiled 0.500)");
  });
});

/** A report with no operator rows, for the balance section alone. */
function buildMeasuredReportStub(): MeasuredReport {
  return { model: "m", device: "d", traceDevice: "t", iterations: 1, rows: [], predictedTotalMs: 1, measuredTotalMs: 1, totalError: 0, predictedComputeMs: 0, measuredComputeMs: 0, predictedSharingMs: 0, predictedRuntimeMs: 0, measuredSharingMs: 0, balance: [] };
}
