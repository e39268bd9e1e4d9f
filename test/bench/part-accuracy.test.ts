import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { partAccuracy } from "../../bench/part-accuracy.js";
import { buildFixture, fixtureInputShapes } from "../../fixtures/index.js";
import { loadProfile } from "../../src/device/load-profile.js";
import type { DeviceProfile } from "../../src/device/profile-schema.js";
import { loadModel } from "../../src/index.js";
import { configKey } from "../../src/kernels/op-config.js";
import { CostModel } from "../../src/plan/cost.js";
import { buildPlanGraph } from "../../src/plan/ops.js";
import type { TraceOp } from "../../src/profile/trace.js";
import { traceOf } from "../helpers/trace.js";

describe("bench/part-accuracy: split parts priced with and without their measurements", () => {
  it("a part measured at 3× the kernel model's price: within 5 % with the measurement, a third of it without", () => {
    const sd855 = loadProfile(path.resolve("profiles/sd855.json"));
    const shapes = Object.fromEntries(Object.entries(fixtureInputShapes("yolov2", "tiny")).map(([k, v]) => [k, [...v]]));
    const graph = loadModel(buildFixture("yolov2", "tiny").bytes, { inputShapes: shapes }).graph;
    const op = buildPlanGraph(graph).ops.find((o) => o.ir.config.op === "conv2d" && o.ir.config.kh === 3 && o.ir.outRows >= 8 && o.gpuCapable)!;
    const H = op.ir.outRows;
    const plain = new CostModel(sd855, { gpuStorage: "image" });
    // CPU rows [4, H) measured at 3× the regression's price; contention ×1.25 on the CPU side.
    const measured = plain.rowsMs(op, "cpu", 4, H) * 3 * 1.25;
    const profile: DeviceProfile = {
      ...sd855,
      sharing: { ...sd855.sharing, contention: { cpu: 1.25, gpu: 1 } },
      calibration: { source: "test", ops: [], parts: [{ processor: "cpu", key: configKey(op.ir.config, op.cpuKernel), dim: "H", range: [4, H], extent: H, ms: measured, runs: 1 }] },
    };
    const ops: TraceOp[] = [{ id: String(op.index), kind: "Conv", chain: "c0", placement: "split", dim: "H", gpu_out: [0, 4], cpu_out: [4, H], cpu_ms: measured, gpu_ms: null }];
    const r = partAccuracy(profile, [{ trace: traceOf(ops), graph }]);
    expect(r.withParts.n).toBe(1);
    expect(r.withParts.within10).toBe(1);
    expect(r.withParts.medianAbsErr).toBeLessThan(0.05);
    expect(r.withoutParts.within20).toBe(0);
    expect(r.withoutParts.medianAbsErr).toBeGreaterThan(0.6);
  });
});
