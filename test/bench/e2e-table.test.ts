import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { e2eTable, measuredIdeal, runContention } from "../../bench/e2e-table.js";
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
    expect(table).toContain("| m | 7.00 | 5.00 | 4.60 | 3.00 | 3.00 | 3.25 |");
    expect(table).toMatch(/CPU part ×1\.50, GPU part ×1\.00/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
