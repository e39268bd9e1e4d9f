import { describe, expect, it } from "vitest";
import { copyRows, fitContention, fitCopy, traceKind } from "../../src/predict/coexec-fit.js";
import { type TraceChain as Chain, traceOf as trace, traceOp as op } from "../helpers/trace.js";

describe("co-execution terms from traces (codl train --from-trace)", () => {
  it("classifies traces by the plan they ran", () => {
    expect(traceKind(trace([op("0", "cpu", 1, null)]))).toBe("cpu");
    expect(traceKind(trace([op("0", "gpu", null, 1), op("1", "cpu", 1, null)]))).toBe("gpu");
    expect(traceKind(trace([op("0", "split", 1, 1, 5)]))).toBe("coexec");
  });

  it("contention: the time-weighted ratio of each side's parts to their alone time", () => {
    // Alone: op 0 takes 10 ms on the CPU and 8 on the GPU; op 1, 20 and 16.
    const cpu = trace([op("0", "cpu", 10, null), op("1", "cpu", 20, null)]);
    const gpu = trace([op("0", "gpu", null, 8), op("1", "gpu", null, 16)]);
    // Split at 40 % GPU rows: alone the CPU part would be 6 and 12 ms, the GPU part 3.2 and 6.4.
    const co = trace([op("0", "split", 6 * 1.5, 3.2 * 1.1, 4), op("1", "split", 12 * 1.5, 6.4 * 1.1, 4)]);
    const k = fitContention([{ model: "m.onnx", cpu, gpu, coexec: [co] }])!;
    expect(k.cpu).toBeCloseTo(1.5, 9);
    expect(k.gpu).toBeCloseTo(1.1, 9);
    expect(k.models).toEqual(["m.onnx"]);
    // Faster beside each other than alone (noise) is clamped to 1.
    const quick = trace([op("0", "split", 5, 3, 4), op("1", "split", 10, 6, 4)]);
    expect(fitContention([{ model: "m.onnx", cpu, gpu, coexec: [quick] }])).toMatchObject({ cpu: 1, gpu: 1 });
    // Without the alone traces nothing is fitted.
    expect(fitContention([{ model: "m.onnx", cpu, coexec: [co] }])).toBeUndefined();
  });

  it("copy: per-transfer intercept and per-byte cost from chains whose transfers are all buffer copies", () => {
    const chain = (id: string, ms: number, transfers: Chain["transfers"]): Chain => ({ id, ops: [], dim: "H", ratio: 0.5, transform_in_ms: ms / 2, map_ms: 0, transform_out_ms: ms / 2, wall_ms: ms, transfers });
    const cost = (n: number, bytes: number) => 0.02 * n + 2.5e-7 * bytes;
    const t = trace(
      [],
      [
        chain("c0", cost(2, 4e6), [
          { when: "in", storage: "buffer", bytes: 1e6 },
          { when: "out", storage: "buffer", bytes: 3e6 },
        ]),
        chain("c1", cost(1, 8e6), [{ when: "in", storage: "buffer", bytes: 8e6 }]),
        chain("c2", cost(2, 1e6), [
          { when: "in", storage: "buffer", bytes: 5e5 },
          { when: "out", storage: "buffer", bytes: 5e5 },
        ]),
        // An image transfer is a layout transform, not a copy; a chain without transfers moves nothing.
        chain("c3", 9, [{ when: "in", storage: "image", bytes: 1e6 }]),
        chain("c4", 0, []),
      ],
    );
    const rows = copyRows(t);
    expect(rows.length).toBe(3);
    const fit = fitCopy(rows)!;
    expect(fit.copy.interceptMs).toBeCloseTo(0.02, 9);
    expect(fit.copy.perByteMs).toBeCloseTo(2.5e-7, 15);
    expect(fit.medianAbsErrPct).toBeLessThan(1e-6);
    // Older traces have no transfers: no rows, no fit.
    expect(copyRows(trace([], [{ id: "c0", ops: [], dim: "H", ratio: 0.5, transform_in_ms: 1, map_ms: 0, transform_out_ms: 1, wall_ms: 2 }]))).toEqual([]);
    expect(fitCopy([])).toBeUndefined();
  });
});
