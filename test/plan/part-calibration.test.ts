/**
 * Split operators' parts measured in co-execution traces (profile.calibration.parts): what
 * `codl train --calibrate` records from them and how the planner's cost model prices parts
 * with them (plan/cost.ts partFactor).
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildFixture, fixtureInputShapeArg, fixtureInputShapes } from "../../fixtures/index.js";
import { runTrain } from "../../src/cli/train.js";
import { loadProfile } from "../../src/device/load-profile.js";
import type { DeviceProfile } from "../../src/device/profile-schema.js";
import { loadModel } from "../../src/index.js";
import { configKey } from "../../src/kernels/op-config.js";
import { CostModel } from "../../src/plan/cost.js";
import { planGraph } from "../../src/plan/index.js";
import { buildPlanGraph, type PlanOp } from "../../src/plan/ops.js";
import { partsFromTrace } from "../../src/profile/from-trace.js";
import type { Trace, TraceOp } from "../../src/profile/trace.js";
import { traceOf } from "../helpers/trace.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "codl-parts-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sd855 = loadProfile(path.resolve("profiles/sd855.json"));
const shapes = Object.fromEntries(Object.entries(fixtureInputShapes("yolov2", "tiny")).map(([k, v]) => [k, [...v]]));
const bytes = buildFixture("yolov2", "tiny").bytes;
const graph = loadModel(bytes, { inputShapes: shapes }).graph;
const pg = buildPlanGraph(graph);
/** A 3×3 conv with enough rows and channels to split either way. */
const op = pg.ops.find((o) => o.ir.config.op === "conv2d" && o.ir.config.kh === 3 && o.ir.outRows >= 8 && o.ir.outChannels >= 16 && o.gpuCapable)!;
const H = op.ir.outRows;

/** A trace of the tiny YOLOv2 where `op` ran split by H (GPU rows [0, gpuRows)) and every other operator on the GPU. */
function splitTrace(gpuRows: number, cpuMs: number, gpuMs: number): Trace {
  const ops: TraceOp[] = graph.nodes.map((node, i) => {
    const kind = node.op === "Unknown" ? node.onnxOp : node.op;
    if (i !== op.index) return { id: String(i), kind, chain: `c${i}`, placement: "gpu", dim: "none", gpu_out: [0, 1], cpu_out: [0, 0], cpu_ms: null, gpu_ms: 0.1 };
    return { id: String(i), kind, chain: `c${i}`, placement: "split", dim: "H", gpu_out: [0, gpuRows], cpu_out: [gpuRows, H], cpu_ms: cpuMs, gpu_ms: gpuMs };
  });
  return traceOf(ops);
}

function withParts(parts: NonNullable<DeviceProfile["calibration"]>["parts"], ops: NonNullable<DeviceProfile["calibration"]>["ops"] = []): DeviceProfile {
  return { ...sd855, sharing: { ...sd855.sharing, contention: { cpu: 1.25, gpu: 1.1 } }, calibration: { source: "test", ops, ...(parts === undefined ? {} : { parts }) } };
}

const key = (o: PlanOp, side: "cpu" | "gpu") => configKey(o.ir.config, side === "cpu" ? o.cpuKernel : o.gpuKernel!);

