/** Accuracy metrics of latency predictions: ±10% and ±20% hit rates, median |error|. */

export interface Accuracy {
  readonly n: number;
  readonly acc10: number;
  readonly acc20: number;
  readonly medianAbsErrPct: number;
}

export function accuracy(pred: readonly number[], truth: readonly number[]): Accuracy {
  const n = truth.length;
  if (n === 0) return { n: 0, acc10: Number.NaN, acc20: Number.NaN, medianAbsErrPct: Number.NaN };
  let a10 = 0;
  let a20 = 0;
  const errs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const e = Math.abs(pred[i]! - t) / t;
    if (e <= 0.1) a10++;
    if (e <= 0.2) a20++;
    errs.push(e);
  }
  errs.sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? errs[mid]! : (errs[mid - 1]! + errs[mid]!) / 2;
  return { n, acc10: a10 / n, acc20: a20 / n, medianAbsErrPct: median * 100 };
}

/**
 * The measurement-consistency ceiling: among configurations measured more
 * than once, the share of rows within 10% of the median of their siblings.
 */
export function consistencyCeiling(groups: Iterable<readonly number[]>): { rows: number; ceiling: number } {
  let rows = 0;
  let ok = 0;
  for (const g of groups) {
    if (g.length < 2) continue;
    for (let i = 0; i < g.length; i++) {
      const siblings = g.filter((_, j) => j !== i).sort((a, b) => a - b);
      const mid = Math.floor(siblings.length / 2);
      const median = siblings.length % 2 === 1 ? siblings[mid]! : (siblings[mid - 1]! + siblings[mid]!) / 2;
      rows++;
      if (Math.abs(g[i]! - median) / median <= 0.1) ok++;
    }
  }
  return { rows, ceiling: rows === 0 ? Number.NaN : ok / rows };
}
