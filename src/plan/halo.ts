/**
 * H-split chains: row ranges propagated backwards from the chain's last
 * operator, and the chain's cost. A single H-split operator is a chain of
 * length 1, so one piece of code prices both.
 *
 * The last operator's rows are split at g = round(ρ·H): the GPU owns [0, g),
 * the CPU [g, H). Walking backwards, each operator must produce every input
 * row its consumer's rows read (kernels/from-ir.ts `inputRange`), on the
 * side that reads it. Worked example: three 3×3 stride-1 pad-1 convs over
 * 8 rows, then a 2×2 stride-2 pool to 4 rows, ρ = 0.5:
 *
 *                 GPU computes        CPU computes        redundant rows
 *   pool  (4 rows)   [0, 2)              [2, 4)             —
 *   conv3 (8 rows)   [0, 4)  =2·2        [4, 8)  =2·2        —  (pool windows don't overlap)
 *   conv2 (8 rows)   [0, 5)  =4+1        [3, 8)  =4−1        rows 3, 4
 *   conv1 (8 rows)   [0, 6)  =5+1        [2, 8)  =3−1        rows 2..5
 *   chain input      [0, 7)              [1, 8)   ← the CPU's input slab is
 *                                                   transformed + mapped once
 *
 * A row of conv1's output r is read by conv2's rows r−1..r+1, so the GPU's
 * prefix grows by one row per 3×3 layer and the CPU's suffix starts one row
 * earlier. Sharing is paid once: the CPU's input slab (rows [1, 8) of the
 * chain input) in, its output slab (pool rows [2, 4)) out, one sync:
 *
 *   T = transform(in) + map(in) + transform(out) + unmap(out) + sync
 *       + max(Σ T_cpu(rows), Σ T_gpu(rows))
 *
 * Rows no consumer reads (strided layers) are still computed once, by one
 * side (`closeGap`). Each operator also has an "owned" split b (clamped into the overlap)
 * where its output tensor would be cut if it were written out; the GPU owns
 * [0, b), the CPU [b, H), so every row has exactly one owner.
 */

import { type IrOp, inputRange } from "../kernels/from-ir.js";
import type { CostModel, Sharing } from "./cost.js";
import type { PlanOp } from "./ops.js";

/** Output or input rows [begin, end). */
export type Rows = readonly [number, number];

/** What the row arithmetic needs of an operator (a PlanOp has it). */
export interface RowOp {
  readonly ir: IrOp;
}

export interface ChainRowSplit {
  /** The GPU computes output rows [0, gpuEnd), the CPU [cpuStart, H). */
  readonly gpuEnd: number;
  readonly cpuStart: number;
  /** Owned split: GPU owns [0, own), CPU [own, H). */
  readonly own: number;
}

export interface ChainOpRows extends ChainRowSplit {
  readonly cpuMs: number;
  readonly gpuMs: number;
}

export interface ChainCost extends Sharing {
  readonly ratio: number;
  /** The sharing before the chain (CPU input slab: transform + map) and after it (output slab: transform + unmap); sync is separate. */
  readonly inMs: number;
  readonly outMs: number;
  readonly inBytes: number;
  readonly outBytes: number;
  readonly rows: readonly ChainOpRows[];
  readonly cpuMs: number;
  readonly gpuMs: number;
  readonly totalMs: number;
}

/** Rows the producer must compute, given its consumer computes GPU [0, gpuEnd) and CPU [cpuStart, H). */
export function stepBack(consumer: RowOp, gpuEnd: number, cpuStart: number): readonly [number, number] {
  const map = consumer.ir.rowMap;
  const g = gpuEnd > 0 ? inputRange(map, 0, gpuEnd)[1] : 0;
  const c = cpuStart < consumer.ir.outRows ? inputRange(map, cpuStart, consumer.ir.outRows)[0] : map.inRows;
  return [g, c];
}

/**
 * Strided layers can leave rows nobody reads (a 1×1 stride-2 conv reads every
 * other row): GPU [0, g) and CPU [c, H) with g < c. The gap goes to the side
 * the ratio's row puts it on, so both sides together still compute every row.
 */
export function closeGap(op: RowOp, ratio: number, gpuEnd: number, cpuStart: number): readonly [number, number] {
  const h = op.ir.outRows;
  const g = Math.min(gpuEnd, h);
  const c = Math.max(0, Math.min(cpuStart, h));
  if (g >= c) return [g, c];
  const own = Math.min(c, Math.max(g, Math.round(ratio * h)));
  return [own, own];
}

