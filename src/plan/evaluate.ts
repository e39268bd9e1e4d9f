/**
 * Scores a plan: a list of segments in topological order, each a whole
 * operator on one processor, an OC split of one operator, or an H chain of
 * one or more consecutive operators on a path. Every strategy's result goes
 * through `evaluateSegments`, so every number codl reports comes from one
 * place; the searches use the same CostModel calls, and tests check that
 * their objectives equal this evaluation.
 *
 * Operators run one segment after another (no overlap between segments);
 * inside a segment the CPU and GPU run concurrently. The total includes the
 * runtime's fixed cost of a run (CostModel.perRunMs); each operator's time
 * includes its dispatch on each processor that works on it.
 */

import { assertInternal } from "../diag/errors.js";
import type { CostModel, Home, Side } from "./cost.js";
import { chainCost, type Rows, sideRows } from "./halo.js";
import type { PlanGraph, PlanOp, SplitDim } from "./ops.js";

export type Segment =
  | { readonly kind: "whole"; readonly op: number; readonly side: Side }
  | { readonly kind: "oc"; readonly op: number; readonly ratio: number; readonly share: number }
  | { readonly kind: "chain"; readonly ops: readonly number[]; readonly ratio: number; readonly share: number };

export type Range = Rows;

export interface OpPlacement {
  readonly op: number;
  readonly segment: number;
  readonly processor: "cpu" | "gpu" | "both";
  readonly dim: SplitDim | "none";
  readonly ratio: number;
  /** Rows (H) or channels (OC) each side computes; null when that side does nothing. */
  readonly gpuRange: Range | null;
  readonly cpuRange: Range | null;
  /** Where the output is cut (H: the owned split row; OC: the channel). */
  readonly owned: number | null;
  /** Input rows each side reads (H splits only). */
  readonly inputHalo: { readonly gpu: Range | null; readonly cpu: Range | null } | null;
  readonly cpuMs: number;
  readonly gpuMs: number;
  readonly transformMs: number;
  readonly mapMs: number;
  readonly syncMs: number;
  /** Sharing attributed to this operator plus max(cpu, gpu). Inside a chain these do not add up: see the chain. */
  readonly totalMs: number;
}

export interface SegmentResult {
  readonly segment: Segment;
  readonly ops: readonly number[];
  readonly totalMs: number;
  /** Sharing before compute (transfer or CPU input slab) and after it (output slab + sync). */
  readonly beforeMs: number;
  readonly afterMs: number;
  readonly cpuMs: number;
  readonly gpuMs: number;
}

export interface Evaluation {
  readonly placements: readonly OpPlacement[];
  readonly segments: readonly SegmentResult[];
  readonly totalMs: number;
}

export function segmentOps(s: Segment): readonly number[] {
  return s.kind === "chain" ? s.ops : [s.op];
}

/** Where each data input of `op` lives, given the homes decided so far. */
export function inputHomes(graph: PlanGraph, op: PlanOp, homes: ReadonlyMap<number, Home>): Home[] {
  return op.dataInputs.map((t) => {
    const p = graph.producer.get(t);
    return p === undefined ? "any" : (homes.get(p) ?? "any");
  });
}

export function homeAfter(s: Segment): Side {
  return s.kind === "whole" ? s.side : "gpu";
}

export function evaluateSegments(model: CostModel, graph: PlanGraph, segments: readonly Segment[]): Evaluation {
  const homes = new Map<number, Home>();
  const placements: OpPlacement[] = new Array(graph.ops.length);
  const results: SegmentResult[] = [];
  let total = model.perRunMs;
  segments.forEach((segment, si) => {
    const result = evaluateSegment(model, graph, segment, si, homes, placements);
    results.push(result);
    total += result.totalMs;
    for (const i of result.ops) homes.set(i, homeAfter(segment));
  });
  for (let i = 0; i < graph.ops.length; i++) assertInternal(placements[i] !== undefined, `operator ${graph.ops[i]?.node.name} has no placement`);
  return { placements, segments: results, totalMs: total };
}

