/**
 * Rebalancing variants (src/emit/variants.ts) without a toolchain: the shifted
 * plan's rows, which chains get variants and what they may differ in, the
 * program that forgets rows a cut decides, model.cc's tables, determinism and
 * the --rebalance-steps option. Their numerics run natively in
 * test/e2e/fixtures.test.ts ("rebalance": the outermost cuts and the runtime
 * moving them).
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFixture, type FixtureName, fixtureInputShapes } from "../../fixtures/index.js";
import { compileModel } from "../../src/bundle/compile.js";
import { readRuntimeSources } from "../../src/bundle/runtime-sources.js";
import { parseRebalanceSteps, runCompile } from "../../src/cli/compile.js";
import { runExplain } from "../../src/cli/explain.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { emitOp } from "../../src/emit/emit-op.js";
import { buildProgram } from "../../src/emit/program.js";
import { chainVariants, shiftedPlan } from "../../src/emit/variants.js";
import { WeightsBuilder } from "../../src/emit/weights.js";
import { irOpOf } from "../../src/kernels/from-ir.js";
import { chainRows } from "../../src/plan/halo.js";

const sd888 = loadProfile("sd888");
const forcedChain = (f: FixtureName, extra: Record<string, unknown> = {}) =>
  compileModel(buildFixture(f, "tiny").bytes, sd888, { toolVersion: "t", inputShapes: fixtureInputShapes(f, "tiny"), ratioStep: 0.05, force: { dim: "H", ratio: 0.5, chain: true }, ...extra });

function variantsOf(f: FixtureName, steps = 4) {
  const c = forcedChain(f);
  const program = buildProgram(c.graph, c.plan, { rebalancing: true });
  const weights = new WeightsBuilder();
  const ops = program.chains.flatMap((ch) => ch.ops.map((op) => emitOp(c.graph, program, op, sd888, weights)));
  const before = weights.entries.length;
  const variants = chainVariants({ graph: c.graph, plan: c.plan, profile: sd888, program, ops, weights }, steps, c.plan.options.ratioStep);
  return { c, program, variants, weightsAdded: weights.entries.length - before };
}

describe("rebalancing variants", () => {
  it("shifts every H chain's GPU share and walks its rows back as the planner does", () => {
    const c = forcedChain("resnet50");
    const shifted = shiftedPlan(c.graph, c.plan, 0.1);
    const chain = c.plan.chains[0]!;
    const ops = chain.operators.map((i) => ({ ir: irOpOf(c.graph, c.graph.nodes[i]!) }));
    const h = ops.at(-1)!.ir.outRows;
    const share = Math.round((chain.ratio + 0.1) * h);
    expect(share).not.toBe(Math.round(chain.ratio * h));
    const rows = chainRows(ops, chain.ratio + 0.1, share);
    chain.operators.forEach((i, k) => {
      const p = shifted.operators[i]!.placement;
      expect(p.gpu).toEqual([0, rows[k]!.gpuEnd]);
      expect(p.cpu).toEqual([rows[k]!.cpuStart, ops[k]!.ir.outRows]);
      expect(p.split).toBe(rows[k]!.own);
    });
    expect(shifted.chains[0]!.ratio).toBeCloseTo(chain.ratio + 0.1, 12);
    // A shift that would leave no rows to one side keeps the chain's cut.
    const far = shiftedPlan(c.graph, c.plan, 0.6);
    expect(far.operators[chain.operators.at(-1)!]!.placement).toEqual(c.plan.operators[chain.operators.at(-1)!]!.placement);
    // The input plan is not modified.
    expect(c.plan.operators[chain.operators[0]!]!.placement.ratio).toBe(0.5);
  });

  it("keeps, per H chain, only cuts that differ from the compiled one in rows, nearest first, and adds no weights", () => {
    const { program, variants, weightsAdded } = variantsOf("resnet50");
    expect(weightsAdded).toBe(0);
    expect(variants).toHaveLength(program.chains.length);
    let with_ = 0;
    variants.forEach((list, k) => {
      const chain = program.chains[k]!;
      if (list.length === 0) return;
      with_++;
      expect(chain.dim).toBe("H");
      expect(list.filter((v) => v.compiled)).toHaveLength(1);
      expect(list.find((v) => v.compiled)!.ratio).toBe(chain.ratio);
      const ratios = list.map((v) => v.ratio);
      expect([...ratios].sort((a, b) => a - b)).toEqual(ratios);
      expect(new Set(ratios).size).toBe(ratios.length);
      for (const v of list) {
        expect(Math.abs(v.ratio - chain.ratio)).toBeLessThanOrEqual(0.2 + 1e-9);
        expect(v.ops.map((e) => e.op.id)).toEqual(chain.ops.map((op) => op.id));
        expect(v.in.map((t) => [t.tensor, t.to, t.dim])).toEqual(chain.in.map((t) => [t.tensor, t.to, t.dim]));
        expect(v.out.map((t) => [t.tensor, t.to, t.dim])).toEqual(chain.out.map((t) => [t.tensor, t.to, t.dim]));
        v.ops.forEach((e, i) => {
          const base = list.find((x) => x.compiled)!.ops[i]!;
          expect(e.gpu.map((g) => g.file)).toEqual(base.gpu.map((g) => g.file));
          expect(e.cpu?.kind).toBe(base.cpu?.kind);
          expect(e.cpu?.fields).toEqual(base.cpu?.fields);
        });
      }
      // Every variant cuts the last operator elsewhere.
      const cuts = list.map((v) => v.ops.at(-1)!.op.gpu![1]);
      expect(new Set(cuts).size).toBe(cuts.length);
    });
    expect(with_).toBeGreaterThan(3);
  });

  it("without rebalancing a chain after an H chain reads rows the cut left on the CPU; with it, it fetches its whole slab", () => {
    const c = forcedChain("resnet50");
    const plain = buildProgram(c.graph, c.plan);
    const free = buildProgram(c.graph, c.plan, { rebalancing: true });
    const moved = (p: typeof plain) => p.chains.flatMap((ch) => ch.in).reduce((s, t) => s + (t.dim === "H" ? t.range[1] - t.range[0] : 0), 0);
    expect(moved(free)).toBeGreaterThan(moved(plain));
    // The same chains and operators either way.
    expect(free.chains.map((ch) => ch.ops.map((o) => o.id))).toEqual(plain.chains.map((ch) => ch.ops.map((o) => o.id)));
  });

  it("writes the variants into model.cc, byte-identically from the same inputs, and none without --rebalance-steps", () => {
    const runtime = readRuntimeSources();
    const a = forcedChain("fst", { runtime, rebalanceSteps: 4 }).bundle.files;
    const b = forcedChain("fst", { runtime, rebalanceSteps: 4 }).bundle.files;
    for (const [k, v] of a) expect(Buffer.from(b.get(k)!).equals(Buffer.from(v)), k).toBe(true);
    const cc = new TextDecoder().decode(a.get("src/model.cc"));
    const rows = [...cc.matchAll(/^ {4}\{(\d+), ([0-9.]+)f, (kC\d+V\d+Ops|&kOps\[\d+\]), /gm)];
    expect(rows.length).toBeGreaterThan(4);
    expect(cc).toContain(`kVariants, ${rows.length},`);
    expect(rows.filter((r) => r[3]!.startsWith("&kOps")).length).toBe(new Set(rows.map((r) => r[1])).size);
    // Custom CPU kernels of H splits take their rows from the view, so every variant shares them.
    expect(cc).toContain("const int y0 = call.op->cpu.output.row0, y1 = y0 + call.op->cpu.output.rows;");
    const none = new TextDecoder().decode(forcedChain("fst", { runtime }).bundle.files.get("src/model.cc"));
    expect(none).not.toContain("kVariants");
    expect(none).toContain("    nullptr, 0,\n};");
    // The weights are the compiled plan's, variants or not.
    expect(Buffer.from(a.get("weights.bin")!).equals(Buffer.from(forcedChain("fst", { runtime }).bundle.files.get("weights.bin")!))).toBe(true);
  });

  it("writes rebalancing.json and a summary line: the chains that can move, their cuts, and why the others keep theirs", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-rb-"));
    const file = path.join(dir, "m.onnx");
    fs.writeFileSync(file, buildFixture("yolov2", "tiny").bytes);
    const out = path.join(dir, "b");
    const r = await runCompile(file, { device: "sd888", out, forceDim: "H", forceRatio: "0.5", forceChain: true, ratioStep: "0.05", rebalanceSteps: "4" });
    const report = JSON.parse(fs.readFileSync(path.join(out, "rebalancing.json"), "utf8"));
    expect(report.steps).toBe(4);
    expect(report.ratioStep).toBe(0.05);
    expect(report.chains.length).toBeGreaterThan(0);
    for (const c of report.chains) {
      expect(c.cuts).toContain(c.compiled);
      expect(c.cuts.length).toBeGreaterThan(1);
      for (const x of c.cuts) expect(Math.round(x * 1e6) / 1e6).toBe(x);
    }
    // Tiny YOLOv2's later chains end in 2 rows or fewer: no other cut there.
    expect(report.fixed.length).toBeGreaterThan(0);
    for (const f of report.fixed) expect(f.reason).toMatch(/^(no other cut within 4 steps of 0.05|a tensor inside the chain is read after it)/);
    const total = report.chains.length + report.fixed.length;
    expect(r.stdout).toContain(`rebalancing: ${report.chains.length} of ${total} H chains can move their cut at run time`);
    expect(r.stdout).toContain(`  ${report.fixed[0].chain} (operators ${report.fixed[0].operators.join(", ")}) keeps its cut: `);
    expect(r.report.rebalancing).toEqual({ chains: report.chains.length, of: total, cuts: report.chains.reduce((n: number, c: { cuts: number[] }) => n + c.cuts.length - 1, 0) });
    expect(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")).files.map((f: { path: string }) => f.path)).toContain("rebalancing.json");
    expect(fs.readFileSync(path.join(out, "README.md"), "utf8")).toContain("`--no-rebalance` (or `CODL_REBALANCE=0`) keeps the compiled cuts.");
    // codl explain on the bundle says it too (text and JSON), and a changed file is refused.
    const explained = await runExplain(out, {});
    expect(explained.stdout).toContain(`rebalancing: ${report.chains.length} of ${total} H chains can move their cut at run time`);
    expect(JSON.parse((await runExplain(out, { format: "json" })).stdout).rebalancing).toEqual(report);
    fs.writeFileSync(path.join(out, "rebalancing.json"), "{}\n");
    await expect(runExplain(out, {})).rejects.toMatchObject({ code: "CODL-E086" });
    // Without the option: no file, no line, no key.
    const plain = await runCompile(file, { device: "sd888", out: path.join(dir, "c"), forceDim: "H", forceRatio: "0.5", forceChain: true });
    expect(fs.existsSync(path.join(dir, "c", "rebalancing.json"))).toBe(false);
    expect(plain.stdout).not.toContain("rebalancing");
    expect(plain.report.rebalancing).toBeUndefined();
    expect((await runExplain(path.join(dir, "c"), {})).stdout).not.toContain("rebalancing");
    expect(fs.readFileSync(path.join(dir, "c", "README.md"), "utf8")).not.toContain("rebalance");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("takes --rebalance-steps as an integer in [0, 20], else CODL-E097 (exit 2)", async () => {
    expect(parseRebalanceSteps(undefined)).toBe(0);
    expect(parseRebalanceSteps("6")).toBe(6);
    for (const bad of ["-1", "21", "2.5", "x", ""]) expect(() => parseRebalanceSteps(bad), bad).toThrow(expect.objectContaining({ code: "CODL-E097" }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-rb-"));
    const file = path.join(dir, "m.onnx");
    fs.writeFileSync(file, buildFixture("yolov2", "tiny").bytes);
    await expect(runCompile(file, { device: "sd888", out: path.join(dir, "b"), rebalanceSteps: "many", planOnly: true })).rejects.toMatchObject({ code: "CODL-E097" });
    expect(fs.existsSync(path.join(dir, "b"))).toBe(false);
  });
});