/** Compute time of one operator's two row ranges. */
export function rowPartsMs(model: CostModel, op: PlanOp, gpuEnd: number, cpuStart: number): { cpuMs: number; gpuMs: number } {
  const h = op.ir.outRows;
  const gpuMs = gpuEnd > 0 ? model.rowsMs(op, "gpu", 0, Math.min(gpuEnd, h)) : 0;
  const cpuMs = cpuStart < h ? model.rowsMs(op, "cpu", Math.max(0, cpuStart), h) : 0;
  return model.concurrent(cpuMs, gpuMs);
}

/** Bytes of the CPU's input slab of the chain's first operator. */
export function inSlabBytes(first: PlanOp, cpuStart: number): number {
  const [lo, hi] = cpuStart < first.ir.outRows ? inputRange(first.ir.rowMap, cpuStart, first.ir.outRows) : [0, 0];
  const fraction = first.ir.rowMap.inRows > 0 ? (hi - lo) / first.ir.rowMap.inRows : 1;
  return first.inputBytes.reduce((s, b) => s + b, 0) * fraction;
}

/** Bytes of the CPU's output slab of the chain's last operator. */
export function outSlabBytes(last: PlanOp, share: number): number {
  return (last.ir.outputBytes * (last.ir.outRows - share)) / last.ir.outRows;
}

/** Owned split of an operator inside a chain: the ratio's row, clamped into the overlap. */
export function ownedSplit(op: RowOp, ratio: number, gpuEnd: number, cpuStart: number): number {
  const h = op.ir.outRows;
  const lo = Math.max(0, Math.min(cpuStart, h));
  const hi = Math.min(h, Math.max(gpuEnd, lo));
  return Math.min(hi, Math.max(lo, Math.round(ratio * h)));
}

/** Each operator's rows when the chain's last operator gives the GPU `share` rows (the walk described above). */
export function chainRows(ops: readonly RowOp[], ratio: number, share: number): ChainRowSplit[] {
  const n = ops.length;
  const rows: ChainRowSplit[] = new Array(n);
  let gpuEnd = share;
  let cpuStart = share;
  for (let i = n - 1; i >= 0; i--) {
    const op = ops[i]!;
    [gpuEnd, cpuStart] = closeGap(op, ratio, gpuEnd, cpuStart);
    const own = i === n - 1 ? share : ownedSplit(op, ratio, gpuEnd, cpuStart);
    rows[i] = { gpuEnd: Math.min(gpuEnd, op.ir.outRows), cpuStart: Math.max(0, Math.min(cpuStart, op.ir.outRows)), own };
    if (i > 0) [gpuEnd, cpuStart] = stepBack(op, gpuEnd, cpuStart);
  }
  return rows;
}

/** What one operator of a chain computes and reads on each side, from its row split (null: that side does nothing). */
export function sideRows(op: RowOp, r: ChainRowSplit): { gpu: Rows | null; cpu: Rows | null; gpuIn: Rows | null; cpuIn: Rows | null } {
  const h = op.ir.outRows;
  const gpu: Rows | null = r.gpuEnd > 0 ? [0, r.gpuEnd] : null;
  const cpu: Rows | null = r.cpuStart < h ? [r.cpuStart, h] : null;
  return {
    gpu,
    cpu,
    gpuIn: gpu === null ? null : inputRange(op.ir.rowMap, gpu[0], gpu[1]),
    cpuIn: cpu === null ? null : inputRange(op.ir.rowMap, cpu[0], cpu[1]),
  };
}

/** The cost of running `ops` (a path segment) as one H chain whose last op's GPU share is `share` rows. */
export function chainCost(model: CostModel, ops: readonly PlanOp[], ratio: number, share: number): ChainCost {
  let cpuMs = 0;
  let gpuMs = 0;
  const rows = chainRows(ops, ratio, share).map((r, i): ChainOpRows => {
    const parts = rowPartsMs(model, ops[i]!, r.gpuEnd, r.cpuStart);
    cpuMs += parts.cpuMs;
    gpuMs += parts.gpuMs;
    return { ...r, ...parts };
  });
  const first = ops[0]!;
  const last = ops[ops.length - 1]!;
  const inBytes = inSlabBytes(first, rows[0]!.cpuStart);
  const outBytes = outSlabBytes(last, share);
  const sh = model.sharing(inBytes, outBytes);
  const inMs = model.sharingSide(inBytes, "cpu");
  return { ratio, rows, cpuMs, gpuMs, ...sh, inMs, inBytes, outBytes, outMs: sh.transformMs + sh.mapMs - inMs, totalMs: sh.transformMs + sh.mapMs + sh.syncMs + Math.max(cpuMs, gpuMs) };
}
