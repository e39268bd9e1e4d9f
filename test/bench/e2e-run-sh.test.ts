import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

describe("bench/e2e.ts run.sh", () => {
  it("runs the cases in cases.txt's order, or the opposite one with --reverse, --match applying to both", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "codl-e2e-run-"));
    const made = spawnSync(
      process.execPath,
      [path.join(root, "dist/bench/e2e.js"), "--device", path.join(root, "profiles/host-pocl.json"), "--size", "tiny", "--models", "mobilenetv2,resnet50", "--strategies", "cpu,codl", "--out", out],
      { encoding: "utf8" },
    );
    expect(made.status, made.stderr).toBe(0);
    const cases = fs.readFileSync(path.join(out, "cases.txt"), "utf8").trim().split("\n").map((l) => l.split(" ")[0]!);
    expect(cases).toEqual(["mobilenetv2_cpu", "mobilenetv2_codl", "resnet50_cpu", "resnet50_codl"]);
    // Stand-in binaries: each prints the median line codl_run prints, its own case's number.
    fs.mkdirSync(path.join(out, "fake"));
    cases.forEach((c, i) => {
      fs.writeFileSync(path.join(out, "fake", `codl_run_${c}`), `#!/bin/sh\necho "median latency: ${i + 1}.5 ms (1 iterations, 0 warm-up)"\n`, { mode: 0o755 });
    });
    const run = (...args: string[]) => spawnSync("sh", [path.join(out, "run.sh"), "--bin", "fake", ...args], { encoding: "utf8" }).stdout.trim().split("\n");
    expect(run()).toEqual(["RESULT mobilenetv2_cpu 1.5", "RESULT mobilenetv2_codl 2.5", "RESULT resnet50_cpu 3.5", "RESULT resnet50_codl 4.5"]);
    expect(run("--reverse")).toEqual(["RESULT resnet50_codl 4.5", "RESULT resnet50_cpu 3.5", "RESULT mobilenetv2_codl 2.5", "RESULT mobilenetv2_cpu 1.5"]);
    expect(run("--reverse", "--match", "_codl$")).toEqual(["RESULT resnet50_codl 4.5", "RESULT mobilenetv2_codl 2.5"]);
    expect(spawnSync("sh", [path.join(out, "run.sh"), "--bogus"], { encoding: "utf8" }).status).toBe(2);
    fs.rmSync(out, { recursive: true, force: true });
  });
});
