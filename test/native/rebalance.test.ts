/**
 * codegen/runtime/rebalance.h alone: a small C++ program drives next_cut with
 * simulated sides (CPU and GPU time as functions of the cut) and prints the cut
 * after each run. It must settle where the sides cross even when the GPU's time
 * falls less than linearly with its rows, stay on a balanced cut, go back when a
 * neighbour measured worse, and measure a stale neighbour again.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { nativeToolchainMissing, runtimeDir } from "./bundle.js";

const missing = nativeToolchainMissing();

const PROGRAM = `
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include "rebalance.h"
// argv: scenario, start cut, runs. Cuts 0..8 give the GPU 1..9 tenths of the rows.
int main(int, char** argv) {
  const char* scenario = argv[1];
  int32_t cut = std::atoi(argv[2]);
  const int runs = std::atoi(argv[3]);
  std::vector<codl::CutTimes> cuts(9);
  for (int run = 2; run < 2 + runs; run++) {
    const double share = (cut + 1) / 10.0;
    double cpu = 100 * (1 - share), gpu = 100 * share;  // linear, equally fast: balanced at cut 4
    if (!std::strcmp(scenario, "sublinear")) gpu = 30 + 120 * share;  // fixed cost: balanced near share 0.32
    if (!std::strcmp(scenario, "drift")) cpu *= run < 12 ? 1.0 : 2.0;  // the CPU slows down after 10 runs
    cut = codl::next_cut(cuts, cut, cpu, gpu, size_t(run));
    std::printf("%d%s", cut, run + 1 < 2 + runs ? " " : "\\n");
  }
}
`;

let bin = "";

function run(scenario: string, start: number, runs: number): number[] {
  const r = spawnSync(bin, [scenario, String(start), String(runs)], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim().split(" ").map(Number);
}

describe.skipIf(missing !== undefined)("rebalance.h: next_cut", () => {
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-rebalance-"));
    fs.writeFileSync(path.join(dir, "t.cc"), PROGRAM);
    bin = path.join(dir, "t");
    const c = spawnSync("c++", ["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", `-I${runtimeDir}`, path.join(dir, "t.cc"), "-o", bin], { encoding: "utf8" });
    expect(c.status, c.stderr).toBe(0);
  });

  it("walks one cut a run towards the slower side's relief and settles where the sides cross", () => {
    const cuts = run("linear", 8, 12);
    expect(cuts.slice(0, 4)).toEqual([7, 6, 5, 4]);
    expect(cuts.slice(4)).toEqual(new Array(8).fill(4));
    expect(run("linear", 0, 8).slice(-3)).toEqual([4, 4, 4]);
  });

  it("settles at the best cut even when the GPU's time falls less than linearly with its rows", () => {
    // gpu = 30 + 120·share, cpu = 100·(1 − share): max is least at share 0.3 (cut 2: 64 ms; cut 3 has 78, cut 1 has 90).
    const cuts = run("sublinear", 6, 20);
    expect(cuts.slice(-8)).toEqual(new Array(8).fill(2));
    // It may try a neighbour, but comes back and stays.
    expect(new Set(cuts.slice(8))).toEqual(new Set([2]));
  });

  it("follows a side that slows down, measuring stale neighbours again", () => {
    const cuts = run("drift", 4, 40);
    expect(cuts[8]).toBe(4);
    // cpu doubles after run 12: the sides cross near share 2/3 (cut 5 or 6).
    expect([5, 6]).toContain(cuts.at(-1));
  });
});
