/**
 * `codl compile` end to end: the bundle (plan.json + manifest.json, written
 * atomically), its summary, determinism, `codl diff` between two bundles,
 * and bad input (exit 2, nothing half-written) and unsupported models (exit 3).
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFixture } from "../../fixtures/index.js";
import { parseBundle, sha256Hex } from "../../src/bundle/bundle.js";
import { runCompile } from "../../src/cli/compile.js";
import { runDiff } from "../../src/cli/diff.js";
import { readBundle } from "../../src/cli/explain.js";
import { buildModel } from "../helpers/onnx-model.js";

const codl = path.resolve(__dirname, "../../bin/codl.js");
const run = (...args: string[]) => spawnSync(process.execPath, [codl, ...args], { encoding: "utf8" });
let dir = "";
const model = () => path.join(dir, "yolov2.onnx");

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-compile-"));
  fs.writeFileSync(model(), buildFixture("yolov2", "tiny").bytes);
  fs.writeFileSync(path.join(dir, "mobilenetv2.onnx"), buildFixture("mobilenetv2", "tiny").bytes);
  fs.writeFileSync(
    path.join(dir, "topk.onnx"),
    buildModel({
      nodes: [
        { op: "Relu", inputs: ["x"], outputs: ["r"], name: "relu" },
        { op: "TopK", inputs: ["r", "k"], outputs: ["v", "i"], name: "topk" },
      ],
      inputs: [{ name: "x", shape: [1, 10] }],
      outputs: [{ name: "v" }],
      initializers: [{ name: "k", dataType: 7, dims: [1], int64Data: [3] }],
    }),
  );
});

const listing = (d: string) => fs.readdirSync(d).sort();

describe("codl compile", () => {
  it("writes plan.json, manifest.json and the code, and prints every strategy, splits and chains", () => {
    const out = path.join(dir, "b1");
    const r = run("compile", model(), "--device", "sd855", "--out", out);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    for (const f of ["CMakeLists.txt", "CMakePresets.json", "README.md", "manifest.json", "plan.json", "src", "weights.bin"]) expect(listing(out)).toContain(f);
    const planOnly = path.join(dir, "b1p");
    expect(run("compile", model(), "--device", "sd855", "--out", planOnly, "--plan-only").status).toBe(0);
    expect(listing(planOnly)).toEqual(["manifest.json", "plan.json"]);
    for (const s of ["codl ", "codl-greedy", "mulayer", "gpu ", "cpu ", "ideal"]) expect(r.stdout).toContain(s);
    expect(r.stdout).toMatch(/splits: H \d+, OC \d+, CPU-only \d+, GPU-only \d+/);
    expect(r.stdout).toMatch(/chains: /);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
    expect(manifest.files).toContainEqual({ path: "plan.json", bytes: fs.statSync(path.join(out, "plan.json")).size, sha256: sha256Hex(fs.readFileSync(path.join(out, "plan.json"))) });
    expect(manifest.files.map((f: { path: string }) => f.path)).toContain("src/model.cc");
    const plan = readBundle(out);
    expect(plan.model.sha256).toBe(sha256Hex(fs.readFileSync(model())));
    expect(plan.strategy).toBe("codl");
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validate(JSON.parse(fs.readFileSync(path.resolve("schemas/plan.schema.json"), "utf8")), JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")))).toBe(true);
    // No temporary folders are left beside it.
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("is deterministic: the same inputs give byte-identical bundles and output", () => {
    const a = run("compile", model(), "--device", "sd888", "--out", path.join(dir, "d1"), "--json");
    const b = run("compile", model(), "--device", "sd888", "--out", path.join(dir, "d2"), "--json");
    for (const f of ["plan.json", "manifest.json"]) expect(fs.readFileSync(path.join(dir, "d1", f))).toEqual(fs.readFileSync(path.join(dir, "d2", f)));
    const strip = (s: string) => s.replace(/"out": "[^"]*"/, "");
    expect(strip(a.stdout)).toBe(strip(b.stdout));
    const j = JSON.parse(a.stdout);
    expect(Object.keys(j)).toEqual(["model", "device", "strategy", "keptFrom", "out", "files", "predictedMs", "baselines", "splits", "chains", "gpuPrecision"]);
    expect(j.baselines.codl).toBe(j.predictedMs);
  });

  it("replaces an existing bundle atomically, and takes a profile path, a strategy and a ratio step", async () => {
    const out = path.join(dir, "b2");
    await runCompile(model(), { device: "sd855", out });
    const r = await runCompile(model(), { device: path.resolve("profiles/kirin990.json"), out, strategy: "mulayer", ratioStep: "0.25" });
    expect(r.plan.strategy).toBe("mulayer");
    expect(r.plan.options.ratios).toEqual([0.25, 0.5, 0.75]);
    expect(readBundle(out).profile.id).toBe("kirin990");
    expect(listing(out)).toContain("weights.bin");
  });

  it("refuses bad input with exit 2 and writes nothing", () => {
    const file = path.join(dir, "a-file");
    fs.writeFileSync(file, "x");
    const notBundle = path.join(dir, "precious");
    fs.mkdirSync(notBundle);
    fs.writeFileSync(path.join(notBundle, "keep.txt"), "mine");
    const cases: Array<[string[], string]> = [
      [["--device", "sd999", "--out", path.join(dir, "x1")], "CODL-E061"],
      [["--device", path.join(dir, "a-file"), "--out", path.join(dir, "x2")], "CODL-E064"],
      [["--device", path.join(dir, "missing.json"), "--out", path.join(dir, "x3")], "CODL-E001"],
      [["--device", "sd855", "--out", file], "CODL-E080"],
      [["--device", "sd855", "--out", notBundle], "CODL-E081"],
      [["--device", "sd855", "--out", path.join(dir, "no", "such", "parent")], "CODL-E081"],
      [["--device", "sd855", "--out", path.join(dir, "x4"), "--strategy", "fastest"], "CODL-E082"],
      [["--device", "sd855", "--out", path.join(dir, "x5"), "--strategy", "ideal"], "CODL-E084"],
      [["--device", "sd855", "--out", path.join(dir, "x6"), "--ratio-step", "0.7"], "CODL-E083"],
      [["--device", "sd855", "--out", path.join(dir, "x7"), "--ratio-step", "0"], "CODL-E083"],
      [["--device", "sd855", "--out", path.join(dir, "x8"), "--ratio-step", "abc"], "CODL-E083"],
      [["--out", path.join(dir, "x9")], "CODL-E050"],
      [["--device", "sd855", "--out", path.join(dir, "x10"), "--min-gain", "1"], "CODL-E089"],
      [["--device", "sd855", "--out", path.join(dir, "x11"), "--min-gain", "-0.1"], "CODL-E089"],
      [["--device", "sd855", "--out", path.join(dir, "x12"), "--min-gain", "abc"], "CODL-E089"],
    ];
    for (const [args, code] of cases) {
      const r = run("compile", model(), ...args);
      expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(code);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(fs.readFileSync(file, "utf8")).toBe("x");
    expect(listing(notBundle)).toEqual(["keep.txt"]);
    expect(fs.readdirSync(dir).filter((f) => /^x\d+$/.test(f) || f.includes(".tmp-"))).toEqual([]);
  });

  it("refuses a dynamic input without --input-shape (exit 2) and an unsupported operator (exit 3)", () => {
    const dyn = run("compile", path.join(dir, "mobilenetv2.onnx"), "--device", "sd855", "--out", path.join(dir, "m1"));
    expect(dyn.status).toBe(2);
    expect(dyn.stderr).toContain("CODL-E015");
    const ok = run("compile", path.join(dir, "mobilenetv2.onnx"), "--device", "sd855", "--out", path.join(dir, "m1"), "--input-shape", "input=1x3x32x32");
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    const unsupported = run("compile", path.join(dir, "topk.onnx"), "--device", "sd855", "--out", path.join(dir, "t1"));
    expect(unsupported.status).toBe(3);
    expect(unsupported.stderr).toContain("CODL-E040");
    expect(fs.existsSync(path.join(dir, "t1"))).toBe(false);
  });
});

describe("codl diff", () => {
  it("lists operators whose decision changed and the predicted delta", async () => {
    const a = path.join(dir, "diff-a");
    const b = path.join(dir, "diff-b");
    await runCompile(model(), { device: "sd855", out: a });
    await runCompile(model(), { device: "sd855", out: b, strategy: "gpu" });
    const same = await runDiff(a, a, {});
    expect(same.diff.changed).toEqual([]);
    expect(same.diff.deltaMs).toBe(0);
    const d = await runDiff(a, b, { json: true });
    expect(d.diff.changed.length).toBeGreaterThan(0);
    expect(d.diff.changed.every((c) => c.after === "GPU")).toBe(true);
    expect(d.diff.deltaMs).toBeCloseTo(readBundle(b).totals.predictedMs - readBundle(a).totals.predictedMs, 5);
    const text = run("diff", a, b);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/predicted latency: \+\d/);
    expect(text.stdout).toContain("→ GPU");
  });

  it("refuses folders that are not bundles or whose files were altered (exit 2)", () => {
    const a = path.join(dir, "diff-a");
    const altered = path.join(dir, "altered");
    fs.cpSync(a, altered, { recursive: true });
    fs.appendFileSync(path.join(altered, "plan.json"), " ");
    const r1 = run("diff", a, altered);
    expect(r1.status).toBe(2);
    expect(r1.stderr).toContain("CODL-E086");
    const r2 = run("diff", a, dir);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain("CODL-E085");
    expect(() => parseBundle("x", () => undefined)).toThrow(expect.objectContaining({ code: "CODL-E086" }));
  });
});
