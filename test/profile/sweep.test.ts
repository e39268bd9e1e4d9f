/**
 * The sweep: synthetic single-operator models import back to the operator
 * they stand for, slices are cut as the predictor cuts them, the built-in
 * paper shapes match the fixtures, and cases are stable and de-duplicated.
 */
import { describe, expect, it } from "vitest";
import { describeFixture } from "../../fixtures/index.js";
import { loadModel } from "../../src/index.js";
import { opConfigOf } from "../../src/kernels/from-ir.js";
import { encodeSyntheticModel, type SyntheticOp, syntheticOutputShape } from "../../src/onnx/encode.js";
import { gpuShare, sliceChannels, sliceRows } from "../../src/predict/coexec.js";
import { PAPER_CONVS, PAPER_MODELS, paperBaseOps } from "../../src/profile/builtin.js";
import { selectCpuKernel } from "../../src/kernels/cpu-xnnpack.js";
import { baseOpOf, buildSweep, FULL_SWEEP, QUICK_SWEEP, sliceOpChannels, sliceOpRows } from "../../src/profile/sweep.js";

const conv = (o: Partial<Extract<SyntheticOp, { kind: "Conv" }>> = {}): SyntheticOp => ({
  kind: "Conv",
  n: 1,
  ic: 8,
  ih: 20,
  iw: 12,
  oc: 12,
  kh: 3,
  kw: 3,
  sh: 1,
  sw: 1,
  pads: [1, 1, 1, 1],
  group: 1,
  dilation: 1,
  relu: false,
  ...o,
});

function configOf(op: SyntheticOp) {
  const { graph } = loadModel(encodeSyntheticModel(op, "t"));
  expect(graph.nodes.length).toBe(1);
  return opConfigOf(graph, graph.nodes[0]!);
}

describe("synthetic ONNX models", () => {
  const ops: SyntheticOp[] = [
    conv(),
    conv({ sh: 2, sw: 2, pads: [0, 1, 2, 1] }),
    conv({ ic: 8, oc: 8, group: 8 }),
    conv({ dilation: 2, pads: [2, 2, 2, 2], relu: true }),
    { kind: "MaxPool", n: 1, c: 8, ih: 16, iw: 16, kh: 2, kw: 2, sh: 2, sw: 2, pads: [0, 0, 0, 0] },
    { kind: "AveragePool", n: 1, c: 8, ih: 9, iw: 9, kh: 3, kw: 3, sh: 1, sw: 1, pads: [1, 1, 1, 1] },
    { kind: "GlobalAveragePool", n: 1, c: 16, ih: 7, iw: 7 },
    { kind: "Gemm", n: 1, k: 64, oc: 10 },
    { kind: "Add", n: 1, c: 8, h: 5, w: 6 },
    { kind: "LeakyRelu", n: 1, c: 8, h: 5, w: 6 },
    { kind: "Concat", n: 1, c0: 4, c1: 8, h: 5, w: 6 },
    { kind: "Resize", n: 1, c: 8, h: 5, w: 6, scale: 2 },
    { kind: "Layout", opType: "Transpose", inShape: [1, 6, 5, 4], arg: [0, 2, 3, 1] },
    { kind: "Layout", opType: "Reshape", inShape: [1, 5, 4, 6], arg: [1, 60, 2] },
    { kind: "Layout", opType: "Flatten", inShape: [1, 6, 5, 4], arg: [1] },
    { kind: "Layout", opType: "Softmax", inShape: [1, 60, 2], arg: [-1] },
  ];
  for (const op of ops) {
    it(`${op.kind} imports with the shape it declares`, () => {
      const { graph } = loadModel(encodeSyntheticModel(op, "t"));
      const out = graph.tensors.get(graph.outputs[0]!)!.shape;
      expect(out).toEqual(syntheticOutputShape(op));
    });
  }
  it("is deterministic", () => {
    expect(Buffer.from(encodeSyntheticModel(conv(), "a")).equals(Buffer.from(encodeSyntheticModel(conv(), "a")))).toBe(true);
  });
});

