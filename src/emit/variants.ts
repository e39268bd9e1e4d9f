/**
 * Rebalancing variants: the same H-split chains cut at neighbouring ratios,
 * so that the runtime can move rows between the processors when one of them
 * runs slower than the profile said (codegen/runtime/README.md, "Rebalancing").
 *
 * A variant is the compiled plan with every H split's GPU share moved by
 * `shift` (a multiple of the plan's ratio step) and the chain's rows walked
 * back again exactly as the planner does (plan/halo.ts `chainRows`). It is
 * emitted through the same operator emitters, then compared with the compiled
 * chain: it is kept for a chain only if nothing but rows differs — the same
 * tensors and storage, the same kernels (files, entries, argument kinds,
 * weights; global and local sizes and integer arguments may differ), the same CPU operators (XNNPACK creates them once, with the
 * compiled chain's padding) and the same transforms, with other ranges.
 * Anything else (a side that would vanish, padding that moves, a constant
 * operand sliced by rows) leaves that chain without that variant.
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import type { Graph } from "../ir/graph.js";
import { irOpOf } from "../kernels/from-ir.js";
import { chainRows, type Rows, sideRows } from "../plan/halo.js";
import type { Plan, PlanOperator } from "../plan/schema.js";
import type { CpuHalfSpec } from "./cpu.js";
import { emitOp } from "./emit-op.js";
import type { GpuKernelSpec } from "./gpu.js";
import type { EmittedOp } from "./model-cc.js";
import { buildProgram, type EmitChain, type EmitProgram, type EmitTransform } from "./program.js";
import type { WeightsBuilder } from "./weights.js";

/** One way to cut a chain: its operators' tables and transforms. */
export interface ChainVariant {
  /** The GPU's share of the chain's last operator. */
  readonly ratio: number;
  /** The compiled plan's own cut. */
  readonly compiled: boolean;
  readonly ops: readonly EmittedOp[];
  readonly in: readonly EmitTransform[];
  readonly out: readonly EmitTransform[];
}

/** Per chain of the program (by index): its variants in increasing GPU share, the compiled one among them; empty when it has none. */
export type ChainVariants = ReadonlyArray<readonly ChainVariant[]>;

