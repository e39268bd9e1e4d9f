/**
 * Training: split by configuration, fit one model per kernel implementation
 * (feature set chosen by cross-validation inside the training part), fit the
 * FLOPs-linear baseline on the same split, and score both on the held-out
 * part. Shared by `codl train` and the real-data bench.
 *
 * Each processor has a launch floor, the fixed cost of any launch: its fastest
 * row in training. Every model of that processor (and its
 * baseline) predicts at least that. Rows whose spread over the measured
 * rounds exceeds QUIET_REL_STDEV of their median are kept in training and in
 * the score; the score is also reported over the quiet rows alone.
 */

import type { KernelModel } from "../device/profile-schema.js";
import { CompilerError } from "../diag/errors.js";
import { candidatesFor, FLOPS_LINEAR } from "./feature-sets.js";
import type { Work } from "./features.js";
import { evaluateModel, fitKernelModel, selectAndFit } from "./kernel-model.js";
import { type Accuracy, accuracy } from "./metrics.js";
import { foldsByKey, splitByKey } from "./split.js";

export interface TrainSample {
  /** Unique operator configuration (the unit of the split). */
  readonly key: string;
  readonly kernel: string;
  readonly processor: "cpu" | "gpu";
  readonly work: Work;
  readonly latencyMs: number;
  /** Spread over the measured rounds, when the samples say. */
  readonly stdevMs?: number;
}

/** A row whose rounds spread less than this share of their median measures the kernel, not noise. */
export const QUIET_REL_STDEV = 0.05;

export function isQuiet(s: TrainSample): boolean {
  return s.stdevMs !== undefined && s.stdevMs <= QUIET_REL_STDEV * s.latencyMs;
}

export interface TrainOptions {
  readonly holdout: number;
  readonly seed: number;
  readonly ridge: number;
  readonly reweightRounds: number;
  readonly folds: number;
  /** Names the input in errors. */
  readonly path: string;
  readonly source?: string;
  /** The profile's GPU vendor: "pocl" picks the CPU-backed OpenCL feature sets (feature-sets.ts). */
  readonly gpuVendor?: string;
  /**
   * Kernels left with fewer than 2 training rows after the holdout: skipped
   * (the caller keeps the base profile's model and says so) instead of
   * CODL-E063. For traces, whose few operators per kernel the split can take whole.
   */
  readonly onSparse?: (kernel: string) => void;
}

export const DEFAULT_TRAIN: Omit<TrainOptions, "path"> = { holdout: 0.3, seed: 66, ridge: 1e-6, reweightRounds: 5, folds: 5 };

export interface KernelResult {
  readonly kernel: string;
  readonly model: KernelModel;
  readonly flopsModel: KernelModel;
  readonly candidate: string;
  readonly nTrain: number;
  readonly test: Accuracy;
  readonly flopsTest: Accuracy;
  /** The same scores over the quiet held-out rows only (isQuiet). */
  readonly quietTest: Accuracy;
  readonly quietFlopsTest: Accuracy;
  /** Held-out predictions, aligned with `testSamples`. */
  readonly testSamples: readonly TrainSample[];
  readonly testPred: readonly number[];
  readonly testFlopsPred: readonly number[];
}

/** Per processor: its fastest training row (no launch costs less). */
export function launchFloors(train: readonly TrainSample[]): Map<"cpu" | "gpu", number> {
  const floors = new Map<"cpu" | "gpu", number>();
  for (const p of ["cpu", "gpu"] as const) {
    const ys = train.filter((s) => s.processor === p).map((s) => s.latencyMs);
    if (ys.length === 0) continue;
    ys.sort((a, b) => a - b);
    floors.set(p, ys[0]!);
  }
  return floors;
}

export function trainKernelModels(samples: readonly TrainSample[], options: TrainOptions): KernelResult[] {
  const { train, test } = options.holdout > 0 ? splitByKey(samples, (s) => s.key, options.holdout, options.seed) : { train: [...samples], test: [] };
  const floors = launchFloors(train);
  const kernels = [...new Set(samples.map((s) => s.kernel))].sort();
  const results: KernelResult[] = [];
  for (const kernel of kernels) {
    const tr = train.filter((s) => s.kernel === kernel);
    const te = test.filter((s) => s.kernel === kernel);
    if (tr.length < 2 && options.onSparse !== undefined) {
      options.onSparse(kernel);
      continue;
    }
    if (tr.length < 2) {
      throw new CompilerError("CODL-E063", { path: options.path, kernel, cause: `${tr.length} training rows after the holdout; at least 2 are needed` });
    }
    const processor = tr[0]!.processor;
    const fit = {
      kernel,
      processor,
      ridge: options.ridge,
      reweightRounds: options.reweightRounds,
      floorMs: floors.get(processor),
      ...(options.source === undefined ? {} : { source: options.source }),
    };
    const folds = foldsByKey(tr, (s) => s.key, Math.min(options.folds, new Set(tr.map((s) => s.key)).size), options.seed + 1);
    const work = tr.map((s) => s.work);
    const y = tr.map((s) => s.latencyMs);
    const sel = selectAndFit(candidatesFor(processor, tr.length, kernel, options.gpuVendor), work, y, folds, fit);
    const flopsModel = fitKernelModel(FLOPS_LINEAR.features, work, y, { ...fit, kernel: `${kernel}#flops-linear` });
    const testPred = te.map((s) => evaluateModel(sel.model, s.work));
    const testFlopsPred = te.map((s) => evaluateModel(flopsModel, s.work));
    const truth = te.map((s) => s.latencyMs);
    const testAcc = accuracy(testPred, truth);
    const model: KernelModel = { ...sel.model, heldOutAcc10: te.length === 0 ? null : testAcc.acc10 };
    const quiet = te.flatMap((s, i) => (isQuiet(s) ? [i] : []));
    results.push({
      kernel,
      model,
      flopsModel,
      candidate: sel.candidate,
      nTrain: tr.length,
      test: testAcc,
      flopsTest: accuracy(testFlopsPred, truth),
      quietTest: accuracy(
        quiet.map((i) => testPred[i]!),
        quiet.map((i) => truth[i]!),
      ),
      quietFlopsTest: accuracy(
        quiet.map((i) => testFlopsPred[i]!),
        quiet.map((i) => truth[i]!),
      ),
      testSamples: te,
      testPred,
      testFlopsPred,
    });
  }
  return results;
}
