/**
 * Numerics of every tiny fixture under every emitted strategy, forced H 0.5
 * and forced OC 0.5 (and, where a fixture has a fully connected layer, the
 * split-K FC kernel, gpu.fcSplitK = 8, GPU-only and OC 0.5): compile, build
 * (one CMake project), run with PoCL as the
 * GPU and 1 XNNPACK thread, compare with onnxruntime-node:
 * max |error| ≤ 1e-4 · max |reference|; with --gpu-precision fp16 (GPU-only,
 * codl and forced H 0.5), ≤ 1e-2. fst's output is Tanh of values up to about
 * ±100, so binary16 storage errs by about 5e-2 of its ±1 range (measured
 * 5.7e-2 GPU-only before the check; no fp16 subset of its layers reaches
 * 1e-2 in an ONNX Runtime emulation): the compiler refuses fp16 for it
 * (plan options.fp16Refused, src/plan/half-precision.ts) and the fp16 cases
 * check that it kept fp32 there and fp16 everywhere else.
 * CODL_E2E_ONLY=fixture:variant,… narrows the matrix while iterating.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFixture, FIXTURES, type FixtureName, fixtureInputShapes } from "../../fixtures/index.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { nativeToolchainMissing, writeIfChanged } from "../native/bundle.js";
import { buildCases, type CaseResult, type CaseSpec, caches, e2eRoot, type PreparedCase, prepareCase, runAllCases } from "./harness.js";

const VARIANTS = ["cpu", "gpu", "mulayer", "codl-greedy", "codl", "H50", "OC50", "chain", "rebalance", "gpu16", "codl16", "H50_16", "gpuSK", "OC50SK"] as const;
/** The fixtures with a fully connected layer: the split-K FC kernel (gpu.fcSplitK) runs on them, whole and OC-split. */
const WITH_FC = new Set<string>(["vgg16", "resnet50", "mobilenetv2"]);
type Variant = (typeof VARIANTS)[number];

const only = (process.env.CODL_E2E_ONLY ?? "").split(",").filter((s) => s !== "");
const selected = (f: string, v: string) => only.length === 0 || only.some((o) => o === `${f}:${v}` || o === f || o === `*:${v}`);

const missing = nativeToolchainMissing();
const PROJECT = "fixtures";
const results = new Map<string, CaseResult>();
const prepared = new Map<string, PreparedCase>();
let buildSeconds = 0;
let runSeconds = 0;

