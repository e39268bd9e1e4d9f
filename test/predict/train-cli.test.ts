import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runTrain } from "../../src/cli/train.js";
import { loadProfile } from "../../src/device/load-profile.js";
import { CompilerError } from "../../src/diag/errors.js";
import type { OpConfig } from "../../src/kernels/op-config.js";
import { evaluateModel } from "../../src/predict/kernel-model.js";
import { mulberry32 } from "../../src/predict/split.js";
import { workOf } from "../../src/predict/work.js";

const PROFILES = path.resolve("profiles");
const SD855 = path.join(PROFILES, "sd855.json");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "codl-train-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const HEADER = "processor,op,kernel,n,ih,iw,ic,oh,ow,oc,kh,kw,sh,sw,groups,latency_ms";

/** The truth the synthetic samples are drawn from: ms = 0.01 + 2e-4·rounds + 1e-5·rounds·micro + 3e-7·rounds·micro·steps. */
const TRUE = { intercept: 0.01, rounds: 2e-4, micro: 1e-5, steps: 3e-7 };

function conv(ih: number, ic: number, oc: number, k: number): OpConfig {
  return { op: "conv2d", n: 1, ih, iw: ih, ic, oh: ih, ow: ih, oc, kh: k, kw: k, sh: 1, sw: 1, groups: 1 };
}

