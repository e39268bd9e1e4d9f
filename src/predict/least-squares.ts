/**
 * Closed-form weighted least squares for latency models. Relative error is
 * what matters, so every row is weighted by 1/y (the residual becomes
 * (pred − y)/y). Optional ridge shrinks z-scored coefficients, and a few
 * iteratively-reweighted rounds turn the squared relative error into an
 * absolute one, which favours many rows within ±10% over a few outliers.
 * Every round is one normal-equation solve.
 */

export interface LeastSquaresOptions {
  /** Ridge strength, relative to each column's diagonal (0 = none). */
  readonly ridge: number;
  /** Reweighting rounds towards least absolute relative error (0 = plain weighted least squares). */
  readonly reweightRounds: number;
}

export const DEFAULT_LEAST_SQUARES: LeastSquaresOptions = { ridge: 1e-6, reweightRounds: 5 };

/** Solves A x = b in place by Gaussian elimination with partial pivoting. */
export function solveLinearSystem(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (pivot !== col) {
      [a[col], a[pivot]] = [a[pivot]!, a[col]!];
      [b[col], b[pivot]] = [b[pivot]!, b[col]!];
    }
    const rowC = a[col]!;
    const d = rowC[col]!;
    if (Math.abs(d) < 1e-300) continue;
    for (let r = col + 1; r < n; r++) {
      const row = a[r]!;
      const f = row[col]! / d;
      if (f === 0) continue;
      for (let k = col; k < n; k++) row[k]! -= f * rowC[k]!;
      b[r]! -= f * b[col]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const row = a[r]!;
    let s = b[r]!;
    for (let k = r + 1; k < n; k++) s -= row[k]! * x[k]!;
    const d = row[r]!;
    x[r] = Math.abs(d) < 1e-300 ? 0 : s / d;
  }
  return x;
}

/**
 * Fits y ≈ x·β (the first column of x is usually the constant 1, which is not
 * ridged) minimising Σ wᵢ ((xᵢ·β − yᵢ)/yᵢ)². Returns β.
 */
export function fitRelative(x: readonly (readonly number[])[], y: readonly number[], options: LeastSquaresOptions = DEFAULT_LEAST_SQUARES): number[] {
  const p = x[0]?.length ?? 0;
  const weights = new Array<number>(y.length).fill(1);
  let beta = solveWeighted(x, y, weights, p, options.ridge);
  for (let round = 0; round < options.reweightRounds; round++) {
    for (let i = 0; i < y.length; i++) {
      const rel = Math.abs(dot(x[i]!, beta) - y[i]!) / y[i]!;
      weights[i] = 1 / Math.max(rel, 0.02);
    }
    beta = solveWeighted(x, y, weights, p, options.ridge);
  }
  return beta;
}

function solveWeighted(x: readonly (readonly number[])[], y: readonly number[], w: readonly number[], p: number, ridge: number): number[] {
  const a: number[][] = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  for (let i = 0; i < y.length; i++) {
    const row = x[i]!;
    const yi = y[i]!;
    const wi = w[i]! / (yi * yi);
    for (let j = 0; j < p; j++) {
      const xj = row[j]! * wi;
      b[j]! += xj * yi;
      const aj = a[j]!;
      for (let k = j; k < p; k++) aj[k]! += xj * row[k]!;
    }
  }
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) a[j]![k] = a[k]![j]!;
  for (let j = 0; j < p; j++) {
    const diag = a[j]![j]!;
    a[j]![j] = diag + (j === 0 ? 0 : ridge * diag) + 1e-12 * (diag === 0 ? 1 : diag);
  }
  return solveLinearSystem(a, b);
}

export function dot(a: readonly number[], b: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Normal equations for a few columns; undefined when they are singular (a column never varies). */
function solveNormalEquations(x: readonly (readonly number[])[], y: readonly number[]): number[] | undefined {
  const p = x[0]?.length ?? 0;
  const a = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  x.forEach((row, i) => {
    for (let j = 0; j < p; j++) {
      for (let k = 0; k < p; k++) a[j]![k]! += row[j]! * row[k]!;
      b[j]! += row[j]! * y[i]!;
    }
  });
  const scale = Math.max(1e-300, ...a.map((r, j) => Math.abs(r[j]!)));
  const beta = solveLinearSystem(
    a.map((r) => [...r]),
    [...b],
  );
  // Singular: the eliminated matrix's determinant vanishes relative to its scale; check by residual of A·beta = b.
  const ok = beta.every(Number.isFinite) && a.every((r, j) => Math.abs(r.reduce((s, v, k) => s + v * beta[k]!, 0) - b[j]!) <= 1e-9 * scale * (1 + Math.abs(b[j]!)));
  return ok ? beta : undefined;
}

/**
 * Least squares with every coefficient ≥ 0, for a handful of columns (the runtime and copy
 * fits): the smallest weighted squared error over the column subsets whose unconstrained fit is
 * non-negative; a column left out gets 0. Undefined when no subset is feasible.
 */
export function fitNonNegative(x: readonly (readonly number[])[], y: readonly number[], w: readonly number[] = y.map(() => 1)): number[] | undefined {
  const p = x[0]?.length ?? 0;
  let best: { beta: number[]; sse: number } | undefined;
  for (let mask = 1; mask < 1 << p; mask++) {
    const cols = [...Array(p).keys()].filter((j) => (mask >> j) & 1);
    const beta = solveNormalEquations(
      x.map((row, i) => cols.map((j) => row[j]! * w[i]!)),
      y.map((v, i) => v * w[i]!),
    );
    if (beta === undefined || beta.some((b) => b < 0)) continue;
    const full = new Array<number>(p).fill(0);
    cols.forEach((j, k) => {
      full[j] = beta[k]!;
    });
    const sse = y.reduce((s, v, i) => s + ((v - dot(full, x[i] as number[])) * w[i]!) ** 2, 0);
    if (best === undefined || sse < best.sse - 1e-15) best = { beta: full, sse };
  }
  return best?.beta;
}
