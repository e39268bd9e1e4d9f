/**
 * The seeded 70/30 split by unique operator configuration shared by
 * `codl train` and the real-data bench: every row of a configuration lands
 * on the same side, so a layer shape that recurs across models is never
 * seen in training and then tested.
 */

/** mulberry32: a small, fast, seedable PRNG (same sequence on every platform). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const rnd = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface Split<T> {
  readonly train: T[];
  readonly test: T[];
}

/** Puts round(holdout · configurations) unique keys, chosen by `seed`, in the test part. */
export function splitByKey<T>(rows: readonly T[], keyOf: (row: T) => string, holdout: number, seed: number): Split<T> {
  const keys = [...new Set(rows.map(keyOf))].sort();
  const testKeys = new Set(shuffled(keys, seed).slice(0, Math.round(keys.length * holdout)));
  const train: T[] = [];
  const test: T[] = [];
  for (const r of rows) (testKeys.has(keyOf(r)) ? test : train).push(r);
  return { train, test };
}

/** Assigns each unique key to one of `folds` folds (for cross-validation inside the training part). */
export function foldsByKey<T>(rows: readonly T[], keyOf: (row: T) => string, folds: number, seed: number): number[] {
  const keys = shuffled([...new Set(rows.map(keyOf))].sort(), seed);
  const fold = new Map<string, number>();
  keys.forEach((k, i) => {
    fold.set(k, i % folds);
  });
  return rows.map((r) => fold.get(keyOf(r)) ?? 0);
}