function syntheticCsv(noise: number): string {
  const base = loadProfile(SD855);
  const rnd = mulberry32(7);
  const lines = [HEADER];
  for (const ih of [7, 14, 28, 56]) {
    for (const ic of [16, 32, 64, 96, 128]) {
      for (const oc of [8, 24, 64, 160]) {
        for (const k of [1, 3]) {
          const c = conv(ih, ic, oc, k);
          const w = workOf("cpu.gemm", c, base);
          const ms = TRUE.intercept + TRUE.rounds * w.rounds + TRUE.micro * w.rounds * w.micro + TRUE.steps * w.rounds * w.micro * w.steps;
          const y = ms * (1 + noise * (2 * rnd() - 1));
          lines.push(["cpu", "conv2d", "cpu.gemm", 1, ih, ih, ic, ih, ih, oc, k, k, 1, 1, 1, y.toPrecision(8)].join(","));
        }
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

function write(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

async function trainError(csv: string): Promise<CompilerError> {
  const file = write(`bad-${Math.random().toString(36).slice(2)}.csv`, csv);
  try {
    await runTrain(file, { base: SD855, out: path.join(tmp, "never.json") });
  } catch (e) {
    if (e instanceof CompilerError) return e;
    throw e;
  }
  throw new Error("runTrain accepted a bad CSV");
}

const ROW = (latency: string, ic = "32") => `cpu,conv2d,cpu.gemm,1,14,14,${ic},14,14,32,3,3,1,1,1,${latency}`;

describe("codl train (runTrain)", () => {
  it("recovers the coefficients samples were drawn from, and scores the held-out part", async () => {
    const out = path.join(tmp, "trained.json");
    const result = await runTrain(write("synthetic.csv", syntheticCsv(0.01)), { base: SD855, out, holdout: 0.3, seed: 66 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^kernel\s+n_train n_test/);
    expect(result.stdout).toContain("cpu.gemm");
    expect(result.stdout).toMatch(/\ntotal\s/);

    const trained = loadProfile(out);
    const m = trained.kernelModels.find((k) => k.kernel === "cpu.gemm");
    expect(m?.features).toEqual(["rounds", "rounds*micro", "rounds*micro*steps"]);
    if (m === undefined) return;
    // Undo the z-scoring: raw slope = coefficient / std, raw intercept = intercept − Σ slope · mean.
    const raw = m.coefficients.map((c, i) => c / m.stds[i]!);
    const intercept = m.intercept - raw.reduce((s, r, i) => s + r * m.means[i]!, 0);
    expect(raw[0]!).toBeCloseTo(TRUE.rounds, 4);
    expect(raw[1]! / TRUE.micro).toBeGreaterThan(0.8);
    expect(raw[1]! / TRUE.micro).toBeLessThan(1.2);
    expect(raw[2]! / TRUE.steps).toBeGreaterThan(0.97);
    expect(raw[2]! / TRUE.steps).toBeLessThan(1.03);
    expect(Math.abs(intercept - TRUE.intercept)).toBeLessThan(0.005);
    expect(m.heldOutAcc10).toBeGreaterThan(0.95);
    expect(result.report.total.acc10).toBeGreaterThan(0.95);
    expect(result.report.rows[0]?.nTest).toBeGreaterThan(0);
    // Every held-out row falls in one latency band of the breakdown.
    expect(result.report.bands.map((b) => b.label)).toEqual(["below 1 µs", "1–10 µs", "10 µs and above"]);
    expect(result.report.bands.reduce((n, b) => n + b.n, 0)).toBe(result.report.total.nTest);
    expect(result.stdout).toMatch(/held-out ±10% by measured latency: below 1 µs .*, 10 µs and above /);

    // The trained profile predicts unseen shapes from the same truth.
    const c = conv(20, 48, 40, 3);
    const w = workOf("cpu.gemm", c, trained);
    const truth = TRUE.intercept + TRUE.rounds * w.rounds + TRUE.micro * w.rounds * w.micro + TRUE.steps * w.rounds * w.micro * w.steps;
    expect(Math.abs(evaluateModel(m, w) - truth) / truth).toBeLessThan(0.03);
    // Models of kernels absent from the CSV are kept from the base profile.
    expect(trained.kernelModels.some((k) => k.kernel === "gpu.conv2d_1x1")).toBe(true);
  });

  it("--splits scores further splits by configuration: the first is the one reported, the profile is the same", async () => {
    const csv = write("splits.csv", syntheticCsv(0.15));
    const one = await runTrain(csv, { base: SD855, out: path.join(tmp, "one.json"), seed: 66 });
    const three = await runTrain(csv, { base: SD855, out: path.join(tmp, "three.json"), seed: 66, splits: 3 });
    const sp = three.report.splits!;
    expect(sp.seeds).toEqual([66, 67, 68]);
    expect(sp.acc10[0]).toBeCloseTo(three.report.total.acc10, 12);
    expect(new Set(sp.acc10).size).toBeGreaterThan(1); // ±15% noise: the held-out part matters
    expect(sp.mean).toBeCloseTo((sp.acc10[0]! + sp.acc10[1]! + sp.acc10[2]!) / 3, 12);
    expect(sp.sd).toBeGreaterThan(0);
    expect(three.stdout).toMatch(/over 3 splits \(seeds 66–68\): ±10% \d+\.\d% mean, \d+\.\d sd/);
    expect(fs.readFileSync(path.join(tmp, "three.json"), "utf8")).toBe(fs.readFileSync(path.join(tmp, "one.json"), "utf8"));
    expect(one.report.splits).toBeUndefined();
    await expect(runTrain(csv, { base: SD855, out: path.join(tmp, "x.json"), holdout: 0, splits: 2 })).rejects.toMatchObject({ code: "CODL-E050" });
  });

  it("a missing column is CODL-E062 naming the header line and the column", async () => {
    const e = await trainError(`${HEADER.replace(",latency_ms", "")}\n${ROW("0.5").replace(/,0\.5$/, "")}\n`);
    expect(e.code).toBe("CODL-E062");
    expect(e.exitCode).toBe(2);
    expect(e.details).toMatchObject({ line: 1, column: "latency_ms" });
  });

  it("a non-numeric cell is CODL-E062 naming its line and column", async () => {
    const e = await trainError(`${HEADER}\n${ROW("0.5")}\n${ROW("0.6", "abc")}\n`);
    expect(e.code).toBe("CODL-E062");
    expect(e.details).toMatchObject({ line: 3, column: "ic" });
    const f = await trainError(`${HEADER}\n${ROW("0.5")}\n${ROW("fast")}\n`);
    expect(f.details).toMatchObject({ line: 3, column: "latency_ms" });
  });

  it("zero and negative latencies are CODL-E062 naming their line", async () => {
    for (const bad of ["0", "-0.25"]) {
      const e = await trainError(`${HEADER}\n${ROW("0.5")}\n${ROW("0.4")}\n${ROW(bad)}\n`);
      expect(e.code).toBe("CODL-E062");
      expect(e.exitCode).toBe(2);
      expect(e.details).toMatchObject({ line: 4, column: "latency_ms" });
      expect(e.message).toContain(":4:");
    }
  });

  it("a kernel without enough training rows keeps the base model and says so; without a base model it is CODL-E063", async () => {
    const lonely = "gpu,fc,gpu.fc,1,1,1,512,1,1,1000,1,1,1,1,1,0.05";
    const csv = write("lonely.csv", `${syntheticCsv(0).trimEnd()}\n${lonely}\n`);
    const out = path.join(tmp, "lonely.json");
    const r = await runTrain(csv, { base: SD855, out });
    expect(r.stdout).toContain("kept the base profile's models for gpu.fc");
    const fc = (p: string) => loadProfile(p).kernelModels.find((m) => m.kernel === "gpu.fc");
    expect(fc(out)).toEqual(fc(SD855));
    const bare = JSON.parse(fs.readFileSync(SD855, "utf8"));
    bare.kernelModels = bare.kernelModels.filter((m: { kernel: string }) => m.kernel !== "gpu.fc");
    const bareBase = write("bare.json", JSON.stringify(bare));
    const e = await runTrain(csv, { base: bareBase, out: path.join(tmp, "bare-out.json") }).catch((x: unknown) => x as CompilerError);
    expect(e).toBeInstanceOf(CompilerError);
    expect((e as CompilerError).code).toBe("CODL-E063");
    expect((e as CompilerError).exitCode).toBe(2);
    expect((e as CompilerError).details).toMatchObject({ kernel: "gpu.fc" });
  });

  it("an --out that cannot be written is CODL-E094 with exit 2, and nothing is left behind", async () => {
    const csv = write("ok-out.csv", syntheticCsv(0));
    const dir = path.join(tmp, "missing-dir");
    const e = await runTrain(csv, { base: SD855, out: path.join(dir, "p.json") }).catch((x: unknown) => x as CompilerError);
    expect(e).toBeInstanceOf(CompilerError);
    expect((e as CompilerError).code).toBe("CODL-E094");
    expect((e as CompilerError).exitCode).toBe(2);
    expect(fs.existsSync(dir)).toBe(false);
    // A writable --out gets the whole profile and no temporary file beside it.
    await runTrain(csv, { base: SD855, out: path.join(tmp, "whole.json") });
    expect(loadProfile(path.join(tmp, "whole.json")).kernelModels.length).toBeGreaterThan(0);
    expect(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  it("bad options are CODL-E050", async () => {
    await expect(runTrain(write("ok.csv", syntheticCsv(0)), { base: SD855, out: path.join(tmp, "x.json"), holdout: 2 })).rejects.toMatchObject({ code: "CODL-E050" });
    await expect(runTrain(write("ok.csv", syntheticCsv(0)), { base: SD855, out: path.join(tmp, "x.json"), date: "28.11.2026" })).rejects.toMatchObject({ code: "CODL-E050" });
  });

  it("appends what it fitted, from which file, to the base's provenance; --date sets the date; the same inputs give the same profile", async () => {
    const csv = write("prov.csv", syntheticCsv(0.01));
    const base = loadProfile(SD855);
    const out = path.join(tmp, "prov.json");
    await runTrain(csv, { base: SD855, out, date: "2026-11-28" });
    const v = loadProfile(out).provenance;
    expect(v.date).toBe("2026-11-28");
    expect(v.toolVersion).toMatch(/^codl \d+\.\d+\.\d+/);
    expect(v.notes?.startsWith(base.provenance.notes ?? "")).toBe(true);
    expect(v.notes?.split("\n").at(-1)).toBe("then codl train prov.csv (measured 2026-11-28): refitted kernel models cpu.gemm");
    expect(v.sharing).toEqual(base.provenance.sharing);
    // Without --date the base's date stays; a second run over the same inputs writes the same bytes.
    await runTrain(csv, { base: SD855, out: path.join(tmp, "prov-a.json") });
    await runTrain(csv, { base: SD855, out: path.join(tmp, "prov-b.json") });
    expect(loadProfile(path.join(tmp, "prov-a.json")).provenance.date).toBe(base.provenance.date);
    expect(fs.readFileSync(path.join(tmp, "prov-a.json"), "utf8")).toBe(fs.readFileSync(path.join(tmp, "prov-b.json"), "utf8"));
  });
});
