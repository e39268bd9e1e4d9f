/**
 * One kernel implementation's latency model: a z-scored linear model over
 * block-count features (features.ts), fitted by closed-form relative least
 * squares (least-squares.ts), and the cross-validated choice between a few
 * candidate feature sets made inside the training part only.
 *
 *   T = intercept + Σ coefficientᵢ · (featureᵢ(work) − meanᵢ) / stdᵢ      (ms)
 *
 * A roofline candidate has two such terms and predicts the larger
 * (`maxWith`): a throughput term and a latency term. They are fitted by
 * alternating: each row goes to the term that predicts it higher, each term is
 * refitted on its own rows, until no row changes side.
 */

import type { KernelModel, LinearTerm } from "../device/profile-schema.js";
import { assertInternal } from "../diag/errors.js";
import { type FeatureFn, featureFn, type Work } from "./features.js";
import { DEFAULT_LEAST_SQUARES, fitRelative, type LeastSquaresOptions } from "./least-squares.js";
import { accuracy } from "./metrics.js";

/** A linear term ready to evaluate: features resolved, z-scoring folded into the weights. */
export interface CompiledTerm {
  readonly fns: readonly FeatureFn[];
  readonly weights: Float64Array;
  readonly bias: number;
}

/** A model ready to evaluate: its term and, for a roofline model, the second term it is the larger of. */
export interface CompiledModel extends CompiledTerm {
  readonly maxWith?: CompiledTerm;
}

const compiled = new WeakMap<KernelModel, CompiledModel>();

function compileTerm(t: LinearTerm, kernel: string): CompiledTerm {
  const fns = t.features.map((name) => {
    const fn = featureFn(name);
    assertInternal(fn !== undefined, `unknown feature '${name}' in model ${kernel}`);
    return fn;
  });
  const weights = new Float64Array(fns.length);
  let bias = t.intercept;
  for (let i = 0; i < fns.length; i++) {
    const w = t.coefficients[i]! / t.stds[i]!;
    weights[i] = w;
    bias -= w * t.means[i]!;
  }
  return { fns, weights, bias };
}

export function compileModel(m: KernelModel): CompiledModel {
  const hit = compiled.get(m);
  if (hit !== undefined) return hit;
  const c = { ...compileTerm(m, m.kernel), ...(m.maxWith === undefined ? {} : { maxWith: compileTerm(m.maxWith, m.kernel) }) };
  compiled.set(m, c);
  return c;
}

function evaluateTerm(c: CompiledTerm, w: Work): number {
  let t = c.bias;
  for (let i = 0; i < c.fns.length; i++) t += c.weights[i]! * c.fns[i]!(w);
  return t;
}

/** A launch is never free: without a measured floor, no prediction goes below a microsecond. */
export const DEFAULT_FLOOR_MS = 1e-3;

/** Predicted milliseconds, never below the model's launch floor. */
export function evaluateModel(m: KernelModel, w: Work): number {
  const c = compileModel(m);
  const t = c.maxWith === undefined ? evaluateTerm(c, w) : Math.max(evaluateTerm(c, w), evaluateTerm(c.maxWith, w));
  return Math.max(t, m.floorMs ?? DEFAULT_FLOOR_MS);
}

export interface FitOptions extends LeastSquaresOptions {
  readonly kernel: string;
  readonly processor: "cpu" | "gpu";
  readonly source?: string;
  /** The processor's launch floor (train.ts launchFloors); predictions never go below it. */
  readonly floorMs?: number;
}

function fitTerm(features: readonly string[], work: readonly Work[], latencyMs: readonly number[], options: LeastSquaresOptions): LinearTerm {
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
  return { features: [...features], means, stds, coefficients: beta.slice(1), intercept: beta[0] ?? 0 };
}

/** Rounds of the alternating roofline fit; it stops earlier once no row changes term. */
const ROOFLINE_ROUNDS = 20;

/**
 * Fits two terms whose larger is the prediction: both on every row first,
 * then each on the rows it predicts higher, until the assignment is stable.
 * A term left with fewer rows than coefficients keeps its previous fit.
 */
function fitRoofline(
  features: readonly string[],
  maxWith: readonly string[],
  work: readonly Work[],
  latencyMs: readonly number[],
  options: LeastSquaresOptions,
): { first: LinearTerm; second: LinearTerm } {
  let first = fitTerm(features, work, latencyMs, options);
  let second = fitTerm(maxWith, work, latencyMs, options);
  const side = (a: LinearTerm, b: LinearTerm): boolean[] => {
    const ca = compileTerm(a, "roofline");
    const cb = compileTerm(b, "roofline");
    return work.map((w) => evaluateTerm(ca, w) >= evaluateTerm(cb, w));
  };
  let inFirst = side(first, second);
  for (let round = 0; round < ROOFLINE_ROUNDS; round++) {
    const rows = (want: boolean): number[] => inFirst.flatMap((v, i) => (v === want ? [i] : []));
    const a = rows(true);
    const b = rows(false);
    if (a.length > features.length + 1) first = fitTerm(features, a.map((i) => work[i]!), a.map((i) => latencyMs[i]!), options);
    if (b.length > maxWith.length + 1) second = fitTerm(maxWith, b.map((i) => work[i]!), b.map((i) => latencyMs[i]!), options);
    const next = side(first, second);
    if (next.every((v, i) => v === inFirst[i])) break;
    inFirst = next;
  }
  return { first, second };
}

/** Fits one candidate: a linear model over `features`, or, with `maxWith`, the larger of two linear terms. */
export function fitKernelModel(
  features: readonly string[],
  work: readonly Work[],
  latencyMs: readonly number[],
  options: FitOptions,
  maxWith?: readonly string[],
): KernelModel {
  const ls = { ridge: options.ridge, reweightRounds: options.reweightRounds };
  const terms = maxWith === undefined ? { first: fitTerm(features, work, latencyMs, ls) } : fitRoofline(features, maxWith, work, latencyMs, ls);
  return {
    kernel: options.kernel,
    processor: options.processor,
    ...terms.first,
    ...("second" in terms ? { maxWith: terms.second } : {}),
    nSamples: work.length,
    heldOutAcc10: null,
    ...(options.floorMs === undefined ? {} : { floorMs: options.floorMs }),
    ...(options.source === undefined ? {} : { source: options.source }),
  };
}

export interface Candidate {
  readonly name: string;
  readonly features: readonly string[];
  /** A roofline candidate's second term (see the header). */
  readonly maxWith?: readonly string[];
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
        const m = fitKernelModel(cand.features, trW, trY, options, cand.maxWith);
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
  return { model: fitKernelModel(best.features, work, latencyMs, options, best.maxWith), candidate: best.name, cv };
}

export const DEFAULT_FIT: LeastSquaresOptions = DEFAULT_LEAST_SQUARES;

/** Bytes of a model's numbers stored as float32 (the size the issue asks to report). */
export function coefficientBytes(m: KernelModel): number {
  const term = (t: LinearTerm): number => 4 * (t.coefficients.length * 3 + 1);
  return term(m) + (m.maxWith === undefined ? 0 : term(m.maxWith));
}
