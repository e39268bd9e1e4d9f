import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { capturedOf, targetRows, targetsReport } from "../../bench/targets.js";
import type { Trace } from "../../src/profile/trace.js";
import { benchFolder } from "../helpers/bench-folder.js";
import { traceOf, traceOp as op } from "../helpers/trace.js";

const meta = (models: string[], cases: object[], splittable: Record<string, string[]> = {}) =>
  JSON.stringify({ profile: "p", size: "full", strategies: ["cpu", "gpu", "mulayer", "codl-greedy", "codl"], models, cases, splittable });

function trace(dir: string, name: string, t: Trace): void {
  fs.mkdirSync(path.join(dir, "traces"), { recursive: true });
  fs.writeFileSync(path.join(dir, "traces", `${name}.json`), JSON.stringify(t));
}

describe("bench/targets: issue 7's targets over every pair", () => {
  it("takes the singles and mulayer of a closed-loop folder from its committed cases and codl from its last timed round", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "codl-targets-"));
    const cl = path.join(root, "cl");
    const old = benchFolder(cl, "old", ["RESULT m_cpu 10\nRESULT m_gpu 12\nRESULT m_mulayer 9\nRESULT m_codl 8\n"], meta(["m"], [], { m: ["0"] }));
    // One splittable operator: 10 ms on the CPU, 12 on the GPU → ideal 120/22 = 5.45 ms.
    trace(old, "m_cpu", traceOf([op("0", "cpu", 10, null)], [], 10));
    trace(old, "m_gpu", traceOf([op("0", "gpu", null, 12)], [], 12));
    benchFolder(cl, "new-0.025", ["RESULT m_codl 7\nRESULT m_codl_greedy 7\n"], meta(["m"], []));
    benchFolder(cl, "new-0.025-r2", ["RESULT m_codl 6\nRESULT m_codl_greedy 7\n", "RESULT m_codl 6\nRESULT m_codl_greedy 8\n"], meta(["m"], []));
    // Only traced (TIMED=last would leave such a round): ignored.
    benchFolder(cl, "new-0.025-r3", [], meta(["m"], []));
    const [r] = targetRows("a", cl);
    expect(r!.cpu?.medianMs).toBe(10);
    expect(r!.mulayer?.medianMs).toBe(9);
    expect(r!.codl?.medianMs).toBe(6);
    expect(r!.greedy?.medianMs).toBe(7.5);
    expect(r!.ideal).toBeCloseTo(120 / 22, 9);
    expect(capturedOf(r!)).toBeCloseTo((10 - 6) / (10 - 120 / 22), 9);

    // An e2e folder on pair b where codl kept the gpu plan and ran 3 % slower than it: met, as the same program.
    const e2e = benchFolder(
      root,
      "b",
      ["RESULT m_cpu 50\nRESULT m_gpu 10\nRESULT m_mulayer 20\nRESULT m_codl 10.3\nRESULT m_codl_greedy 10.2\n", "RESULT m_cpu 50\nRESULT m_gpu 10\nRESULT m_mulayer 20\nRESULT m_codl 10.3\nRESULT m_codl_greedy 10.4\n"],
      meta(["m"], [{ name: "m_codl", model: "m", strategy: "codl", predictedMs: 10, keptFrom: "gpu" }]),
    );
    const rows = [...targetRows("a", cl), ...targetRows("b", e2e)];
    const report = targetsReport(rows, new Map([["a", ["m"]]]));
    expect(report).toContain("| a | m | 10.00 | 12.00 | 9.00 | 7.50 | 6.00 | 1.67× | 1.25× (±7 %) | 1.50× | 88 % |");
    expect(report).toContain("| b | m | 50.00 | 10.00 | 20.00 | 10.30 | 10.30 | 0.97× (= gpu program) |");
    expect(report).toContain("| codl ≥ 1.0× best single | a | **met** | 1 of 1; geometric mean 1.67× |");
    expect(report).toContain("| ≥ 90 % of the ideal gain | a | **missed** | m 88 % |");
    expect(report).toContain("| codl ≥ 1.0× best single | b | **met** | 1 of 1 (m: codl runs the best single processor's own program); geometric mean 0.97× |");
    // 10.3 against greedy 10.3 (median of 10.2 and 10.4): 1.00×, within its ±1 % noise.
    expect(report).toContain("| codl no slower than codl-greedy (within noise) | b | **met** | geometric mean 1.00×; slower beyond noise: none |");
    expect(report).toContain("| codl faster than mulayer | b | **met** | 1 of 1, geometric mean 1.94× |");
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("reports a split plan slower than the best single processor, or than codl-greedy beyond noise, as missed", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "codl-targets-"));
    // The slow strategies timed in a folder of their own (fewer iterations), joined by "+".
    const fast = benchFolder(root, "c", ["RESULT m_cpu 10\nRESULT m_codl 11\nRESULT m_codl_greedy 9\n"], meta(["m"], []));
    const slow = benchFolder(root, "c-slow", ["RESULT m_gpu 20\nRESULT m_mulayer 9\nRESULT m_cpu 99\n"], meta(["m"], []));
    const report = targetsReport(targetRows("c", `${fast}+${slow}`), new Map());
    expect(report).toContain("| c | m | 10.00 | 20.00 | 9.00 | 9.00 | 11.00 |");
    expect(report).toContain("| codl ≥ 1.0× best single | c | **missed** | 0 of 1; slower: m 0.91×; geometric mean 0.91× |");
    expect(report).toContain("| codl no slower than codl-greedy (within noise) | c | **missed** | geometric mean 0.82×; slower beyond noise: m 0.82× (±0 %) |");
    // The mulayer target names pairs (a) and (b) by default; pair c is judged only when asked.
    expect(report).not.toContain("| codl faster than mulayer | c |");
    expect(targetsReport(targetRows("c", `${fast}+${slow}`), new Map(), new Set(["c"]))).toContain("| codl faster than mulayer | c | **missed** | 0 of 1, geometric mean 0.82×; not faster: m 0.82× |");
    expect(report).not.toContain("90 %");
    expect(() => targetRows("x", path.join(root, "absent"))).toThrow(/meta\.json is missing/);
    expect(targetRows("c", `${fast}@m`).map((r) => r.model)).toEqual(["m"]);
    expect(() => targetRows("c", `${fast}@m,n`)).toThrow(/no model n \(it has m\)/);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