/** A copy of a rebalancing case whose first variant's first operator claims an OC split (cases/<name>_bad). */
function corruptVariant(c: PreparedCase): PreparedCase {
  const dir = path.join(e2eRoot, PROJECT, "cases", `${c.name}_bad`);
  fs.cpSync(c.dir, dir, { recursive: true });
  const file = path.join(dir, "src", "model.cc");
  const cc = fs.readFileSync(file, "utf8");
  const at = cc.search(/^const OpDesc kC\d+V\d+Ops\[\] = \{\n/m);
  if (at < 0) throw new Error(`${c.name}: no variant tables to corrupt`);
  const row = cc.indexOf("SplitDim::kH", at);
  writeIfChanged(file, `${cc.slice(0, row)}SplitDim::kOC${cc.slice(row + "SplitDim::kH".length)}`);
  return { ...c, name: `${c.name}_bad`, dir };
}

function spec(f: FixtureName, v: Variant, model: Uint8Array): CaseSpec {
  const profile = loadProfile("sd888");
  const inputShapes = fixtureInputShapes(f, "tiny");
  const base = { inputShapes };
  const half = { inputShapes, gpuPrecision: "fp16" as const };
  const halfTolerance = 1e-2;
  if (v === "gpu16") return { name: `${f}_${v}`, model, profile, options: { ...half, strategy: "gpu" }, tolerance: halfTolerance };
  if (v === "codl16") return { name: `${f}_${v}`, model, profile, options: { ...half, strategy: "codl" }, tolerance: halfTolerance };
  if (v === "H50_16") return { name: `${f}_${v}`, model, profile, options: { ...half, strategy: "codl", force: { dim: "H", ratio: 0.5 } }, tolerance: halfTolerance };
  if (v === "H50") return { name: `${f}_${v}`, model, profile, options: { ...base, strategy: "codl", force: { dim: "H", ratio: 0.5 } } };
  if (v === "rebalance") {
    // H chains with variants 4 steps of 0.05 either way: the outermost cuts, then the runtime moving the cut for 4 runs.
    const runs = [["--variant-offset", "-4"], ["--variant-offset", "4"], ["--iterations", "4"]];
    return { name: `${f}_${v}`, model, profile, options: { ...base, strategy: "codl", ratioStep: 0.05, rebalanceSteps: 4, force: { dim: "H", ratio: 0.5, chain: true } }, runs };
  }
  if (v === "chain") return { name: `${f}_${v}`, model, profile, options: { ...base, strategy: "codl", force: { dim: "H", ratio: 0.4, chain: true } } };
  if (v === "gpuSK" || v === "OC50SK") {
    const split = { ...profile, gpu: { ...profile.gpu, fcSplitK: 8 } };
    const force = v === "OC50SK" ? { force: { dim: "OC" as const, ratio: 0.5 } } : {};
    return { name: `${f}_${v}`, model, profile: split, options: { ...base, strategy: v === "gpuSK" ? "gpu" : "codl", ...force } };
  }
  if (v === "OC50") return { name: `${f}_${v}`, model, profile, options: { ...base, strategy: "codl", force: { dim: "OC", ratio: 0.5 } } };
  return { name: `${f}_${v.replace("-", "_")}`, model, profile, options: { ...base, strategy: v } };
}

const matrix: Array<{ f: FixtureName; v: Variant }> = FIXTURES.flatMap((f) =>
  VARIANTS.filter((v) => selected(f, v) && (!v.endsWith("SK") || WITH_FC.has(f))).map((v) => ({ f, v })),
);

describe.skipIf(missing !== undefined)("tiny fixtures against ONNX Runtime", () => {
  beforeAll(async () => {
    const cases: PreparedCase[] = [];
    const models = new Map<FixtureName, Uint8Array>();
    for (const { f, v } of matrix) {
      if (!models.has(f)) models.set(f, buildFixture(f, "tiny").bytes);
      const c = prepareCase(PROJECT, spec(f, v, models.get(f)!));
      prepared.set(c.name, c);
      cases.push(c);
    }
    // A rebalancing bundle whose first variant changes more than rows (its first operator's split dimension):
    // built, never run against ONNX Runtime; the runtime must refuse its tables.
    const good = prepared.get("resnet50_rebalance");
    const bad = good === undefined ? [] : [corruptVariant(good)];
    buildSeconds = buildCases(PROJECT, [...cases, ...bad]);
    const t0 = Date.now();
    for (const r of await runAllCases(PROJECT, cases)) results.set(r.name, r);
    runSeconds = (Date.now() - t0) / 1000;
    console.log(`e2e fixtures: ${cases.length} cases, build ${buildSeconds.toFixed(1)} s, run ${runSeconds.toFixed(1)} s`);
    const half = [...results.values()].filter((r) => /16$/.test(r.name)).map((r) => `${r.name} ${r.relError.toExponential(2)}`);
    if (half.length > 0) console.log(`e2e fixtures, fp16 max|err|/max|ref|: ${half.join(", ")}`);
  }, 3_600_000);

  it.skipIf(!selected("resnet50", "rebalance"))("rebalance: refuses a variant that differs from its compiled chain in more than rows (CODL-R002, exit 2)", () => {
    const root = path.join(e2eRoot, PROJECT);
    const c = prepared.get("resnet50_rebalance")!;
    const r = spawnSync(path.join(root, "build", "codl_run_resnet50_rebalance_bad"), ["--bundle", path.join(root, "cases", "resnet50_rebalance_bad"), "--input", path.join(root, "io", c.name, "in0.npy")], {
      encoding: "utf8",
      env: { ...process.env, ...caches(root) },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^codl_run: error: CODL-R002: model table of '[^']+': variant \d+ of chain 'c\d+': operator '\d+' differs from the compiled one in more than rows\n$/);
  });

  it.skipIf(!selected("resnet50", "rebalance"))("rebalance: codl_run reports each chain's cut, moves it only when rebalancing, and the trace says which cut ran", () => {
    const c = prepared.get("resnet50_rebalance")!;
    const root = path.join(e2eRoot, PROJECT);
    const work = path.join(root, "io", c.name);
    const run = (...extra: string[]) => {
      const trace = path.join(work, "trace.json");
      const r = spawnSync(path.join(root, "build", `codl_run_${c.name}`), ["--bundle", c.dir, "--threads", "1", "--input", path.join(work, "in0.npy"), "--trace", trace, ...extra], {
        encoding: "utf8",
        env: { ...process.env, ...caches(root) },
      });
      expect(r.status, r.stderr).toBe(0);
      const cuts = /^cuts \(GPU share, compiled->now\): (.*)$/m.exec(r.stdout)?.[1] ?? "";
      const chains = JSON.parse(fs.readFileSync(trace, "utf8")).chains.filter((ch: { variants?: number }) => ch.variants !== undefined);
      return { cuts: cuts.split(", "), chains: chains as Array<{ id: string; ratio: number; compiled_ratio: number; variants: number; wall_ms: number | null }> };
    };
    const fixed = run("--no-rebalance", "--warmup", "0", "--iterations", "3");
    expect(fixed.chains.length).toBeGreaterThan(3);
    expect(fixed.cuts).toHaveLength(fixed.chains.length);
    for (const cut of fixed.cuts) expect(cut).toMatch(/^c\d+ 0\.\d{3} \(0 moves\)$/);
    for (const ch of fixed.chains) {
      expect(ch.ratio).toBe(ch.compiled_ratio);
      expect(ch.variants).toBeGreaterThanOrEqual(2);
      expect(ch.wall_ms).not.toBeNull();
    }
    const lower = run("--variant-offset", "-1", "--warmup", "0", "--iterations", "1");
    for (const ch of lower.chains) expect(ch.ratio).toBeLessThanOrEqual(ch.compiled_ratio);
    expect(lower.chains.some((ch) => ch.ratio < ch.compiled_ratio)).toBe(true);
    for (const cut of lower.cuts) expect(cut).toMatch(/^c\d+ 0\.\d{3}(->0\.\d{3})? \(0 moves\)$/);
    const moving = run("--warmup", "1", "--iterations", "5");
    for (const cut of moving.cuts) expect(cut).toMatch(/^c\d+ 0\.\d{3}(->0\.\d{3})? \(\d+ moves\)$/);
    // Each chain is reported at the cut its last traced run used, with that run's times.
    for (const ch of moving.chains) expect(ch.wall_ms, ch.id).not.toBeNull();
  });

  for (const { f, v } of matrix) {
    it(`${f} ${v}`, () => {
      const r = results.get(spec(f, v, new Uint8Array()).name);
      expect(r, "case did not run").toBeDefined();
      expect(r!.ok, r!.detail).toBe(true);
      if (v.endsWith("16")) expect(prepared.get(r!.name)!.gpuPrecision, "fp16 kept, or refused for fst only").toBe(f === "fst" ? "fp32" : "fp16");
    });
  }
});
