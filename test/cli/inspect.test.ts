/**
 * `codl inspect` and the program shell: handlers in-process, exit codes and
 * output end to end through bin/codl.js.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFixture, describeFixture } from "../../fixtures/index.js";
import { runInspect } from "../../src/cli/inspect.js";
import { CompilerError } from "../../src/diag/errors.js";
import { buildModel } from "../helpers/onnx-model.js";

const codl = path.resolve(__dirname, "../../bin/codl.js");
const run = (...args: string[]) => spawnSync(process.execPath, [codl, ...args], { encoding: "utf8" });
let dir = "";

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-cli-"));
  for (const name of ["yolov2", "mobilenetv2"] as const) fs.writeFileSync(path.join(dir, `${name}.onnx`), buildFixture(name, "tiny").bytes);
  fs.writeFileSync(
    path.join(dir, "nms.onnx"),
    buildModel({
      nodes: [
        { op: "Relu", inputs: ["x"], outputs: ["r"], name: "relu" },
        { op: "TopK", inputs: ["r", "k"], outputs: ["v", "i"], name: "topk" },
        { op: "Custom", domain: "com.example", inputs: ["v"], outputs: ["y"], name: "custom" },
      ],
      inputs: [{ name: "x", shape: [1, 10] }],
      outputs: [{ name: "y" }],
      initializers: [{ name: "k", dataType: 7, dims: [1], int64Data: [3] }],
    }),
  );
});

describe("codl inspect", () => {
  it("reports op counts, shapes, FLOPs, parameters and fusions", async () => {
    const file = path.join(dir, "yolov2.onnx");
    const { report, exitCode } = await runInspect(file, { json: true });
    expect(exitCode).toBe(0);
    const fixture = buildFixture("yolov2", "tiny");
    const expectedCounts = Object.fromEntries(Object.entries(fixture.opCounts).sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(report.model.onnxOpCounts).toEqual(expectedCounts);
    // Every BatchNormalization folds into its Conv, every activation fuses: only Conv, pooling and the reorg remain.
    expect(report.opCounts.BatchNormalization).toBeUndefined();
    expect(report.opCounts.LeakyRelu).toBeUndefined();
    expect(report.fusions.filter((f) => f.kind === "Conv+BatchNormalization")).toHaveLength(fixture.opCounts.BatchNormalization ?? -1);
    const convFlops = report.nodes.filter((n) => n.op === "Conv").reduce((s, n) => s + n.flops, 0);
    const described = describeFixture("yolov2", "tiny").convs.reduce((s, c) => s + 2 * c.output.reduce((p, d) => p * d, 1) * ((c.input[1] ?? 0) / c.group) * c.kernel[0] * c.kernel[1], 0);
    // Conv FLOPs = 2·MACs plus one add per output for the (folded) bias and one op per fused activation.
    expect(convFlops).toBeGreaterThanOrEqual(described);
    expect(convFlops).toBeLessThan(described * 1.05);
    expect(report.totals.params).toBeGreaterThan(0);
    expect(report.unsupported).toEqual([]);
    expect(report.tensors.every((t) => t.shape !== "?")).toBe(true);
  });

  it("prints the same bytes on every run (text and JSON)", () => {
    const file = path.join(dir, "yolov2.onnx");
    const a = run("inspect", file);
    const b = run("inspect", file);
    expect(a.status).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain("operators in the file:");
    expect(a.stdout).toContain("fusions applied:");
    const j1 = run("inspect", file, "--json");
    const j2 = run("inspect", file, "--json");
    expect(j1.stdout).toBe(j2.stdout);
    expect(JSON.parse(j1.stdout).totals.nodes).toBeGreaterThan(0);
  });

  it("lists unsupported operators and still exits 0", () => {
    const r = run("inspect", path.join(dir, "nms.onnx"), "--json");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.unsupported).toEqual([
      { node: "topk", op: "TopK", domain: "" },
      { node: "custom", op: "Custom", domain: "com.example" },
    ]);
  });

  it("needs --input-shape for a dynamic batch, and checks it", async () => {
    const file = path.join(dir, "mobilenetv2.onnx");
    const missing = run("inspect", file);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("CODL-E015");
    expect(missing.stderr).toContain("--input-shape");
    const [name, shape] = Object.entries(describeFixture("mobilenetv2", "tiny").inputShapes)[0] as [string, number[]];
    const ok = run("inspect", file, "--input-shape", `${name}=${shape.join("x")}`);
    expect(ok.status).toBe(0);
    await expect(runInspect(file, { inputShape: [`nope=${shape.join("x")}`] })).rejects.toMatchObject({ code: "CODL-E016" });
    await expect(runInspect(file, { inputShape: [`${name}=1x3xbad`] })).rejects.toMatchObject({ code: "CODL-E016" });
    await expect(runInspect(file, { inputShape: [`${name}=2x3`] })).rejects.toBeInstanceOf(CompilerError);
  });

  it("--dump-after prints the IR after that pass, and refuses unknown passes", () => {
    const file = path.join(dir, "yolov2.onnx");
    const afterShapes = run("inspect", file, "--dump-after", "infer-shapes");
    expect(afterShapes.status).toBe(0);
    expect(afterShapes.stdout).toMatch(/^graph /);
    expect(afterShapes.stdout).toMatch(/%\d+ BatchNormalization /);
    const afterFusion = run("inspect", file, "--dump-after=fuse-activation");
    expect(afterFusion.stdout).not.toMatch(/%\d+ (BatchNormalization|LeakyRelu) /);
    expect(afterFusion.stdout).toContain("act=leakyRelu(0.1)");
    const bad = run("inspect", file, "--dump-after", "nope");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("CODL-E051");
  });
});

describe("the program shell", () => {
  it("--version prints the package version and --help lists commands", () => {
    const version = run("--version");
    expect(version.status).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../package.json"), "utf8")) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("inspect");
  });

  it("an unknown command is exit 2", () => {
    const r = run("frobnicate");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("CODL-E050");
  });
});