function evaluateSegment(model: CostModel, graph: PlanGraph, segment: Segment, si: number, homes: ReadonlyMap<number, Home>, out: OpPlacement[]): SegmentResult {
  if (segment.kind === "whole") {
    const op = graph.ops[segment.op]!;
    const e = model.entry(op, segment.side, inputHomes(graph, op, homes));
    const ms = model.wholeMs(op, segment.side);
    const cpuMs = segment.side === "cpu" ? ms : 0;
    const gpuMs = segment.side === "gpu" ? ms : 0;
    const full: Range = [0, op.ir.outRows];
    const before = e.transformMs + e.mapMs + e.syncMs;
    out[op.index] = {
      op: op.index,
      segment: si,
      processor: segment.side,
      dim: "none",
      ratio: segment.side === "gpu" ? 1 : 0,
      gpuRange: segment.side === "gpu" ? full : null,
      cpuRange: segment.side === "cpu" ? full : null,
      owned: null,
      inputHalo: null,
      cpuMs,
      gpuMs,
      ...e,
      totalMs: before + ms,
    };
    return { segment, ops: [op.index], totalMs: before + ms, beforeMs: before, afterMs: 0, cpuMs, gpuMs };
  }
  if (segment.kind === "oc") {
    const op = graph.ops[segment.op]!;
    const c = model.splitOc(op, segment.ratio, segment.share);
    const oc = op.ir.outChannels;
    out[op.index] = {
      op: op.index,
      segment: si,
      processor: "both",
      dim: "OC",
      ratio: segment.ratio,
      gpuRange: [0, segment.share],
      cpuRange: [segment.share, oc],
      owned: segment.share,
      inputHalo: null,
      cpuMs: c.cpuMs,
      gpuMs: c.gpuMs,
      transformMs: c.transformMs,
      mapMs: c.mapMs,
      syncMs: c.syncMs,
      totalMs: c.totalMs,
    };
    const sharing = c.transformMs + c.mapMs;
    return { segment, ops: [op.index], totalMs: c.totalMs, beforeMs: sharing / 2, afterMs: sharing / 2 + c.syncMs, cpuMs: c.cpuMs, gpuMs: c.gpuMs };
  }
  const ops = segment.ops.map((i) => graph.ops[i]!);
  const c = chainCost(model, ops, segment.ratio, segment.share);
  const n = ops.length;
  ops.forEach((op, k) => {
    const r = c.rows[k]!;
    const sides = sideRows(op, r);
    const sharingIn = k === 0 ? c.inMs : 0;
    const sharingOut = k === n - 1 ? c.outMs + c.syncMs : 0;
    // Chain sharing is listed on its ends: the input slab on the first operator, the output slab and sync on the last.
    const sIn = k === 0 ? model.sharing(c.inBytes, 0) : undefined;
    const sOut = k === n - 1 ? model.sharing(0, c.outBytes) : undefined;
    out[op.index] = {
      op: op.index,
      segment: si,
      processor: "both",
      dim: "H",
      ratio: segment.ratio,
      gpuRange: sides.gpu,
      cpuRange: sides.cpu,
      owned: r.own,
      inputHalo: { gpu: sides.gpuIn, cpu: sides.cpuIn },
      cpuMs: r.cpuMs,
      gpuMs: r.gpuMs,
      transformMs: (sIn?.transformMs ?? 0) + (sOut?.transformMs ?? 0),
      mapMs: (sIn?.mapMs ?? 0) + (sOut?.mapMs ?? 0),
      syncMs: k === n - 1 ? c.syncMs : 0,
      totalMs: sharingIn + sharingOut + Math.max(r.cpuMs, r.gpuMs),
    };
  });
  return { segment, ops: segment.ops, totalMs: c.totalMs, beforeMs: c.inMs, afterMs: c.outMs + c.syncMs, cpuMs: c.cpuMs, gpuMs: c.gpuMs };
}
