/**
 * `codl explain --trace` with a profile that prices the runtime's overhead
 * (profile.runtime): operator rows compare kernel time with kernel time, and
 * the per-run and dispatch costs stand on a line of their own.
 */

import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFixture, fixtureInputShapes } from "../../fixtures/index.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { buildMeasuredReport, formatMeasuredText } from "../../src/explain/measured.js";
import { loadModel } from "../../src/index.js";
import { planGraph } from "../../src/plan/index.js";
import type { Trace } from "../../src/profile/trace.js";

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
