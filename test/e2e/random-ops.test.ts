/**
 * ≥ 200 seeded random single-operator models (random shapes, attributes,
 * placement, ratio, GPU storage) through the same path as the fixtures:
 * compile, one CMake build, run, compare with onnxruntime-node; then 88
 * CPU-focused cases for the XNNPACK paths (random-ops.ts, CPU_FOCUS_OPS), and 3 convolutions
 * large enough that the runtime runs them in chunks of output channels (chunkedConvCases).
 * CODL_E2E_RANDOM=N changes the count; CODL_E2E_RANDOM_ONLY=i,j picks cases.
 */

import { beforeAll, describe, expect, it } from "vitest";
import { loadProfile } from "../../src/device/load-profile.js";
import { nativeToolchainMissing } from "../native/bundle.js";
import { buildCases, type CaseResult, type PreparedCase, prepareCase, runAllCases } from "./harness.js";
import { CPU_FOCUS_CASES, chunkedConvCases, RANDOM_CASES, type RandomCase, randomCase } from "./random-ops.js";

const COUNT = Number(process.env.CODL_E2E_RANDOM ?? RANDOM_CASES + CPU_FOCUS_CASES);
const only = (process.env.CODL_E2E_RANDOM_ONLY ?? "").split(",").filter((s) => s !== "").map(Number);
const missing = nativeToolchainMissing();
const PROJECT = "random-ops";
const profiles = { image: loadProfile("sd888"), buffer: loadProfile("kirin990"), oneThread: loadProfile("host-pocl") };
const cases: RandomCase[] = [
  ...Array.from({ length: COUNT }, (_, i) => i).filter((i) => only.length === 0 || only.includes(i)).map((i) => randomCase(i, profiles)),
  // sd888's GPU side with host-pocl's measured convChunks rule
  ...(only.length === 0 ? chunkedConvCases({ ...profiles.image, cpu: { ...profiles.image.cpu, convChunks: profiles.oneThread.cpu.convChunks } }) : []),
];
const results = new Map<string, CaseResult>();

describe.skipIf(missing !== undefined)("random single operators against ONNX Runtime", () => {
  beforeAll(async () => {
    const prepared: PreparedCase[] = cases.map((c) => prepareCase(PROJECT, c.spec));
    const build = buildCases(PROJECT, prepared);
    const t0 = Date.now();
    for (const r of await runAllCases(PROJECT, prepared)) results.set(r.name, r);
    console.log(`e2e random ops: ${prepared.length} cases, build ${build.toFixed(1)} s, run ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }, 3_600_000);

  it(`has at least 200 cases (${cases.length})`, () => {
    if (only.length === 0) expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  for (const c of cases) {
    it(`${c.spec.name} ${c.kind} on ${c.placement}`, () => {
      const r = results.get(c.spec.name);
      expect(r, "case did not run").toBeDefined();
      expect(r!.ok, r!.detail).toBe(true);
    });
  }
});
