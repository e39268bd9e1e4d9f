/**
 * From rounds files to samples CSV, the sharing fit, the progress line, and
 * the trace readers; all without native code.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { collectHarness } from "../../src/cli/profile.js";
import type { OpConfig } from "../../src/kernels/op-config.js";
import { parseSamplesCsv, REQUIRED_COLUMNS } from "../../src/predict/samples.js";
import { fitLinearBytes, fitSharing } from "../../src/predict/sharing-fit.js";
import { collectSamples, formatProfileCsv, SAMPLE_COLUMNS } from "../../src/profile/collect.js";
import type { CaseMeta } from "../../src/profile/harness.js";
import { createProgress, progressBar } from "../../src/profile/progress.js";
import { median, parseRounds, parseTrace, type Rounds, stdev, type Trace } from "../../src/profile/trace.js";

const cfg: OpConfig = { op: "conv2d", n: 1, ih: 16, iw: 16, ic: 8, oh: 16, ow: 16, oc: 8, kh: 3, kw: 3, sh: 1, sw: 1, groups: 1, padTop: 1, dilation: 1 };

function trace(o: { cpu?: number; gpu?: number; tin?: number; map?: number; tout?: number; lat: number; placement: "cpu" | "gpu" | "split" }): Trace {
  return parseTrace(
    {
      format: "codl-trace",
      version: 1,
      model: "m",
      device: "d",
      threads: 1,
      iterations: 1,
      latency_ms: { median: o.lat, all: [o.lat] },
      memory: {},
      ops: [{ id: "0", kind: "Conv", chain: "c0", placement: o.placement, dim: o.placement === "split" ? "H" : "none", gpu_out: [0, 8], cpu_out: [8, 16], cpu_ms: o.cpu ?? null, gpu_ms: o.gpu ?? null, gpu_kernels: [] }],
      chains: [{ id: "c0", ops: ["0"], dim: "H", ratio: 0.5, transform_in_ms: o.tin ?? 0, map_ms: o.map ?? 0, transform_out_ms: o.tout ?? 0, wall_ms: 1 }],
      timeline: [],
    },
    "t",
  );
}

const rounds = (ts: Trace[]): Rounds => parseRounds({ format: "codl-profile-rounds", version: 1, device: "d", warmup: 1, threads: 1, wall_ms: ts.map(() => 1), rounds: ts }, "r");

describe("collectSamples", () => {
  const metas: CaseMeta[] = [
    { name: "g", mode: "gpu", dim: "none", ratio: 1, source: "s", kernels: { cpu: "cpu.gemm", gpu: "gpu.conv2d_direct" }, config: cfg, slab: null },
    { name: "c", mode: "cpu", dim: "none", ratio: 0, source: "s", kernels: { cpu: "cpu.gemm", gpu: "gpu.conv2d_direct" }, config: cfg, slab: null },
    { name: "s", mode: "split", dim: "H", ratio: 0.5, source: "s", kernels: { cpu: "cpu.gemm", gpu: "gpu.conv2d_direct" }, config: cfg, slab: { inputBytes: 9 * 16 * 8 * 4, outputBytes: 8 * 16 * 8 * 4, share: 8 } },
  ];
  const results = new Map<string, Rounds[]>([
    ["g", [rounds([trace({ gpu: 1.0, lat: 1.2, placement: "gpu" }), trace({ gpu: 1.2, lat: 1.4, placement: "gpu" }), trace({ gpu: 1.1, lat: 1.3, placement: "gpu" })])]],
    ["c", [rounds([trace({ cpu: 0.5, lat: 0.6, placement: "cpu" })])]],
    ["s", [rounds([trace({ cpu: 0.3, gpu: 0.6, tin: 0.05, map: 0.08, tout: 0.04, lat: 1.0, placement: "split" })])]],
  ]);
  const { samples, missing } = collectSamples(metas, results);
  it("takes medians and spreads per case, with the plan's kernel ids", () => {
    expect(missing).toEqual([]);
    const g = samples.find((s) => s.caseName === "g")!;
    expect(g.kernel).toBe("gpu.conv2d_direct");
    expect(g.latencyMs).toBeCloseTo(1.1);
    expect(g.stdevMs).toBeCloseTo(0.1);
    expect(samples.find((s) => s.caseName === "c")!.kernel).toBe("cpu.gemm");
  });
  it("splits into transform, map and sync rows (io from the GPU-only case)", () => {
    const ops = samples.filter((s) => s.caseName === "s").map((s) => `${s.config.op}:${s.latencyMs.toFixed(3)}`);
    // sync = 1.0 − io 0.2 − (0.05 + 0.03 + 0.6 + 0.04)
    expect(ops).toEqual(["transform_in:0.050", "transform_out:0.040", "map_in:0.030", "sync:0.080"]);
    const tin = samples.find((s) => s.config.op === "transform_in")!.config;
    expect(tin.n * tin.ih * tin.iw * tin.ic * 4).toBe(9 * 16 * 8 * 4);
  });
  it("writes DESIGN.md §3 CSV that codl train reads back", () => {
    const csv = formatProfileCsv(samples);
    expect(csv.split("\n")[0]!.split(",").slice(0, REQUIRED_COLUMNS.length)).toEqual([...REQUIRED_COLUMNS]);
    expect(SAMPLE_COLUMNS).toContain("stdev_ms");
    const back = parseSamplesCsv(csv, "x.csv");
    expect(back.length).toBe(samples.length);
    expect(back[0]!.latencyMs).toBeCloseTo(1.1);
  });
});

describe("collectHarness with passes", () => {
  it("takes the quietest pass's median by default, or pools every round (run.sh --passes): one slowed pass of three moves neither", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-passes-"));
    const meta: CaseMeta = { name: "g", mode: "gpu", dim: "none", ratio: 1, source: "s", kernels: { cpu: "cpu.gemm", gpu: "gpu.conv2d_direct" }, config: cfg, slab: null };
    fs.writeFileSync(path.join(dir, "cases.json"), JSON.stringify({ format: "codl-profile-cases", version: 1, profile: "p", toolVersion: "t", cases: [meta] }));
    fs.mkdirSync(path.join(dir, "results"));
    const pass = (ms: number[]) => JSON.stringify(rounds(ms.map((gpu) => trace({ gpu, lat: gpu + 0.1, placement: "gpu" }))));
    fs.writeFileSync(path.join(dir, "results", "g.json"), pass([1.0, 1.02, 0.98]));
    fs.writeFileSync(path.join(dir, "results", "g.p2.json"), pass([2.0, 2.1, 1.9])); // the whole case slowed
    fs.writeFileSync(path.join(dir, "results", "g.p3.json"), pass([1.01, 0.99, 1.0]));
    const csv = path.join(dir, "samples.csv");
    expect(collectHarness(dir, csv).samples).toBe(1);
    const [row] = parseSamplesCsv(fs.readFileSync(csv, "utf8"), csv);
    expect(row!.latencyMs).toBeCloseTo(1.0, 6); // min(1.0, 2.0, 1.0)
    expect(collectHarness(dir, csv, "pooled").samples).toBe(1);
    expect(parseSamplesCsv(fs.readFileSync(csv, "utf8"), csv)[0]!.latencyMs).toBeCloseTo(1.01, 6); // median of all 9
    // the slowed pass shows in the spread, so the row is not "quiet"
    expect(row!.stdevMs!).toBeGreaterThan(0.4);
    expect(fs.readFileSync(csv, "utf8").split("\n")[1]!.split(",")[18]).toBe("9");
    // A broken later pass is CODL-E075 naming that file, and no CSV is written.
    fs.writeFileSync(path.join(dir, "results", "g.p3.json"), '{"format": "x"');
    const bad = path.join(dir, "bad.csv");
    expect(() => collectHarness(dir, bad)).toThrow(expect.objectContaining({ code: "CODL-E075", message: expect.stringContaining("g.p3.json") }));
    expect(fs.existsSync(bad)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("sharing fit", () => {
  it("recovers a linear cost and keeps it non-negative", () => {
    const xs = [1e3, 1e4, 1e5, 1e6];
    const m = fitLinearBytes(
      xs,
      xs.map((x) => 0.02 + 1e-7 * x),
    );
    expect(m.interceptMs).toBeCloseTo(0.02, 6);
    expect(m.perByteMs).toBeCloseTo(1e-7, 12);
    expect(fitLinearBytes([1, 2], [2, 1]).perByteMs).toBe(0);
  });
  it("fits transform, map and sync, folding unmap into sync", () => {
    const row = (op: OpConfig["op"], ih: number, ms: number) => ({ config: { ...cfg, op, ih, ic: 1, iw: 256, n: 1 }, latencyMs: ms });
    const base = { transform: { interceptMs: 1, perByteMs: 1 }, map: { interceptMs: 1, perByteMs: 1 }, unmap: { interceptMs: 1, perByteMs: 1 }, syncMs: 9 };
    const fit = fitSharing([row("transform_in", 1, 0.011), row("transform_out", 10, 0.02), row("map_in", 4, 0.03), row("sync", 4, 0.1), row("sync", 4, 0.3), row("sync", 4, 0.2)], base);
    expect(fit.sharing.syncMs).toBeCloseTo(0.2);
    expect(fit.sharing.unmap).toEqual({ interceptMs: 0, perByteMs: 0 });
    expect(fit.sharing.transform.perByteMs).toBeGreaterThan(0);
    expect(fit.parts.map((p) => p.part)).toEqual(["transform", "map", "sync"]);
  });
});

describe("progress and statistics", () => {
  it("draws a bar with an ETA, and plain periodic lines when not a terminal", () => {
    expect(progressBar("p", 5, 10, 20, 10)).toBe("p [#####-----] 5/10  50%  elapsed 20s  ETA 20s");
    const out: string[] = [];
    let t = 0;
    const p = createProgress("p", 3, { tty: false, write: (s) => out.push(s), now: () => t, everySeconds: 10 });
    p(0);
    t = 1;
    p(1);
    t = 12;
    p(2);
    p(3);
    expect(out.length).toBe(3);
    expect(out[2]).toContain("3/3");
  });
  it("median and stdev", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(stdev([1, 1, 1])).toBe(0);
    expect(() => parseTrace({ format: "x" }, "f")).toThrow(/not a codl trace/);
  });
});

describe("codl profile without --run prints the steps with the passes", () => {
  it("3 passes by default, 1 with --quick, as given with --passes; --modes filters the cases", async () => {
    const { buildFixture } = await import("../../fixtures/index.js");
    const { runProfile } = await import("../../src/cli/profile.js");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-steps-"));
    const model = path.join(dir, "vgg16.onnx");
    fs.writeFileSync(model, buildFixture("vgg16", "tiny").bytes);
    const io = { tty: false, writeErr: () => {}, env: {} };
    const base = { models: model, device: "host-pocl", maxOps: "1", ratios: "0.5", inputShape: [] };
    const full = await runProfile({ ...base, out: path.join(dir, "a") }, io);
    expect(full.stdout).toContain("run.sh --threads 1 --rounds 7 --min-ms 5 --max-rounds 50 --warmup 2 --passes 3\n");
    const quick = await runProfile({ ...base, quick: true, out: path.join(dir, "b") }, io);
    expect(quick.stdout).toContain("run.sh --threads 1 --rounds 3 --min-ms 5 --max-rounds 50 --warmup 1\n");
    const longer = await runProfile({ ...base, quick: true, minMs: "20", maxRounds: "80", out: path.join(dir, "g") }, io);
    expect(longer.stdout).toContain("--rounds 3 --min-ms 20 --max-rounds 80 --warmup 1");
    // Without --max-rounds, more --rounds than the default cap of 50 raise the cap.
    const many = await runProfile({ ...base, quick: true, rounds: "60", out: path.join(dir, "i") }, io);
    expect(many.stdout).toContain("--rounds 60 --min-ms 5 --max-rounds 60 --warmup 1");
    expect(quick.stdout).not.toContain("--passes");
    const two = await runProfile({ ...base, passes: "2", out: path.join(dir, "c") }, io);
    expect(two.stdout).toContain("--warmup 2 --passes 2");
    expect(fs.readFileSync(path.join(dir, "a", "run.sh"), "utf8")).toContain("--passes P");
    // --modes keeps only those kinds of case; a mode it does not know is CODL-E070 and writes nothing.
    await runProfile({ ...base, modes: "gpu", out: path.join(dir, "d") }, io);
    const modes = JSON.parse(fs.readFileSync(path.join(dir, "d", "cases.json"), "utf8")).cases.map((c: { mode: string }) => c.mode);
    expect(modes.length).toBeGreaterThan(0);
    expect(new Set(modes)).toEqual(new Set(["gpu"]));
    await expect(runProfile({ ...base, modes: "gpu,fpga", out: path.join(dir, "e") }, io)).rejects.toMatchObject({ code: "CODL-E070" });
    expect(fs.existsSync(path.join(dir, "e"))).toBe(false);
    // --estimate takes min-pass or pooled; anything else is CODL-E050 before anything is written.
    await expect(runProfile({ ...base, estimate: "mean", out: path.join(dir, "f") }, io)).rejects.toMatchObject({ code: "CODL-E050" });
    expect(fs.existsSync(path.join(dir, "f"))).toBe(false);
    // --max-rounds below --rounds would stop before the rounds asked for: CODL-E050, nothing written.
    await expect(runProfile({ ...base, rounds: "9", maxRounds: "8", out: path.join(dir, "h") }, io)).rejects.toMatchObject({ code: "CODL-E050" });
    expect(fs.existsSync(path.join(dir, "h"))).toBe(false);
    // The error names the option as it is typed.
    await expect(runProfile({ ...base, minMs: "-1", out: path.join(dir, "j") }, io)).rejects.toThrow(/--min-ms/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
