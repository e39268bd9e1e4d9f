/**
 * `codl explain`: text and JSON rows for a model and for a bundle, --op,
 * determinism, bad input, and the HTML timeline drawn by headless Chromium
 * (installed by .ci/run; skipped locally only when Chromium is absent and
 * CI is unset).
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFixture } from "../../fixtures/index.js";
import { runCompile } from "../../src/cli/compile.js";
import { runExplain } from "../../src/cli/explain.js";
import { layoutTimeline } from "../../src/explain/html.js";
import { REASON_CODES } from "../../src/plan/schema.js";

const codl = path.resolve(__dirname, "../../bin/codl.js");
const run = (...args: string[]) => spawnSync(process.execPath, [codl, ...args], { encoding: "utf8" });
let dir = "";
const model = () => path.join(dir, "fst.onnx");
const bundle = () => path.join(dir, "bundle");

function findChromium(): string | undefined {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim() !== "") return r.stdout.trim();
  }
  return undefined;
}
const chromium = findChromium();
const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-explain-"));
  fs.writeFileSync(model(), buildFixture("fst", "tiny").bytes);
  fs.writeFileSync(path.join(dir, "yolov2.onnx"), buildFixture("yolov2", "full").bytes);
  await runCompile(model(), { device: "sd855", out: bundle() });
});

describe("codl explain", () => {
  it("prints one row per operator with decision, parts, alternatives and reason, then chains and totals", async () => {
    const r = await runExplain(path.join(dir, "yolov2.onnx"), { device: "sd855" });
    const plan = r.plan;
    const lines = r.stdout.split("\n");
    for (const o of plan.operators) expect(lines.some((l) => l.startsWith(`${String(o.id).padStart(4)} `) && l.includes(o.reason))).toBe(true);
    expect(r.stdout).toContain("best H Δ");
    expect(r.stdout).toContain("chains:");
    expect(r.stdout).toMatch(/chain 0: \d+ operators/);
    expect(r.stdout).toContain("predicted latency:");
    expect(r.report.rows.map((x) => x.reason).every((c) => (REASON_CODES as readonly string[]).includes(c))).toBe(true);
    // Full-size YOLOv2 forms H chains, and says so.
    expect(r.report.rows.some((x) => x.reason === "CHAINED" && x.decision.startsWith("H "))).toBe(true);
  });

  it("explains a bundle without the model, identically to explaining the model", async () => {
    const fromBundle = run("explain", bundle());
    const fromModel = run("explain", model(), "--device", "sd855");
    expect(fromBundle.status).toBe(0);
    expect(fromBundle.stdout).toBe(fromModel.stdout);
    expect(run("explain", bundle()).stdout).toBe(fromBundle.stdout);
    const json = run("explain", bundle(), "--format", "json");
    const report = JSON.parse(json.stdout);
    expect(Object.keys(report)).toEqual(["formatVersion", "model", "device", "strategy", "predictedMs", "baselines", "measuredTerms", "splits", "rows", "chains", "focus"]);
    expect(run("explain", bundle(), "--format", "json").stdout).toBe(json.stdout);
  });

  it("--op narrows to one operator and shows its ranges and halo", async () => {
    const all = await runExplain(bundle(), {});
    const split = all.plan.operators.find((o) => o.placement.dim === "H") ?? all.plan.operators[0]!;
    const r = await runExplain(bundle(), { op: split.name });
    expect(r.report.rows).toHaveLength(1);
    expect(r.report.focus).toBe(split.id);
    expect(r.stdout).toContain(`${split.name}: `);
    if (split.placement.dim === "H") expect(r.stdout).toContain("input rows read: GPU [");
    const byId = await runExplain(bundle(), { op: String(split.id) });
    expect(byId.report.focus).toBe(split.id);
    await expect(runExplain(bundle(), { op: "no-such-op" })).rejects.toMatchObject({ code: "CODL-E087" });
  });

  it("refuses a model without --device, a missing path and an unknown format (exit 2)", () => {
    const noDevice = run("explain", model());
    expect(noDevice.status).toBe(2);
    expect(noDevice.stderr).toContain("CODL-E088");
    const missing = run("explain", path.join(dir, "nope.onnx"), "--device", "sd855");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("CODL-E001");
    const format = run("explain", bundle(), "--format", "pdf");
    expect(format.status).toBe(2);
    expect(format.stderr).toContain("CODL-E050");
    const empty = fs.mkdtempSync(path.join(dir, "empty-"));
    const notBundle = run("explain", empty);
    expect(notBundle.status).toBe(2);
    expect(notBundle.stderr).toContain("CODL-E085");
  });
});

describe("codl explain --format html", () => {
  it("is one self-contained file: no external references, data and drawing code inline", () => {
    const html = run("explain", bundle(), "--format", "html").stdout;
    expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/(src|href)=["'](https?:)?\/\//);
    expect(html).not.toMatch(/@import|url\(/);
    expect(run("explain", bundle(), "--format", "html").stdout).toBe(html);
  });

  it("lays every operator out on the lanes, chains back to back", async () => {
    const { plan } = await runExplain(path.join(dir, "yolov2.onnx"), { device: "sd855" });
    const t = layoutTimeline(plan);
    for (const o of plan.operators) expect(t.items.some((i) => i.op === o.id)).toBe(true);
    expect(t.totalMs).toBeCloseTo(plan.totals.predictedMs, 3);
    for (const i of t.items) expect(i.end).toBeGreaterThanOrEqual(i.start);
  });

  it.skipIf(chromium === undefined && !inCi)("headless Chromium draws the CPU and GPU lanes and every operator", async () => {
    expect(chromium, "chromium must be installed in CI (.ci/run installs it)").toBeDefined();
    const { stdout, plan } = await runExplain(path.join(dir, "yolov2.onnx"), { device: "sd855", format: "html" });
    const file = path.join(dir, "timeline.html");
    fs.writeFileSync(file, stdout);
    const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-chromium-"));
    const r = spawnSync(
      chromium!,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${profileDir}`,
        "--dump-dom",
        `file://${file}`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    fs.rmSync(profileDir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    const dom = r.stdout;
    expect(dom).toContain('data-drawn="true"');
    for (const lane of ["gpu", "cpu", "sharing"]) expect(dom).toContain(`id="lane-${lane}"`);
    const laneOf = (lane: string) => dom.slice(dom.indexOf(`id="lane-${lane}"`), dom.indexOf("</g>", dom.indexOf(`id="lane-${lane}"`)));
    const drawn = (lane: string) => new Set([...laneOf(lane).matchAll(/data-op="(\d+)"/g)].map((m) => Number(m[1])));
    const gpu = drawn("gpu");
    const cpu = drawn("cpu");
    for (const o of plan.operators) {
      if (o.placement.processor !== "cpu") expect(gpu.has(o.id), `${o.name} on the GPU lane`).toBe(true);
      if (o.placement.processor !== "gpu") expect(cpu.has(o.id), `${o.name} on the CPU lane`).toBe(true);
    }
    // Chains are coloured: every chain's blocks carry its id.
    for (const c of plan.chains) expect(dom).toContain(`data-chain="${c.id}"`);
    // The operator table is drawn too.
    expect([...dom.matchAll(/<tr data-op="/g)]).toHaveLength(plan.operators.length);
  });
});
