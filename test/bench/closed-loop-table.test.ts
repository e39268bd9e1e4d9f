import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { closedLoopTable, passMedians, replannedLabel } from "../../bench/closed-loop-table.js";
import { measuredIdeal } from "../../bench/e2e-table.js";
import type { Trace } from "../../src/profile/trace.js";
import { benchFolder } from "../helpers/bench-folder.js";
import { traceOf, traceOp as op } from "../helpers/trace.js";

describe("bench/closed-loop-table: one call's committed and re-planned plans", () => {
  it("takes each operator's median over the trace passes for the ideal, and reports every plan set against the same best single processor", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-closed-loop-"));
    const old = path.join(dir, "old");
    const write = (sub: string, name: string, t: Trace) => {
      fs.mkdirSync(path.join(old, sub), { recursive: true });
      fs.writeFileSync(path.join(old, sub, `${name}.json`), JSON.stringify(t));
    };
    // Three trace passes: operator 0's CPU time 9, 6 and 3 ms (median 6), GPU 3 ms; operator 1 not splittable.
    [9, 6, 3].forEach((c, i) => {
      write(`traces-${i + 1}`, "m_cpu", traceOf([op("0", "cpu", c, null), op("1", "cpu", 1, null)], [], c + 1));
      write(`traces-${i + 1}`, "m_gpu", traceOf([op("0", "gpu", null, 3), op("1", "gpu", null, 2)], [], 5));
    });
    // The last pass also stays in traces/ (run-closed-loop.sh): alone it would give another ideal.
    write("traces", "m_cpu", traceOf([op("0", "cpu", 3, null), op("1", "cpu", 1, null)], [], 4));
    write("traces", "m_gpu", traceOf([op("0", "gpu", null, 3), op("1", "gpu", null, 2)], [], 5));
    const meta = (cases: object[]) => JSON.stringify({ profile: "p", size: "full", strategies: ["cpu", "gpu", "codl"], models: ["m"], cases, splittable: { m: ["0"] } });
    fs.mkdirSync(path.join(old, "passes"), { recursive: true });
    fs.writeFileSync(path.join(old, "passes", "p1.txt"), "RESULT m_cpu 7\nRESULT m_gpu 5\n");
    fs.writeFileSync(path.join(old, "passes", "p2.txt"), "RESULT m_cpu 9\nRESULT m_gpu 5\n");
    fs.writeFileSync(path.join(old, "meta.json"), meta([{ name: "m_cpu", model: "m", strategy: "cpu", predictedMs: 6 }]));
    const next = path.join(dir, "new-0.025");
    fs.mkdirSync(path.join(next, "passes"), { recursive: true });
    fs.writeFileSync(path.join(next, "passes", "p1.txt"), "RESULT m_codl 3.5\nRESULT m_codl_greedy 4\n");
    fs.writeFileSync(path.join(next, "passes", "p2.txt"), "RESULT m_codl 4.5\nRESULT m_codl_greedy 4\n");
    fs.writeFileSync(path.join(next, "meta.json"), meta([{ name: "m_codl", model: "m", strategy: "codl", predictedMs: 3.9 }]));

    // A round that was only traced (TIMED=last): no passes, so no rows.
    fs.mkdirSync(path.join(dir, "new-0.025-r2", "passes"), { recursive: true });
    fs.writeFileSync(path.join(dir, "new-0.025-r2", "meta.json"), meta([{ name: "m_codl", model: "m", strategy: "codl", predictedMs: 3.8 }]));

    const passes = ["traces-1", "traces-2", "traces-3"];
    expect(measuredIdeal(old, "m", new Set(["0"]), undefined, passes)).toBeCloseTo((6 * 3) / 9 + 1, 9);
    expect(measuredIdeal(old, "m", new Set(["0"]))).toBeCloseTo((3 * 3) / 6 + 1, 9);
    const table = closedLoopTable(dir);
    // cpu: passes 7 and 9 → median 8, spread 25 % (±13 %); best single = gpu 5; codl median 4, ideal 3.
    expect(table).toContain("| m | committed | 8.00 (±13 %; pred. 6.00) | 5.00 (±0 %; pred. –) | – | – |");
    expect(table).toContain("| m | re-planned, ratio step 0.025 |  |  | 4.00 (±0 %; pred. –) | 4.00 (±13 %; pred. 3.90) |");
    expect(table).not.toContain("round 2");
    // Scaled: the cpu operators (6 + 1) to the cpu program's timed 8, the gpu ones (3 + 2) to its 5:
    // 6·8/7 and 3 split to 2.087, plus min(8/7, 2) → 3.23; captured (5 − 4) / (5 − 3.23) = 56 %.
    expect(measuredIdeal(old, "m", new Set(["0"]), undefined, passes, { cpu: 8, gpu: 5 })).toBeCloseTo((48 / 7) * 3 / (48 / 7 + 3) + 8 / 7, 9);
    expect(table).toContain("| m | re-planned, ratio step 0.025 | 3.00 | 3.23 | – | 1.25× | 50 % | 56 % | – | 1.00× |");
    expect(() => closedLoopTable(path.join(dir, "absent"))).toThrow(/meta\.json is missing/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("adds the rebalanced cases (REBALANCE) as columns and gains rows, and compares them with codl pass by pass", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-closed-loop-"));
    const meta = (cases: object[]) => JSON.stringify({ profile: "p", size: "full", strategies: ["cpu", "gpu", "codl"], models: ["m"], cases, splittable: { m: [] } });
    const old = path.join(dir, "old");
    fs.mkdirSync(path.join(old, "passes"), { recursive: true });
    fs.writeFileSync(path.join(old, "passes", "p1.txt"), "RESULT m_cpu 10\nRESULT m_gpu 8\n");
    fs.writeFileSync(path.join(old, "meta.json"), meta([]));
    const next = path.join(dir, "new-0.025");
    fs.mkdirSync(path.join(next, "passes"), { recursive: true });
    fs.writeFileSync(path.join(next, "passes", "p1.txt"), "RESULT m_codl 5\nRESULT m_codl_greedy 5\nRESULT m_codl_rebalanced 4\n");
    fs.writeFileSync(path.join(next, "passes", "p1-static.txt"), "RESULT m_codl_rebalanced_static 5.5\n");
    fs.writeFileSync(path.join(next, "passes", "p2.txt"), "RESULT m_codl 6\nRESULT m_codl_greedy 6\nRESULT m_codl_rebalanced 6\n");
    fs.writeFileSync(path.join(next, "meta.json"), meta([{ name: "m_codl_rebalanced", model: "m", strategy: "codl-rebalanced", predictedMs: 4.5 }]));
    expect(passMedians(next).get(1)).toEqual(new Map([["m_codl", 5], ["m_codl_greedy", 5], ["m_codl_rebalanced", 4], ["m_codl_rebalanced_static", 5.5]]));
    const table = closedLoopTable(dir);
    expect(table).toContain("| model | plans | cpu | gpu | codl-greedy | codl | codl, rebalanced | codl, rebalancing bundle, compiled cuts |");
    expect(table).toContain("| 5.50 (±9 %; pred. –) | 5.00 (±20 %; pred. 4.50) | 5.50 (±0 %; pred. 4.50) |");
    expect(table).toContain("| m | re-planned, ratio step 0.025, rebalanced |");
    expect(table).toContain("codl ÷ codl, rebalanced (> 1: the latter faster): m 1.25, 1.00");
    expect(table).toContain("codl ÷ the rebalancing bundle at its compiled cuts (> 1: the latter faster): m 0.91");
    expect(table).toContain("compiled cuts ÷ rebalanced, same bundle: m 1.38");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("adds the committed mulayer cases, where timed, as a column and compares codl with them", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-closed-loop-"));
    const meta = (cases: object[]) => JSON.stringify({ profile: "p", size: "full", strategies: ["cpu", "gpu", "mulayer", "codl"], models: ["m"], cases, splittable: { m: [] } });
    benchFolder(
      dir,
      "old",
      ["RESULT m_cpu 10\nRESULT m_gpu 8\nRESULT m_mulayer 7\nRESULT m_codl 6\n", "RESULT m_cpu 10\nRESULT m_gpu 8\nRESULT m_mulayer 9\nRESULT m_codl 6\n"],
      meta([{ name: "m_mulayer", model: "m", strategy: "mulayer", predictedMs: 7.5 }]),
    );
    benchFolder(dir, "new-0.025", ["RESULT m_codl 5\nRESULT m_codl_greedy 5\n"], meta([]));
    const table = closedLoopTable(dir);
    expect(table).toContain("| model | plans | cpu | gpu | mulayer | codl-greedy | codl |");
    // mulayer: passes 7 and 9 → median 8; only the committed row has it.
    expect(table).toContain("| m | committed | 10.00 (±0 %; pred. –) | 8.00 (±0 %; pred. –) | 8.00 (±13 %; pred. 7.50) | – | 6.00 (±0 %; pred. –) |");
    expect(table).toContain("| m | re-planned, ratio step 0.025 |  |  |  | 5.00 (±0 %; pred. –) | 5.00 (±0 %; pred. –) |");
    // codl vs mulayer 8 / 6 and 8 / 5, the last column of the gains table.
    expect(table).toMatch(/\| m \| committed \|.* \| 1\.33× \|\n/);
    expect(table).toMatch(/\| m \| re-planned, ratio step 0\.025 \|.* \| 1\.00× \| 1\.60× \|\n/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("names each re-planned folder by its ratio step and round", () => {
    expect(replannedLabel("new-0.025")).toBe("re-planned, ratio step 0.025");
    expect(replannedLabel("new-0.1-r2")).toBe("re-planned, ratio step 0.1, round 2");
    expect(replannedLabel("new-0.025-r12")).toBe("re-planned, ratio step 0.025, round 12");
  });
});
