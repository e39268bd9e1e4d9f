/**
 * The XNNPACK micro-benchmarks under bench/native build, and the claims BENCHMARKS.md rests on hold
 * on this machine: a convolution run as chunks of output channels (oc-chunks.cc, what the runtime
 * does under a profile's cpu.convChunks) and im2col + fully connected (first-conv.cc) give outputs
 * identical to XNNPACK's whole convolution, and the branch-free LeakyRelu pass the same values as the
 * select it replaced. One repetition each: timings are not checked here.
 */

import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { nativeToolchainMissing, repoRoot, xnnpackPrefix } from "./bundle.js";

const missing = nativeToolchainMissing();

/** Builds bench/native/<name>.cc against the host's XNNPACK and runs it with args (expecting exit 0); its stdout. */
function buildAndRun(name: string, args: readonly string[]): string {
  const run = buildAndSpawn(name, args);
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

function buildAndSpawn(name: string, args: readonly string[]): SpawnSyncReturns<string> {
  const out = path.join(repoRoot, "build/native/bench", name);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const prefix = xnnpackPrefix();
  const triplet = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" }).stdout.trim();
  const libDir = prefix === "" ? "" : path.join(prefix, "lib", triplet);
  const flags = prefix === "" ? [] : [`-I${path.join(prefix, "include")}`, `-L${libDir}`];
  const cc = spawnSync("c++", ["-O2", "-std=c++17", ...flags, path.join(repoRoot, "bench/native", `${name}.cc`), "-o", out, "-lXNNPACK", "-lpthreadpool"], {
    encoding: "utf8",
  });
  expect(cc.status, cc.stderr).toBe(0);
  const env = libDir === "" ? process.env : { ...process.env, LD_LIBRARY_PATH: `${libDir}:${process.env.LD_LIBRARY_PATH ?? ""}` };
  return spawnSync(out, args, { encoding: "utf8", env, timeout: 120_000 });
}

describe.skipIf(missing !== undefined)("bench/native micro-benchmarks", () => {
  it("oc-chunks: every chunking of every layer gives the whole convolution's outputs exactly, on one thread and two", () => {
    for (const threads of ["1", "2"]) {
      const text = buildAndRun("oc-chunks", ["1", threads]);
      const diffs = [...text.matchAll(/max \|chunked - whole\| (\S+)/g)].map((m) => m[1]);
      expect(diffs).toHaveLength(6);
      expect(new Set(diffs)).toEqual(new Set(["0"]));
      expect(text).toContain(`${threads} thread(s)`);
    }
  }, 300_000);

  it("oc-chunks and first-conv refuse a count that is not 1 to 1000 with their usage (exit 2), before any work", () => {
    for (const [name, args] of [["oc-chunks", ["0"]], ["oc-chunks", ["2", "x"]], ["first-conv", ["-1"]], ["first-conv", ["1", "2"]]] as const) {
      const r = buildAndSpawn(name, args);
      expect(r.status, `${name} ${args.join(" ")}`).toBe(2);
      expect(r.stderr).toContain(`usage: ${name}`);
      expect(r.stdout).toBe("");
    }
  }, 300_000);

  it("first-conv: im2col + fully connected matches the convolution exactly, and both LeakyRelu passes agree", () => {
    const text = buildAndRun("first-conv", ["1"]);
    const diffs = [...text.matchAll(/numerics: max \|diff\| (\S+),/g)].map((m) => m[1]);
    expect(diffs).toHaveLength(4);
    expect(new Set(diffs)).toEqual(new Set(["0"]));
    expect([...text.matchAll(/LeakyRelu post pass: .* outputs (\S+)/g)].map((m) => m[1])).toEqual(["identical", "identical", "identical", "identical"]);
  }, 300_000);
});