describe("split operators' parts in co-execution traces", () => {
  it("partsFromTrace gives each side's part of a split operator, keyed by the whole operator", () => {
    const parts = partsFromTrace(splitTrace(5, 2, 3), graph);
    expect(parts).toEqual([
      { processor: "cpu", key: key(op, "cpu"), dim: "H", range: [5, H], extent: H, latencyMs: 2 },
      { processor: "gpu", key: key(op, "gpu"), dim: "H", range: [0, 5], extent: H, latencyMs: 3 },
    ]);
  });

  it("codl train --calibrate records the parts (median per range) and keeps the base's others", async () => {
    const model = path.join(tmp, "yolov2.onnx");
    fs.writeFileSync(model, bytes);
    const files = [splitTrace(5, 2, 3), splitTrace(5, 4, 3), splitTrace(5, 9, 3), splitTrace(4, 1, 2)].map((t, i) => {
      const f = path.join(tmp, `t${i}.json`);
      fs.writeFileSync(f, JSON.stringify(t));
      return f;
    });
    const other = { processor: "gpu" as const, key: "conv2d,other", dim: "OC" as const, range: [0, 8] as [number, number], extent: 16, ms: 1, runs: 1 };
    const base = path.join(tmp, "base.json");
    fs.writeFileSync(base, JSON.stringify(withParts([other])));
    const out = path.join(tmp, "cal.json");
    const r = await runTrain(undefined, { base, out, fromTrace: files.join(","), model: files.map(() => model).join(","), inputShape: [fixtureInputShapeArg("yolov2", "tiny")], runtimeOnly: true, calibrate: true });
    expect(r.exitCode).toBe(0);
    const parts = loadProfile(out).calibration!.parts!;
    expect(parts).toContainEqual(other);
    expect(parts).toContainEqual({ processor: "cpu", key: key(op, "cpu"), dim: "H", range: [5, H], extent: H, ms: 4, runs: 3 });
    expect(parts).toContainEqual({ processor: "gpu", key: key(op, "gpu"), dim: "H", range: [0, 5], extent: H, ms: 3, runs: 3 });
    expect(parts).toContainEqual({ processor: "cpu", key: key(op, "cpu"), dim: "H", range: [4, H], extent: H, ms: 1, runs: 1 });
    expect(parts).toHaveLength(5);
    expect(loadProfile(out).calibration!.source).toMatch(/whole operators and split operators' parts of \(4 traces: .*\(\d+ operators, 4 parts, 0 of them re-measured\)$/);
    expect(loadProfile(out).provenance.notes?.split("\n").at(-1)).toMatch(/calibration \(\d+ operators, 5 parts\)$/);
  });
});

describe("a profile's measured parts are checked on load", () => {
  it("a range outside its extent, empty, or the whole of it is CODL-E060 (exit 2)", () => {
    const part = { processor: "cpu" as const, key: "k", dim: "H" as const, extent: 8, ms: 1, runs: 1 };
    for (const range of [[5, 3], [4, 9], [0, 8]] as const) {
      const file = path.join(tmp, `bad-${range.join("-")}.json`);
      fs.writeFileSync(file, JSON.stringify(withParts([{ ...part, range: [range[0], range[1]] }])));
      expect(() => loadProfile(file), range.join(",")).toThrow(expect.objectContaining({ code: "CODL-E060", exitCode: 2 }));
    }
    const good = path.join(tmp, "good.json");
    fs.writeFileSync(good, JSON.stringify(withParts([{ ...part, range: [3, 8] }])));
    expect(loadProfile(good).calibration?.parts).toHaveLength(1);
  });
});

describe("the cost model prices parts from their measurements", () => {
  const plain = new CostModel(withParts(undefined), { gpuStorage: "image" });
  const dispatch = sd855.runtime?.perCpuOpMs ?? 0;
  /** Kernel time (no dispatch) of CPU rows [lo, H). */
  const cpuRows = (m: CostModel, lo: number) => m.rowsMs(op, "cpu", lo, H) - dispatch;

  it("a part of a measured range costs its measurement, less the contention the planner adds back", () => {
    const m = new CostModel(withParts([{ processor: "cpu", key: key(op, "cpu"), dim: "H", range: [4, H], extent: H, ms: 5, runs: 1 }]), { gpuStorage: "image" });
    expect(cpuRows(m, 4) * 1.25).toBeCloseTo(5, 9);
    // Other row counts: the same measured / predicted (one point, flat), so they keep the regression's shape.
    expect(cpuRows(m, 2) / cpuRows(plain, 2)).toBeCloseTo(cpuRows(m, 4) / cpuRows(plain, 4), 9);
    // The whole operator and the GPU side are priced as before.
    expect(m.wholeMs(op, "cpu")).toBe(plain.wholeMs(op, "cpu"));
    expect(m.rowsMs(op, "gpu", 0, 4)).toBe(plain.rowsMs(op, "gpu", 0, 4));
    // An OC part of the same operator has no measurement of its own.
    const oc = m.sliceChannels(op, op.ir.outChannels / 2);
    expect(m.partMs(op, "cpu", oc)).toBe(plain.partMs(op, "cpu", oc));
  });

  it("interpolates measured / predicted in the share between measured parts and the measured whole", () => {
    const cpuKey = key(op, "cpu");
    const whole = plain.wholeMs(op, "cpu") - dispatch;
    const lo = Math.floor(H / 4);
    // CPU rows [H - lo, H): a quarter of the rows at half the regression's price; the whole at 3× it.
    const quarter = cpuRows(plain, H - lo);
    const m = new CostModel(
      withParts([{ processor: "cpu", key: cpuKey, dim: "H", range: [H - lo, H], extent: H, ms: quarter * 0.5 * 1.25, runs: 1 }], [{ processor: "cpu", key: cpuKey, ms: whole * 3, runs: 1 }]),
      { gpuStorage: "image" },
    );
    const x = lo / H;
    const f = (rows: number) => cpuRows(m, H - rows) / cpuRows(plain, H - rows);
    expect(f(lo)).toBeCloseTo(0.5, 9);
    expect(f(1)).toBeCloseTo(0.5, 9);
    expect(m.wholeMs(op, "cpu") - dispatch).toBeCloseTo(whole * 3, 9);
    const half = Math.floor(H / 2);
    expect(f(half)).toBeCloseTo(0.5 + ((3 - 0.5) * (half / H - x)) / (1 - x), 9);
  });

  it("pools parts closer than a tenth of the extent into one point (the median factor)", () => {
    // An operator of many rows, so that neighbouring row counts are closer than 0.1 of them.
    const tall = pg.ops.find((o) => o.ir.config.op === "conv2d" && o.ir.outRows >= 32)!;
    const T = tall.ir.outRows;
    const rowsOf = (m: CostModel, lo: number) => m.rowsMs(tall, "cpu", lo, T) - dispatch;
    const at = (r: number, factor: number) => ({ processor: "cpu" as const, key: key(tall, "cpu"), dim: "H" as const, range: [T - r, T] as [number, number], extent: T, ms: rowsOf(plain, T - r) * factor * 1.25, runs: 1 });
    const rows = Math.floor(T / 2);
    // Three measurements within 0.1 of the extent: factors 1, 2 and 10; the median, 2, prices every part.
    const m = new CostModel(withParts([at(rows, 2), at(rows - 1, 10), at(rows + 1, 1)]), { gpuStorage: "image" });
    for (const r of [1, rows - 1, rows, T - 1]) expect(rowsOf(m, T - r) / rowsOf(plain, T - r)).toBeCloseTo(2, 9);
    // Points farther apart stay apart: factor 1 at a quarter of the rows, 3 at three quarters.
    const q = Math.floor(T / 4);
    const two = new CostModel(withParts([at(q, 1), at(3 * q, 3)]), { gpuStorage: "image" });
    expect(rowsOf(two, T - 2 * q) / rowsOf(plain, T - 2 * q)).toBeCloseTo(2, 9);
  });

  it("the plan says how many operators' parts were priced from measurement", () => {
    const meta = { toolVersion: "test", modelName: "m", modelSha256: "0".repeat(64), profileSha256: "0".repeat(64), strategy: "codl" as const };
    const part = { processor: "gpu" as const, key: key(op, "gpu"), dim: "H" as const, range: [0, 4] as [number, number], extent: H, ms: 1, runs: 1 };
    // Calibration is by exact configuration: every operator of the same one shares the measurement.
    const same = pg.ops.filter((o) => o.gpuKernel !== null && key(o, "gpu") === part.key).length;
    expect(same).toBeGreaterThanOrEqual(1);
    expect(planGraph(graph, withParts([part]), meta).plan.options.calibrated).toEqual({ cpu: 0, gpu: 0, parts: same });
    expect(planGraph(graph, withParts(undefined), meta).plan.options.calibrated).toEqual({ cpu: 0, gpu: 0 });
  });
});