describe("Softmax and the layout ops are swept with the model's own shapes", () => {
  it("a graph's Transpose, Reshape and Softmax become Layout ops, measured whole, priced as cpu.layout / cpu.math", () => {
    for (const op of [
      { kind: "Layout", opType: "Transpose", inShape: [1, 6, 5, 4], arg: [0, 2, 3, 1] },
      { kind: "Layout", opType: "Reshape", inShape: [1, 5, 4, 6], arg: [1, 60, 2] },
      { kind: "Layout", opType: "Softmax", inShape: [1, 60, 2], arg: [-1] },
    ] as const satisfies readonly SyntheticOp[]) {
      const { graph } = loadModel(encodeSyntheticModel(op, "t"));
      const b = baseOpOf(graph, graph.nodes[0]!, "t");
      expect(b).toEqual({ op, source: "t", dims: [] });
      const kernel = selectCpuKernel(opConfigOf(graph, graph.nodes[0]!));
      expect(kernel).toBe(op.opType === "Softmax" ? "cpu.math" : "cpu.layout");
      // Whole on each processor, never split.
      expect(buildSweep([b as Exclude<typeof b, string>], QUICK_SWEEP, "s").map((c) => c.mode.kind)).toEqual(["gpu", "cpu"]);
    }
  });
});

describe("slices are the predictor's slices", () => {
  const cases: SyntheticOp[] = [conv(), conv({ sh: 2, sw: 2 }), conv({ kh: 7, kw: 7, pads: [3, 3, 3, 3] }), conv({ ic: 12, oc: 12, group: 12 })];
  for (const op of cases) {
    it(`${JSON.stringify(op).slice(0, 60)}`, () => {
      const whole = configOf(op);
      for (const ratio of FULL_SWEEP.ratios) {
        const g = gpuShare(whole, "H", ratio);
        if (g <= 0 || g >= whole.oh) continue;
        for (const [a, b] of [
          [0, g],
          [g, whole.oh],
        ] as const) {
          const mine = configOf(sliceOpRows(op, a, b));
          const theirs = sliceRows(whole, a, b);
          expect([mine.ih, mine.oh, mine.padTop ?? 0]).toEqual([theirs.ih, theirs.oh, theirs.padTop ?? 0]);
        }
        const k = gpuShare(whole, "OC", ratio);
        if (k <= 0 || k >= whole.oc) continue;
        const mine = configOf(sliceOpChannels(op, k));
        const theirs = sliceChannels(whole, k);
        expect([mine.ic, mine.oc, mine.groups]).toEqual([theirs.ic, theirs.oc, theirs.groups]);
      }
    });
  }
});

describe("the built-in paper shapes", () => {
  it("are the fixtures' full-size convs", () => {
    for (const model of PAPER_MODELS) {
      const rows = describeFixture(model, "full").convs.map((c) => [c.input[1], c.input[2], c.input[3], c.output[1], c.kernel[0], c.stride[0], c.pads[0], c.dilation[0], c.group].join(","));
      expect(PAPER_CONVS[model].map((r) => r.join(","))).toEqual([...new Set(rows)]);
    }
    expect(paperBaseOps().length).toBeGreaterThan(50);
  });
});

describe("buildSweep", () => {
  it("measures each side's slice alone and splits, de-duplicated, with stable names", () => {
    const ops = [{ op: conv(), source: "m:a", dims: ["H", "OC"] as const }, { op: conv(), source: "m:b", dims: ["H", "OC"] as const }];
    const a = buildSweep(ops, QUICK_SWEEP, "salt");
    const b = buildSweep(ops, QUICK_SWEEP, "salt");
    expect(a.map((c) => c.name)).toEqual(b.map((c) => c.name));
    expect(new Set(a.map((c) => c.name)).size).toBe(a.length);
    expect(a.every((c) => c.source === "m:a")).toBe(true);
    const kinds = a.map((c) => `${c.mode.kind}:${c.dim}`);
    expect(kinds).toContain("gpu:none");
    expect(kinds).toContain("cpu:H");
    expect(kinds).toContain("gpu:OC");
    expect(kinds).toContain("split:H");
    expect(buildSweep(ops, QUICK_SWEEP, "other")[0]!.name).not.toBe(a[0]!.name);
  });
});
