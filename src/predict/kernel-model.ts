/**
 * One kernel implementation's latency model: a z-scored linear model over
 * block-count features (features.ts), fitted by closed-form relative least
 * squares (least-squares.ts), and the cross-validated choice between a few
 * candidate feature sets made inside the training part only.
 *
 *   T = intercept + Σ coefficientᵢ · (featureᵢ(work) − meanᵢ) / stdᵢ      (ms)
 */

import type { KernelModel } from "../device/profile-schema.js";
import { assertInternal } from "../diag/errors.js";
import { type FeatureFn, featureFn, type Work } from "./features.js";
import { DEFAULT_LEAST_SQUARES, fitRelative, type LeastSquaresOptions } from "./least-squares.js";
import { accuracy } from "./metrics.js";

/** A model ready to evaluate: features resolved, z-scoring folded into the weights. */
export interface CompiledModel {
  readonly fns: readonly FeatureFn[];
  readonly weights: Float64Array;
  readonly bias: number;
}

const compiled = new WeakMap<KernelModel, CompiledModel>();

export function compileModel(m: KernelModel): CompiledModel {
  const hit = compiled.get(m);
  if (hit !== undefined) return hit;
  const fns = m.features.map((name) => {
    const fn = featureFn(name);
    assertInternal(fn !== undefined, `unknown feature '${name}' in model ${m.kernel}`);
    return fn;
  });
  const weights = new Float64Array(fns.length);
  let bias = m.intercept;
  for (let i = 0; i < fns.length; i++) {
    const w = m.coefficients[i]! / m.stds[i]!;
    weights[i] = w;
    bias -= w * m.means[i]!;
  }
  const c = { fns, weights, bias };
  compiled.set(m, c);
  return c;
}

/** A launch is never free: without a measured floor, no prediction goes below a microsecond. */
export const DEFAULT_FLOOR_MS = 1e-3;

/** Predicted milliseconds, never below the model's launch floor. */
export function evaluateModel(m: KernelModel, w: Work): number {
  const c = compileModel(m);
  let t = c.bias;
  for (let i = 0; i < c.fns.length; i++) t += c.weights[i]! * c.fns[i]!(w);
  return Math.max(t, m.floorMs ?? DEFAULT_FLOOR_MS);
}

export interface FitOptions extends LeastSquaresOptions {
  readonly kernel: string;
  readonly processor: "cpu" | "gpu";
  readonly source?: string;
  /** The processor's launch floor (train.ts launchFloors); predictions never go below it. */
  readonly floorMs?: number;
}

export function fitKernelModel(features: readonly string[], work: readonly Work[], latencyMs: readonly number[], options: FitOptions): KernelModel {
  const fns = features.map((name) => {
    const fn = featureFn(name);
    assertInternal(fn !== undefined, `unknown feature '${name}'`);
    return fn;
  });
  const raw = work.map((w) => fns.map((f) => f(w)));
  const n = Math.max(1, raw.length);
  const means = fns.map((_, j) => raw.reduce((s, r) => s + r[j]!, 0) / n);
  const stds = fns.map((_, j) => {
    const v = raw.reduce((s, r) => s + (r[j]! - means[j]!) ** 2, 0) / n;
    const sd = Math.sqrt(v);
    return sd > 0 && Number.isFinite(sd) ? sd : 1;
  });
  const x = raw.map((r) => [1, ...r.map((v, j) => (v - means[j]!) / stds[j]!)]);
  const beta = fitRelative(x, latencyMs, { ridge: options.ridge, reweightRounds: options.reweightRounds });
  return {
    kernel: options.kernel,
    processor: options.processor,
    features: [...features],
    means,
    stds,
    coefficients: beta.slice(1),
    intercept: beta[0] ?? 0,
    nSamples: work.length,
    heldOutAcc10: null,
    ...(options.floorMs === undefined ? {} : { floorMs: options.floorMs }),
    ...(options.source === undefined ? {} : { source: options.source }),
  };
}

export interface Candidate {
  readonly name: string;
  readonly features: readonly string[];
}

export interface Selection {
  readonly model: KernelModel;
  readonly candidate: string;
  /** ±10% accuracy of each candidate under cross-validation inside the training part. */
  readonly cv: ReadonlyArray<{ readonly name: string; readonly acc10: number }>;
}

/**
 * Picks the candidate feature set with the best k-fold ±10% accuracy, folds
 * given per row (by configuration), then refits it on all rows.
 */
export function selectAndFit(
  candidates: readonly Candidate[],
  work: readonly Work[],
  latencyMs: readonly number[],
  folds: readonly number[],
  options: FitOptions,
): Selection {
  assertInternal(candidates.length > 0, "no candidate feature sets");
  const k = Math.max(...folds) + 1;
  const cv: { name: string; acc10: number }[] = [];
  let best = candidates[0]!;
  let bestAcc = -1;
  for (const cand of candidates) {
    let acc = 0;
    if (candidates.length > 1 && k > 1) {
      const pred: number[] = [];
      const truth: number[] = [];
      for (let f = 0; f < k; f++) {
        const trW: Work[] = [];
        const trY: number[] = [];
        for (let i = 0; i < work.length; i++) {
          if (folds[i] !== f) {
            trW.push(work[i]!);
            trY.push(latencyMs[i]!);
          }
        }
        if (trW.length === 0) continue;
        const m = fitKernelModel(cand.features, trW, trY, options);
        for (let i = 0; i < work.length; i++) {
          if (folds[i] === f) {
            pred.push(evaluateModel(m, work[i]!));
            truth.push(latencyMs[i]!);
          }
        }
      }
      acc = accuracy(pred, truth).acc10;
    }
    cv.push({ name: cand.name, acc10: acc });
    if (acc > bestAcc) {
      bestAcc = acc;
      best = cand;
    }
  }
  return { model: fitKernelModel(best.features, work, latencyMs, options), candidate: best.name, cv };
}

export const DEFAULT_FIT: LeastSquaresOptions = DEFAULT_LEAST_SQUARES;

/** Bytes of a model's numbers stored as float32 (the size the issue asks to report). */
export function coefficientBytes(m: KernelModel): number {
  return 4 * (m.coefficients.length * 3 + 1);
}
