/**
 * Real-data check of the latency predictor on public phone measurements.
 *
 *   npm run bench:predictor -- --data <csv> --device <prefix> [--seed 66] [--holdout 0.3] [--profile <id|path>]
 *
 * Splits 70/30 by unique operator configuration (seeded), fits one model per
 * TFLite kernel family on the 70% (feature set picked by 5-fold
 * cross-validation inside it), and reports ±10% accuracy on the 30% beside
 * the FLOPs-linear baseline fitted on the same rows. The last line is:
 *   conv2d ±10% accuracy: X% (FLOPs-linear: Y%)
 */

import * as fs from "node:fs";
import { loadProfile } from "../src/device/load-profile.js";
import type { GpuSpec } from "../src/kernels/gpu-blocking.js";
import { coefficientBytes } from "../src/predict/kernel-model.js";
import { accuracy, consistencyCeiling } from "../src/predict/metrics.js";
import { DEFAULT_TRAIN, trainKernelModels } from "../src/predict/train.js";
import { KNOWN_GPUS, type PublicSample, readPublicRows, toSamples } from "./predictor-data.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const pct = (x: number): string => (Number.isNaN(x) ? "   -" : `${(100 * x).toFixed(1)}`.padStart(5));

function main(): void {
  const data = arg("data") ?? "../shared/datasets/mobile-gpu-ops/tflite_cnn_ops_gpu.csv";
  const device = arg("device") ?? "pixel4";
  const seed = Number(arg("seed") ?? DEFAULT_TRAIN.seed);
  const holdout = Number(arg("holdout") ?? DEFAULT_TRAIN.holdout);
  const profileRef = arg("profile");
  let gpu: GpuSpec | undefined = KNOWN_GPUS[device];
  if (profileRef !== undefined) gpu = loadProfile(profileRef).gpu;
  if (gpu === undefined) {
    gpu = loadProfile("sd855").gpu;
    console.log(`note: no GPU known for '${device}'; using sd855's GPU parameters (pass --profile to choose)`);
  }

  const rows = readPublicRows(fs.readFileSync(data, "utf8"), data, device);
  const samples = toSamples(rows, gpu);
  console.log(`predictor bench: ${data}, device ${device}, ${samples.length} rows, seed ${seed}, holdout ${holdout}`);

  const byKey = new Map<string, number[]>();
  const convByKey = new Map<string, number[]>();
  for (const s of samples) {
    byKey.set(s.key, [...(byKey.get(s.key) ?? []), s.latencyMs]);
    if (s.row.operation === "CONV_2D") convByKey.set(s.key, [...(convByKey.get(s.key) ?? []), s.latencyMs]);
  }
  const ceil = consistencyCeiling(byKey.values());
  const convCeil = consistencyCeiling(convByKey.values());
  console.log(`measurement ceiling: ${pct(ceil.ceiling)}% of ${ceil.rows} repeated rows agree within 10% of their siblings' median (CONV_2D: ${pct(convCeil.ceiling)}%)`);

  const started = performance.now();
  const results = trainKernelModels(samples, { ...DEFAULT_TRAIN, seed, holdout, path: data });
  const fitMs = performance.now() - started;

  console.log("");
  console.log("kernel model                  n_train n_test  ±10%  ±20%  med|e|%  FLOPs-linear ±10%  features (CV-chosen)");
  let bytes = 0;
  for (const r of results) {
    bytes += coefficientBytes(r.model);
    console.log(
      `${r.kernel.padEnd(29)} ${String(r.nTrain).padStart(7)} ${String(r.test.n).padStart(6)} ${pct(r.test.acc10)} ${pct(r.test.acc20)} ${r.test.medianAbsErrPct.toFixed(1).padStart(8)}  ${pct(r.flopsTest.acc10).padStart(17)}  ${r.candidate} (${r.model.features.length})`,
    );
  }

  // Per operation and algorithm, over the held-out rows of every kernel model.
  const held: { s: PublicSample; pred: number; flops: number }[] = [];
  for (const r of results) {
    r.testSamples.forEach((s, i) => {
      held.push({ s: s as PublicSample, pred: r.testPred[i]!, flops: r.testFlopsPred[i]! });
    });
  }
  const groups = new Map<string, typeof held>();
  for (const h of held) {
    const op = h.s.row.operation;
    const family = op === "MAX_POOL_2D" || op === "AVERAGE_POOL_2D" ? "pooling" : op;
    for (const g of [`${family} / ${h.s.row.algorithm}`, `${family} (all)`]) groups.set(g, [...(groups.get(g) ?? []), h]);
  }
  console.log("");
  console.log("operation / algorithm                              n_test  ±10%  ±20%  FLOPs-linear ±10%");
  for (const name of [...groups.keys()].sort()) {
    const g = groups.get(name)!;
    const truth = g.map((h) => h.s.latencyMs);
    const a = accuracy(
      g.map((h) => h.pred),
      truth,
    );
    const f = accuracy(
      g.map((h) => h.flops),
      truth,
    );
    console.log(`${name.padEnd(50)} ${String(a.n).padStart(6)} ${pct(a.acc10)} ${pct(a.acc20)}  ${pct(f.acc10).padStart(17)}`);
  }
  const all = accuracy(
    held.map((h) => h.pred),
    held.map((h) => h.s.latencyMs),
  );
  const allF = accuracy(
    held.map((h) => h.flops),
    held.map((h) => h.s.latencyMs),
  );
  console.log(`${"overall".padEnd(50)} ${String(all.n).padStart(6)} ${pct(all.acc10)} ${pct(all.acc20)}  ${pct(allF.acc10).padStart(17)}`);
  console.log("");
  console.log(`fitted coefficients: ${bytes} bytes as float32 (${results.length} models; coefficients, means, stds, intercepts); fit time ${fitMs.toFixed(0)} ms`);
  const conv = groups.get("CONV_2D (all)") ?? [];
  const truth = conv.map((h) => h.s.latencyMs);
  const x = accuracy(
    conv.map((h) => h.pred),
    truth,
  ).acc10;
  const y = accuracy(
    conv.map((h) => h.flops),
    truth,
  ).acc10;
  console.log(`conv2d ±10% accuracy: ${(100 * x).toFixed(1)}% (FLOPs-linear: ${(100 * y).toFixed(1)}%)`);
}

main();
