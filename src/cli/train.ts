/**
 * `codl train samples.csv --base <profile> --out <profile.json> [--holdout 0.3] [--seed 66] [--ridge λ]`
 *
 * Fits one model per kernel implementation in the samples CSV (70/30 split by
 * configuration, feature set chosen by cross-validation on the 70%), prints
 * one row per model beside the FLOPs-linear baseline, and writes the base
 * profile with those models replaced (held-out accuracy included).
 */

import * as fs from "node:fs";
import { z } from "zod";
import { loadProfile, parseProfile } from "../device/load-profile.js";
import type { DeviceProfile, KernelModel } from "../device/profile-schema.js";
import { CompilerError } from "../diag/errors.js";
import { accuracy } from "../predict/metrics.js";
import { parseSamplesCsv } from "../predict/samples.js";
import { DEFAULT_TRAIN, type KernelResult, trainKernelModels } from "../predict/train.js";
import { workOf } from "../predict/work.js";
import { configKey } from "../kernels/op-config.js";
import type { CommandResult } from "./result.js";

export const trainOptionsSchema = z.object({
  base: z.string().min(1),
  out: z.string().min(1),
  holdout: z.coerce.number().min(0).max(0.9).default(DEFAULT_TRAIN.holdout),
  seed: z.coerce.number().int().default(DEFAULT_TRAIN.seed),
  ridge: z.coerce.number().min(0).default(DEFAULT_TRAIN.ridge),
});
export type TrainCliOptions = z.infer<typeof trainOptionsSchema>;

export interface TrainReport {
  readonly rows: ReadonlyArray<{ kernel: string; nTrain: number; nTest: number; acc10: number; acc20: number; medianAbsErrPct: number; flopsAcc10: number; features: string }>;
  readonly total: { nTrain: number; nTest: number; acc10: number; acc20: number; medianAbsErrPct: number; flopsAcc10: number };
  readonly profile: DeviceProfile;
}

export async function runTrain(samplesPath: string, rawOptions: unknown): Promise<CommandResult & { report: TrainReport }> {
  const parsed = trainOptionsSchema.safeParse(rawOptions);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CompilerError("CODL-E050", { option: `--${String(issue?.path[0] ?? "?")}`, cause: issue?.message ?? "invalid" });
  }
  const options = parsed.data;
  const base = loadProfile(options.base);
  let text: string;
  try {
    text = fs.readFileSync(samplesPath, "utf8");
  } catch (e) {
    throw new CompilerError("CODL-E001", { path: samplesPath, cause: (e as NodeJS.ErrnoException).code ?? String(e) }, { cause: e });
  }
  const samples = parseSamplesCsv(text, samplesPath).map((s) => ({
    key: configKey(s.config, s.kernel),
    kernel: s.kernel,
    processor: s.processor,
    work: workOf(s.kernel, s.config, base),
    latencyMs: s.latencyMs,
  }));
  const results = trainKernelModels(samples, { ...DEFAULT_TRAIN, holdout: options.holdout, seed: options.seed, ridge: options.ridge, path: samplesPath, source: `measured: trained by codl train on ${samplesPath}` });
  const trained = new Map<string, KernelModel>(results.map((r) => [r.kernel, r.model]));
  const kernelModels = [...base.kernelModels.filter((m) => !trained.has(m.kernel)), ...results.map((r) => r.model)];
  const profile = parseProfile({ ...base, kernelModels }, options.out);
  fs.writeFileSync(options.out, `${JSON.stringify(profile, null, 2)}\n`);
  const report = buildReport(results, profile);
  return { exitCode: 0, stdout: formatTrainReport(report, options.out), report };
}

function buildReport(results: readonly KernelResult[], profile: DeviceProfile): TrainReport {
  const rows = results.map((r) => ({
    kernel: r.kernel,
    nTrain: r.nTrain,
    nTest: r.test.n,
    acc10: r.test.acc10,
    acc20: r.test.acc20,
    medianAbsErrPct: r.test.medianAbsErrPct,
    flopsAcc10: r.flopsTest.acc10,
    features: r.candidate,
  }));
  const truth = results.flatMap((r) => r.testSamples.map((s) => s.latencyMs));
  const all = accuracy(
    results.flatMap((r) => r.testPred),
    truth,
  );
  const flops = accuracy(
    results.flatMap((r) => r.testFlopsPred),
    truth,
  );
  const total = {
    nTrain: results.reduce((s, r) => s + r.nTrain, 0),
    nTest: all.n,
    acc10: all.acc10,
    acc20: all.acc20,
    medianAbsErrPct: all.medianAbsErrPct,
    flopsAcc10: flops.acc10,
  };
  return { rows, total, profile };
}

const pct = (x: number): string => (Number.isNaN(x) ? "    -" : (100 * x).toFixed(1).padStart(5));

export function formatTrainReport(report: TrainReport, out: string): string {
  const lines = ["kernel                       n_train n_test  ±10%  ±20%  med|e|%  FLOPs-linear ±10%"];
  for (const r of [...report.rows, { kernel: "total", ...report.total, features: "" }]) {
    const med = Number.isNaN(r.medianAbsErrPct) ? "-" : r.medianAbsErrPct.toFixed(1);
    lines.push(`${r.kernel.padEnd(28)} ${String(r.nTrain).padStart(7)} ${String(r.nTest).padStart(6)} ${pct(r.acc10)} ${pct(r.acc20)} ${med.padStart(8)}  ${pct(r.flopsAcc10).padStart(17)}`);
  }
  lines.push(`wrote ${out}`);
  return `${lines.join("\n")}\n`;
}