/** The plan with every H split's GPU share moved by `shift`; segments whose share would leave (0, H) keep theirs. */
export function shiftedPlan(graph: Graph, plan: Plan, shift: number): Plan {
  const operators: PlanOperator[] = plan.operators.map((o) => o);
  const chains = plan.chains.map((c) => c);
  const segments: Array<{ ops: readonly number[]; ratio: number; chain: number | null }> = [];
  plan.chains.forEach((c, i) => {
    segments.push({ ops: c.operators, ratio: c.ratio, chain: i });
  });
  for (const o of plan.operators) {
    if (o.placement.processor === "both" && o.placement.dim === "H" && o.placement.chain === null) segments.push({ ops: [o.id], ratio: o.placement.ratio, chain: null });
  }
  for (const s of segments) {
    if (s.ops.some((i) => plan.operators[i]?.placement.dim !== "H" || plan.operators[i]?.placement.processor !== "both")) continue;
    const rowOps = s.ops.map((i) => ({ ir: irOpOf(graph, graph.nodes[i]!) }));
    const h = rowOps[rowOps.length - 1]!.ir.outRows;
    const ratio = Math.round((s.ratio + shift) * 1e6) / 1e6;
    const share = Math.round(ratio * h);
    if (share < 1 || share > h - 1) continue;
    const rows = chainRows(rowOps, ratio, share);
    s.ops.forEach((i, k) => {
      const r = rows[k]!;
      const x = sideRows(rowOps[k]!, r);
      const copy = (v: Rows | null): [number, number] | null => (v === null ? null : [v[0], v[1]]);
      const p = operators[i]!;
      operators[i] = { ...p, placement: { ...p.placement, ratio, gpu: copy(x.gpu), cpu: copy(x.cpu), split: r.own, inputHalo: { gpu: copy(x.gpuIn), cpu: copy(x.cpuIn) } } };
    });
    if (s.chain !== null) chains[s.chain] = { ...chains[s.chain]!, ratio };
  }
  return { ...plan, operators, chains };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function sameKernels(a: readonly GpuKernelSpec[], b: readonly GpuKernelSpec[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((k, i) => {
    const v = b[i]!;
    if (k.file !== v.file || k.entry !== v.entry || k.args.length !== v.args.length) return false;
    return k.args.every((x, j) => {
      const y = v.args[j]!;
      return x.kind === y.kind && (x.kind === "int" || same(x, y));
    });
  });
}

function sameCpu(a: CpuHalfSpec | null, b: CpuHalfSpec | null): boolean {
  if (a === null || b === null) return a === b;
  const shape = (c: CpuHalfSpec) => ({
    kind: c.kind,
    fields: c.fields,
    custom: c.custom,
    views: [...c.inputs, c.output].map((v) => [v.tensor, v.ch0, v.chs, v.rows === 0]),
  });
  return same(shape(a), shape(b));
}

const transformKeys = (list: readonly EmitTransform[]) => list.map((t) => [t.tensor, t.to, t.dim]);

/** Whether `v` is `base` cut elsewhere: only rows differ. */
function sameButRows(base: EmitChain, baseOps: readonly EmittedOp[], v: EmitChain, vOps: readonly EmittedOp[]): boolean {
  if (base.dim !== "H" || v.dim !== "H" || base.ops.length !== v.ops.length) return false;
  if (!same(transformKeys(base.in), transformKeys(v.in)) || !same(transformKeys(base.out), transformKeys(v.out))) return false;
  return baseOps.every((b, i) => {
    const o = vOps[i]!;
    return b.op.id === o.op.id && b.op.placement === "split" && o.op.placement === "split" && o.op.dim === "H" && sameKernels(b.gpu, o.gpu) && sameCpu(b.cpu, o.cpu);
  });
}

/** Chains with an inner tensor (not the last operator's output) that something after them reads: their cut cannot move, since those readers' transforms are fixed. */
export function escapingChains(program: EmitProgram): Set<number> {
  const chainOf = new Map<number, number>();
  program.chains.forEach((c, k) => {
    for (const op of c.ops) chainOf.set(op.output, k);
  });
  const escapes = new Set<number>();
  const read = (t: number | undefined, by: number) => {
    const from = t === undefined ? undefined : chainOf.get(t);
    if (from !== undefined && from !== by && program.chains[from]!.ops.at(-1)!.output !== t) escapes.add(from);
  };
  program.chains.forEach((c, k) => {
    for (const op of c.ops) for (const t of op.inputs) read(t, k);
  });
  for (const t of program.outputs) read(t, -1);
  return escapes;
}

/** rebalancing.json: which H chains can move their cut, to which GPU shares, and why the others cannot. */
export interface RebalancingReport {
  readonly steps: number;
  readonly ratioStep: number;
  readonly chains: ReadonlyArray<{ readonly chain: string; readonly operators: readonly number[]; readonly compiled: number; readonly cuts: readonly number[] }>;
  readonly fixed: ReadonlyArray<{ readonly chain: string; readonly operators: readonly number[]; readonly compiled: number; readonly reason: string }>;
}

export function rebalancingReport(program: EmitProgram, variants: ChainVariants, steps: number, ratioStep: number): RebalancingReport {
  const escapes = escapingChains(program);
  const chains: RebalancingReport["chains"][number][] = [];
  const fixed: RebalancingReport["fixed"][number][] = [];
  program.chains.forEach((c, k) => {
    if (c.dim !== "H") return;
    const base = { chain: c.id, operators: c.ops.map((op) => op.id), compiled: c.ratio };
    const list = variants[k] ?? [];
    if (list.length > 0) chains.push({ ...base, cuts: list.map((v) => v.ratio) });
    else
      fixed.push({
        ...base,
        reason: escapes.has(k)
          ? "a tensor inside the chain is read after it"
          : `no other cut within ${steps} steps of ${ratioStep} differs from the compiled one in rows alone (padding, a side's kernels, a constant operand or the transforms would change)`,
      });
  });
  return { steps, ratioStep, chains, fixed };
}

const tensorTable = (p: EmitProgram) => p.tensors.map((t) => [t.gpu, t.gpuHalf, t.cpu, t.home]);

/**
 * Variants of every H chain at shifts ±step … ±steps·step of the GPU share.
 * `program` must have been built with `rebalancing` (program.ts), so that no
 * chain relies on rows another chain's cut decides; `ops` are its emitted
 * operators, in chain order; `weights` is its builder, frozen while the
 * variants are emitted.
 */
export function chainVariants(
  input: { readonly graph: Graph; readonly plan: Plan; readonly profile: DeviceProfile; readonly program: EmitProgram; readonly ops: readonly EmittedOp[]; readonly weights: WeightsBuilder },
  steps: number,
  step: number,
): ChainVariants {
  const { graph, plan, profile, program, ops, weights } = input;
  const firstOp: number[] = [];
  let at = 0;
  for (const c of program.chains) {
    firstOp.push(at);
    at += c.ops.length;
  }
  const escapes = escapingChains(program);
  const found: ChainVariant[][] = program.chains.map(() => []);
  const seen = program.chains.map((c, k) => new Set([JSON.stringify(ops.slice(firstOp[k]!, firstOp[k]! + c.ops.length).map((e) => [e.op.gpu, e.op.cpu]))]));
  weights.frozen = true;
  try {
    // Nearest first: of shifts that cut a chain alike, the variant keeps the smallest.
    for (const j of Array.from({ length: 2 * steps }, (_, i) => (i % 2 === 0 ? 1 : -1) * (Math.floor(i / 2) + 1))) {
      const shift = Math.round(j * step * 1e6) / 1e6;
      const program2 = buildProgram(graph, shiftedPlan(graph, plan, shift), { rebalancing: true });
      if (program2.chains.length !== program.chains.length || !same(tensorTable(program), tensorTable(program2))) continue;
      program.chains.forEach((base, k) => {
        const v = program2.chains[k]!;
        if (base.dim !== "H" || v.ratio === base.ratio || escapes.has(k)) return;
        const baseOps = ops.slice(firstOp[k]!, firstOp[k]! + base.ops.length);
        const key = JSON.stringify(v.ops.map((o) => [o.gpu, o.cpu]));
        if (seen[k]!.has(key)) return;
        const vOps = v.ops.map((op) => emitOp(graph, program2, op, profile, weights));
        if (!sameButRows(base, baseOps, v, vOps)) return;
        seen[k]!.add(key);
        found[k]!.push({ ratio: v.ratio, compiled: false, ops: vOps, in: v.in, out: v.out });
      });
    }
  } finally {
    weights.frozen = false;
  }
  return program.chains.map((c, k) => {
    if (found[k]!.length === 0) return [];
    const compiled: ChainVariant = { ratio: c.ratio, compiled: true, ops: ops.slice(firstOp[k]!, firstOp[k]! + c.ops.length), in: c.in, out: c.out };
    return [...found[k]!, compiled].sort((a, b) => a.ratio - b.ratio);
  });
}
