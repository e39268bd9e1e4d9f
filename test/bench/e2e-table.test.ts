import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { e2eTable, measuredIdeal, runContention, scaledContention } from "../../bench/e2e-table.js";
import type { Trace } from "../../src/profile/trace.js";
import { traceOf, traceOp as op } from "../helpers/trace.js";

describe("bench/e2e-table: measured bounds", () => {
  it("the ideal splits each splittable operator at c·g/(c+g), with the run's contention when asked, and the table reports both", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-e2e-table-"));
    fs.mkdirSync(path.join(dir, "traces"));
    fs.mkdirSync(path.join(dir, "passes"));
    const write = (name: string, t: Trace) => fs.writeFileSync(path.join(dir, "traces", `${name}.json`), JSON.stringify(t));
    // Operator 0 splittable (cpu 6, gpu 3), operator 1 not (cpu 1, gpu 2).
    write("m_cpu", traceOf([op("0", "cpu", 6, null), op("1", "cpu", 1, null)], [], 7));
    write("m_gpu", traceOf([op("0", "gpu", null, 3), op("1", "gpu", null, 2)], [], 5));
    // codl split operator 0 at 6 GPU rows of 10: alone the CPU part is 2.4 ms, the GPU part 1.8; measured 1.5× and 1×.
    write("m_codl", traceOf([op("0", "split", 2.4 * 1.5, 1.8, 6), op("1", "cpu", 1, null)], [], 4.6));
    fs.writeFileSync(path.join(dir, "passes", "p1.txt"), "RESULT m_cpu 7\nRESULT m_gpu 5\nRESULT m_codl 4.6\n");
    const meta = { profile: "p", size: "tiny", strategies: ["cpu", "gpu", "codl"], models: ["m"], cases: [], splittable: { m: ["0"] } };
    fs.writeFileSync(path.join(dir, "meta.json"), JSON.stringify(meta));

    expect(measuredIdeal(dir, "m", new Set(["0"]))).toBeCloseTo(6 * 3 / 9 + 1, 9);
    const k = runContention(dir, ["m"])!;
    expect(k.cpu).toBeCloseTo(1.5, 9);
    expect(k.gpu).toBeCloseTo(1, 9);
    expect(measuredIdeal(dir, "m", new Set(["0"]), k)).toBeCloseTo((9 * 3) / 12 + 1, 9);
    const table = e2eTable(dir, "t");
    expect(table).toContain("ideal with contention");
    // The traced operators sum to the timed medians (7 and 5): the scaled ideal is the same 3.00.
    expect(table).toContain("| m | 7.00 | 5.00 | 4.60 | 3.00 | 3.00 | 3.25 (CPU ×1.50, GPU ×1.00) |");
    expect(table).toMatch(/CPU part ×1\.50, GPU part ×1\.00/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("measures contention on the timed passes' clock: a trace pass that ran the cpu program slow does not hide it", () => {
    // Operator 0 (splittable) traced alone at 6 ms on the CPU and 3 on the GPU, operator 1 at 1 and 2; the timed
    // cpu program ran in 3.5 ms (its trace pass was 2× slow), the gpu program in 5 as traced.
    const times = { cpu: new Map([["0", 6], ["1", 1]]), gpu: new Map([["0", 3], ["1", 2]]) };
    // codl: 4 of 10 rows on the CPU in 3.6 ms, 6 on the GPU in 1.8; traced total 4.6 ms, timed 4.6 / 1.15 = 4.
    const codl = traceOf([op("0", "split", 3.6, 1.8, 6), op("1", "cpu", 1, null)], [], 4.6);
    const k = scaledContention(times, { cpu: 3.5, gpu: 5 }, { trace: codl, timedMs: 4 })!;
    // CPU: 3.6 / 1.15 against 6 · (3.5 / 7) · 0.4 = 1.2 → ×2.61 (the raw traces said ×1.5); GPU: 1.8 / 1.15 against 1.8 → ×1 (at least 1).
    expect(k.cpu).toBeCloseTo(3.6 / 1.15 / 1.2, 9);
    expect(k.gpu).toBe(1);
    expect(scaledContention(times, { cpu: 3.5, gpu: 5 }, { trace: traceOf([op("1", "cpu", 1, null)], [], 1), timedMs: 1 })).toBeUndefined();
  });
});
