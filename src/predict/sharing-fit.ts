/**
 * The sharing models of a profile (transform, map, unmap, sync; DESIGN.md §3)
 * fitted from samples rows whose op is transform_in/transform_out, map_in/
 * map_out or sync (`codl profile` writes them from split runs):
 *
 *   transform(bytes) = a + b·bytes     over transform_in and transform_out rows
 *   map(bytes)       = a + b·bytes     over map_in rows (map_out: unmap, when present)
 *   sync             = median of the sync rows (unmap folded in when no map_out rows)
 *
 * bytes = n·ih·iw·ic·4, the slab the row describes. Fitted by least squares on
 * relative error with both terms kept non-negative.
 */

import type { LinearBytes, Sharing } from "../device/profile-schema.js";
import type { OpConfig } from "../kernels/op-config.js";
import { accuracy } from "./metrics.js";
import { median } from "../profile/trace.js";

export const SHARING_OPS = ["transform_in", "transform_out", "map_in", "map_out", "sync"] as const;

export interface SharingRow {
  readonly config: OpConfig;
  readonly latencyMs: number;
}

export const slabBytes = (c: OpConfig): number => c.n * c.ih * c.iw * c.ic * 4;

/** Non-negative a + b·x minimising Σ((a + b·x − y)/y)². */
export function fitLinearBytes(xs: readonly number[], ys: readonly number[]): LinearBytes {
  if (xs.length === 0) return { interceptMs: 0, perByteMs: 0 };
  let s00 = 0;
  let s01 = 0;
  let s11 = 0;
  let t0 = 0;
  let t1 = 0;
  for (let i = 0; i < xs.length; i++) {
    const w = 1 / ys[i]! ** 2;
    const x = xs[i]!;
    s00 += w;
    s01 += w * x;
    s11 += w * x * x;
    t0 += w * ys[i]!;
    t1 += w * x * ys[i]!;
  }
  const det = s00 * s11 - s01 * s01;
  let a = det > 0 ? (t0 * s11 - t1 * s01) / det : t0 / s00;
  let b = det > 0 ? (s00 * t1 - s01 * t0) / det : 0;
  if (b < 0) {
    b = 0;
    a = t0 / s00;
  }
  if (a < 0) {
    a = 0;
    b = s11 > 0 ? t1 / s11 : 0;
  }
  return { interceptMs: a, perByteMs: Math.max(0, b) };
}

export interface SharingFit {
  readonly sharing: Sharing;
  /** ±10% accuracy of each part on its own rows (in-sample: a 2-parameter model). */
  readonly parts: ReadonlyArray<{ readonly part: string; readonly n: number; readonly acc10: number; readonly medianAbsErrPct: number }>;
}

/** Fits the parts that have rows; the others keep `base`'s values. */
export function fitSharing(rows: readonly SharingRow[], base: Sharing): SharingFit {
  const of = (...ops: string[]) => rows.filter((r) => ops.includes(r.config.op));
  const parts: { part: string; n: number; acc10: number; medianAbsErrPct: number }[] = [];
  const linear = (part: string, rs: readonly SharingRow[], fallback: LinearBytes): LinearBytes => {
    if (rs.length === 0) return fallback;
    const xs = rs.map((r) => slabBytes(r.config));
    const ys = rs.map((r) => r.latencyMs);
    const m = fitLinearBytes(xs, ys);
    const acc = accuracy(
      xs.map((x) => m.interceptMs + m.perByteMs * x),
      ys,
    );
    parts.push({ part, n: rs.length, acc10: acc.acc10, medianAbsErrPct: acc.medianAbsErrPct });
    return m;
  };
  const transform = linear("transform", of("transform_in", "transform_out"), base.transform);
  const map = linear("map", of("map_in"), base.map);
  const unmapRows = of("map_out");
  const syncRows = of("sync");
  const unmap = unmapRows.length > 0 ? linear("unmap", unmapRows, base.unmap) : syncRows.length > 0 ? { interceptMs: 0, perByteMs: 0 } : base.unmap;
  let syncMs = base.syncMs;
  if (syncRows.length > 0) {
    syncMs = median(syncRows.map((r) => r.latencyMs));
    const acc = accuracy(
      syncRows.map(() => syncMs),
      syncRows.map((r) => r.latencyMs),
    );
    parts.push({ part: "sync", n: syncRows.length, acc10: acc.acc10, medianAbsErrPct: acc.medianAbsErrPct });
  }
  return { sharing: { ...base, transform, map, unmap, syncMs }, parts };
}
