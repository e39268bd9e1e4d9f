import { describe, expect, it } from "vitest";
import { loadProfile } from "../../src/device/load-profile.js";
import { cpuTiling } from "../../src/kernels/cpu-xnnpack.js";
import type { OpConfig } from "../../src/kernels/op-config.js";
import { featureFn as lookup, type Work } from "../../src/predict/features.js";
import { parseSamplesCsv } from "../../src/predict/samples.js";
import { insideTapShare, workOf } from "../../src/predict/work.js";

const featureFn = (name: string): ((w: Work) => number) => {
  const f = lookup(name);
  if (f === undefined) throw new Error(`no feature ${name}`);
  return f;
};
const conv = (o: Partial<OpConfig>): OpConfig => ({ op: "conv2d", n: 1, ih: 8, iw: 8, ic: 16, oh: 8, ow: 8, oc: 16, kh: 3, kw: 3, sh: 1, sw: 1, groups: 1, ...o });

describe("what a launch alone does not say", () => {
  it("counts the filter taps that read inside the input", () => {
    // 2×2 input, 3×3 filter, padding 1: each output pixel reads 2×2 of its 9 taps.
    expect(insideTapShare(conv({ ih: 2, iw: 2, oh: 2, ow: 2, padTop: 1 }))).toBeCloseTo(4 / 9, 12);
    // An H slab whose halo rows are in the input: only the columns are padded.
    expect(insideTapShare(conv({ ih: 10, oh: 8, padTop: 0 }))).toBeCloseTo((8 * 3 - 2) / 24, 12);
    expect(insideTapShare(conv({ kh: 1, kw: 1 }))).toBe(1);
    expect(insideTapShare({ ...conv({}), op: "eltwise", kh: 1, kw: 1 })).toBe(1);
    // Stride 2, 7×7 over 8×8 with padding 3 (8 → 4): outputs 0–3 read 4, 6, 7 and 5 of their 7 taps per dimension.
    expect(insideTapShare(conv({ kh: 7, kw: 7, sh: 2, sw: 2, oh: 4, ow: 4, padTop: 3 }))).toBeCloseTo((22 * 22) / (28 * 28), 12);
  });

  it("prices a padded launch's active items and a binary operator's second input", () => {
    const p = loadProfile("host-pocl");
    const full = workOf("gpu.conv2d_direct", conv({ ih: 34, oh: 32, iw: 32, ow: 32, ic: 16, oc: 8, padTop: 0 }), p);
    const part = workOf("gpu.conv2d_direct", conv({ ih: 26, oh: 24, iw: 32, ow: 32, ic: 16, oc: 8, padTop: 0 }), p);
    // Both launch the same padded grid; the items the grid needs differ as the rows do.
    expect(part.workItems).toBe(full.workItems);
    expect(featureFn("loop*cu_active")(part) / featureFn("loop*cu_active")(full)).toBeCloseTo(24 / 32, 12);
    const eltwise = (onnxOp: string): OpConfig => ({ ...conv({ kh: 1, kw: 1 }), op: "eltwise", onnxOp });
    const add = workOf("gpu.eltwise", eltwise("Add"), p);
    const relu = workOf("gpu.eltwise", eltwise("Relu"), p);
    expect(add.inputBytes).toBe(relu.inputBytes);
    expect(featureFn("operand_bytes")(add)).toBe(2 * featureFn("operand_bytes")(relu));
    expect(featureFn("operand_bytes")(workOf("cpu.eltwise", eltwise("Mul"), p))).toBe(2 * 8 * 8 * 16 * 4);
  });

  it("runs XNNPACK's one-row GEMM kernel when the output is one row", () => {
    const cpu = { threads: 1, mr: 7, nr: 16, cr: 16 };
    expect(cpuTiling(conv({ ih: 1, iw: 1, oh: 1, ow: 1, kh: 1, kw: 1, ic: 256, oc: 256 }), cpu).mr).toBe(1);
    expect(cpuTiling(conv({ kh: 1, kw: 1 }), cpu).mr).toBe(7);
    const p = loadProfile("host-pocl");
    const one = workOf("cpu.gemm", { ...conv({}), op: "fc", ih: 1, iw: 1, oh: 1, ow: 1, kh: 1, kw: 1, ic: 64, oc: 32 }, p);
    expect(featureFn("rounds*micro*steps*one_row")(one)).toBe(featureFn("rounds*micro*steps")(one));
    expect(featureFn("rounds*micro*steps*one_row")(workOf("cpu.gemm", conv({}), p))).toBe(0);
    // Its tiles have their own fixed cost (one output row to store, not seven): 32 outputs are 2 tiles of 16.
    expect(featureFn("rounds*micro*one_row")(one)).toBe(2);
    expect(featureFn("rounds*micro*one_row")(workOf("cpu.gemm", conv({}), p))).toBe(0);
  });

  it("counts the output pixels of the busiest thread's row tasks", () => {
    const p = loadProfile("host-pocl");
    const resize = (h: number, w: number, c: number): OpConfig => ({ ...conv({ kh: 1, kw: 1 }), op: "eltwise", onnxOp: "Resize", ih: h, iw: w, ic: c, oh: h, ow: w, oc: c });
    // The same 12,288 elements as 32×48×8 and 32×24×16: twice the pixels, so a per-pixel term can tell them apart.
    const narrow = workOf("cpu.resize", resize(32, 48, 8), p);
    const wide = workOf("cpu.resize", resize(32, 24, 16), p);
    expect(featureFn("rounds*micro")(narrow)).toBe(featureFn("rounds*micro")(wide));
    expect(featureFn("rounds*pixels")(narrow)).toBe(32 * 48);
    expect(featureFn("rounds*pixels")(wide)).toBe(32 * 24);
    // A 3×3 pool over 16×16×24 on one thread: one task per output row of 16 pixels.
    const pool = workOf("cpu.pool", { ...conv({}), op: "pool", ih: 16, iw: 16, ic: 24, oh: 16, ow: 16, oc: 24 }, p);
    expect(featureFn("rounds*pixels")(pool)).toBe(16 * 16);
    // Pools step channels 4 at a time (XNNPACK's c4 pool kernels), not in the depthwise tile of 16: 6 steps per pixel.
    expect(featureFn("rounds*micro")(pool)).toBe(16 * 16 * 6);
    // Element-wise XNNPACK kernels run over a row's contiguous w·c elements: 4 channels are not padded to 16.
    const add4 = workOf("cpu.eltwise", { ...conv({ kh: 1, kw: 1 }), op: "eltwise", onnxOp: "Add", ic: 4, oc: 4 }, p);
    expect(featureFn("rounds*micro")(add4)).toBe(8 * Math.ceil((8 * 4) / p.cpu.xnnpack.cr));
    // A GEMM task is one mr-row tile; the GPU has no such tasks.
    expect(featureFn("rounds*pixels")(workOf("cpu.gemm", conv({}), p))).toBe(Math.ceil(64 / 7) * 7);
    expect(featureFn("rounds*pixels")(workOf("gpu.conv2d_direct", conv({}), p))).toBe(0);
  });

  it("prices one operator of a shared kernel with op(Name) terms", () => {
    const p = loadProfile("host-pocl");
    const eltwise = (onnxOp: string): OpConfig => ({ ...conv({ kh: 1, kw: 1 }), op: "eltwise", onnxOp });
    const sigmoid = workOf("cpu.eltwise", eltwise("Sigmoid"), p);
    const relu = workOf("cpu.eltwise", eltwise("Relu"), p);
    expect(featureFn("op(Sigmoid)*rounds*micro")(sigmoid)).toBe(featureFn("rounds*micro")(sigmoid));
    expect(featureFn("op(Sigmoid)*rounds*micro")(relu)).toBe(0);
    expect(featureFn("op(Softmax)*cu_active")(workOf("gpu.element", eltwise("Softmax"), p))).toBeGreaterThan(0);
    expect(lookup("op(Sigmoid)*no_such_feature")).toBeUndefined();
    // What an Add of two 8×8×16 tensors reads and writes past 32 KiB: 3 × 4 KiB fit, so nothing; 48×48×16 spills.
    expect(featureFn("io_bytes_over(32)")(workOf("cpu.eltwise", eltwise("Add"), p))).toBe(0);
    const big = workOf("cpu.eltwise", { ...eltwise("Add"), ih: 48, iw: 48, oh: 48, ow: 48 }, p);
    expect(featureFn("io_bytes_over(32)")(big)).toBe(3 * 48 * 48 * 16 * 4 - 32 * 1024);
    // Pool records name their operator (kernels/from-ir.ts), so an average pool's divisions can be priced apart.
    const pool = (onnxOp: string): OpConfig => ({ ...conv({}), op: "pool", ih: 16, iw: 16, oh: 8, ow: 8, sh: 2, sw: 2, onnxOp });
    expect(featureFn("op(AveragePool)*rounds*micro*steps")(workOf("cpu.pool", pool("AveragePool"), p))).toBeGreaterThan(0);
    expect(featureFn("op(AveragePool)*rounds*micro*steps")(workOf("cpu.pool", pool("MaxPool"), p))).toBe(0);
    // Pad's mode: a constant pad's bounds test costs per pixel what a reflect pad's index maths does not.
    const pad = (mode: string): OpConfig => ({ ...eltwise("Pad"), mode });
    expect(featureFn("mode(constant)*rounds*pixels")(workOf("cpu.pad", pad("constant"), p))).toBe(8 * 8);
    expect(featureFn("mode(constant)*rounds*pixels")(workOf("cpu.pad", pad("reflect"), p))).toBe(0);
  });

  it("reads pad_top, dilation and onnx_op back from a samples CSV", () => {
    const csv = [
      "processor,op,kernel,n,ih,iw,ic,oh,ow,oc,kh,kw,sh,sw,groups,latency_ms,pad_top,dilation,onnx_op,mode",
      "gpu,eltwise,gpu.eltwise,1,4,4,8,4,4,8,1,1,1,1,1,0.01,0,1,Relu,",
      "gpu,conv2d,gpu.conv2d_direct,1,6,4,8,4,4,8,3,3,1,1,1,0.02,1,2,,",
      "cpu,eltwise,cpu.pad,1,6,6,8,6,6,8,1,1,1,1,1,0.001,0,1,Pad,reflect",
    ].join("\n");
    const [relu, dilated, pad] = parseSamplesCsv(csv, "s.csv");
    expect(relu!.config.onnxOp).toBe("Relu");
    expect(relu!.config.mode).toBeUndefined();
    expect(pad!.config).toMatchObject({ onnxOp: "Pad", mode: "reflect" });
    expect(() => parseSamplesCsv(csv.replace(",Pad,reflect", ",Pad,mirror"), "s.csv")).toThrow(expect.objectContaining({ code: "CODL-E062" }));
    expect(dilated!.config).toMatchObject({ padTop: 1, dilation: 2 });
    expect(dilated!.config.onnxOp).toBeUndefined();
    expect(() => parseSamplesCsv(csv.replace(",0.02,1,2,,", ",0.02,-1,2,,"), "s.csv")).toThrow(expect.objectContaining({ code: "CODL-E062" }));
  });
});
