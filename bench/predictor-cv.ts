/**
 * Model-form exploration without touching the test part: 5-fold
 * cross-validation by configuration inside the 70% training part, per kernel
 * family, with the candidates' scores.
 *
 *   node dist/bench/predictor-cv.js --data <csv> --device <prefix> [--kernel <substring>] [--top 3] [--fold-seed 1]
 */

import * as fs from "node:fs";
import { candidatesFor } from "../src/predict/feature-sets.js";
import { selectAndFit } from "../src/predict/kernel-model.js";
import { foldsByKey, splitByKey } from "../src/predict/split.js";
import { DEFAULT_TRAIN } from "../src/predict/train.js";
import { KNOWN_GPUS, type PublicSample, readPublicRows, toSamples } from "./predictor-data.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const data = arg("data", "../shared/datasets/mobile-gpu-ops/tflite_cnn_ops_gpu.csv");
const device = arg("device", "pixel4");
const only = arg("kernel", "");
const top = Number(arg("top", "3"));
const foldSeed = Number(arg("fold-seed", "1"));
const gpu = KNOWN_GPUS[device];
if (gpu === undefined) throw new Error(`no GPU known for '${device}'`);
const samples = toSamples(readPublicRows(fs.readFileSync(data, "utf8"), data, device), gpu);
const { train } = splitByKey(samples, (s) => s.key, DEFAULT_TRAIN.holdout, DEFAULT_TRAIN.seed);
let convHit = 0;
let convN = 0;
for (const kernel of [...new Set(train.map((s) => s.kernel))].sort()) {
  if (!kernel.includes(only)) continue;
  const tr = train.filter((s) => s.kernel === kernel);
  const folds = foldsByKey(tr, (s) => s.key, Math.min(DEFAULT_TRAIN.folds, new Set(tr.map((s) => s.key)).size), DEFAULT_TRAIN.seed + foldSeed);
  const fit = { kernel, processor: "gpu" as const, ridge: DEFAULT_TRAIN.ridge, reweightRounds: DEFAULT_TRAIN.reweightRounds };
  const sel = selectAndFit(
    candidatesFor("gpu", tr.length, kernel),
    tr.map((s) => s.work),
    tr.map((s) => s.latencyMs),
    folds,
    fit,
  );
  const best = sel.cv.find((c) => c.name === sel.candidate)?.acc10 ?? 0;
  const nConv = tr.filter((s) => (s as PublicSample).row.operation === "CONV_2D").length;
  convHit += best * nConv;
  convN += nConv;
  const ranked = [...sel.cv].sort((a, b) => b.acc10 - a.acc10).slice(0, top);
  console.log(`${kernel.padEnd(28)} n=${String(tr.length).padStart(5)}  cv ±10% ${(100 * best).toFixed(1)}  [${ranked.map((c) => `${c.name} ${(100 * c.acc10).toFixed(1)}`).join(", ")}]`);
}
console.log(`CONV_2D training rows, cross-validated: ${((100 * convHit) / Math.max(1, convN)).toFixed(1)}% of ${convN}`);
