/**
 * From the plan to what the runtime executes: tensors with their storage,
 * operators in an order where every chain is contiguous, each side's output
 * range, and the transforms that move data between the two processors.
 *
 * Data placement is tracked per tensor and per processor as a set of valid
 * rectangles (rows × channels of every batch item). Before a chain, each
 * side's reads of tensors made outside the chain are compared with what that
 * side holds, and the missing part comes over as an `in` transform from the
 * tensor's home, which always holds the whole tensor. After a chain whose
 * last operator was split, the CPU's part is pushed to the GPU (an `out`
 * transform), so the GPU becomes the home, as the planner's cost model assumes:
 *
 *   conv  H split, GPU rows [0,5) CPU rows [5,10)   ← chain c
 *   out:  t rows [5,10) CPU → GPU                    the GPU now holds all of t
 *   pool  CPU only, reads all rows of t
 *   in:   t rows [0,5) GPU → CPU                     the CPU had [5,10) already
 *
 * Inside a chain nothing moves: each side reads rows it computed itself (the
 * planner's halos guarantee it, and this module checks it).
 */

import { assertInternal, CompilerError } from "../diag/errors.js";
import type { Graph, Node } from "../ir/graph.js";
import { isStatic, type StaticShape } from "../ir/tensor.js";
import { inputRange, irOpOf, type RowMap } from "../kernels/from-ir.js";
import type { Plan } from "../plan/schema.js";
import { type Dims4, dims4 } from "./element.js";

export type Side = "cpu" | "gpu";
export type Range = readonly [number, number];
export type GpuStorage = "image" | "buffer";

export interface EmitTensor {
  readonly id: number;
  readonly name: string;
  readonly shape: StaticShape;
  readonly dims: Dims4;
  gpu: GpuStorage | null;
  /** Stored as binary16 on the GPU (--gpu-precision fp16: images only, never graph inputs or outputs). */
  gpuHalf: boolean;
  cpu: boolean;
  home: Side;
}

export interface EmitOp {
  /** The plan's operator id (the graph's node index). */
  readonly id: number;
  readonly node: Node;
  /** Per node input: the tensor id of a data input; undefined for constants and absent inputs. */
  readonly inputs: readonly (number | undefined)[];
  readonly output: number;
  readonly placement: "cpu" | "gpu" | "split";
  readonly dim: "H" | "OC" | "none";
  /** Output rows (H and whole) or channels (OC) each side computes; null: that side does nothing. */
  readonly gpu: Range | null;
  readonly cpu: Range | null;
  readonly gpuIn: Range | null;
  readonly cpuIn: Range | null;
  readonly rowMap: RowMap;
}

export interface EmitTransform {
  readonly tensor: number;
  readonly to: Side;
  readonly dim: "H" | "OC" | "none";
  readonly range: Range;
}

export interface EmitChain {
  readonly id: string;
  readonly ops: readonly EmitOp[];
  readonly dim: "H" | "OC" | "none";
  readonly ratio: number;
  readonly in: EmitTransform[];
  readonly out: EmitTransform[];
}

export interface EmitProgram {
  readonly tensors: readonly EmitTensor[];
  readonly chains: readonly EmitChain[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** --gpu-precision fp16: GPU weights and intermediate image tensors are binary16. */
  readonly gpuHalf: boolean;
}

interface Rect {
  readonly r0: number;
  readonly r1: number;
  readonly c0: number;
  readonly c1: number;
}

const empty = (r: Rect): boolean => r.r1 <= r.r0 || r.c1 <= r.c0;

/** a − b as disjoint rectangles. */
function subtract(a: Rect, b: Rect): Rect[] {
  const r0 = Math.max(a.r0, b.r0);
  const r1 = Math.min(a.r1, b.r1);
  const c0 = Math.max(a.c0, b.c0);
  const c1 = Math.min(a.c1, b.c1);
  if (r1 <= r0 || c1 <= c0) return [a];
  const out: Rect[] = [
    { r0: a.r0, r1: r0, c0: a.c0, c1: a.c1 },
    { r0: r1, r1: a.r1, c0: a.c0, c1: a.c1 },
    { r0, r1, c0: a.c0, c1: c0 },
    { r0, r1, c0: c1, c1: a.c1 },
  ];
  return out.filter((r) => !empty(r));
}

function missing(need: Rect, have: readonly Rect[]): Rect[] {
  let rest = empty(need) ? [] : [need];
  for (const h of have) rest = rest.flatMap((r) => subtract(r, h));
  return rest;
}

const covers = (have: readonly Rect[], need: Rect): boolean => missing(need, have).length === 0;

function staticShape(graph: Graph, name: string): StaticShape {
  const s = graph.tensors.get(name)?.shape;
  assertInternal(isStatic(s), `tensor ${name} has no static shape`);
  return s;
}

/** Each side's output range of one operator, normalised (a side with nothing to do is dropped). */
function sidesOf(p: Plan["operators"][number]["placement"], d: Dims4): Pick<EmitOp, "placement" | "dim" | "gpu" | "cpu" | "gpuIn" | "cpuIn"> {
  const whole: Range = [0, d.h];
  if (p.processor === "cpu") return { placement: "cpu", dim: "none", gpu: null, cpu: whole, gpuIn: null, cpuIn: null };
  if (p.processor === "gpu" || p.dim === "none") return { placement: "gpu", dim: "none", gpu: whole, cpu: null, gpuIn: null, cpuIn: null };
  const extent = p.dim === "H" ? d.h : d.c;
  const clip = (r: readonly [number, number] | null): Range | null => (r === null || Math.min(r[1], extent) <= Math.max(0, r[0]) ? null : [Math.max(0, r[0]), Math.min(r[1], extent)]);
  const gpu = clip(p.gpu);
  const cpu = clip(p.cpu);
  if (gpu === null) return { placement: "cpu", dim: "none", gpu: null, cpu: whole, gpuIn: null, cpuIn: null };
  if (cpu === null) return { placement: "gpu", dim: "none", gpu: whole, cpu: null, gpuIn: null, cpuIn: null };
  const halo = p.inputHalo;
  return { placement: "split", dim: p.dim, gpu, cpu, gpuIn: halo?.gpu ?? null, cpuIn: halo?.cpu ?? null };
}

/** Rows and channels of `op`'s output that `side` computes. */
function outRect(op: EmitOp, side: Side, d: Dims4): Rect | null {
  const r = side === "gpu" ? op.gpu : op.cpu;
  if (r === null) return null;
  return op.dim === "OC" ? { r0: 0, r1: d.h, c0: r[0], c1: r[1] } : { r0: r[0], r1: r[1], c0: 0, c1: d.c };
}

export interface BuildProgramOptions {
  /** Keep every tensor off the GPU (the CPU-only build). */
  readonly cpuOnly?: boolean;
  /**
   * Rebalancing (variants.ts): the runtime may cut any H chain elsewhere, so
   * nothing after an H chain may rely on rows that depend on its cut. After
   * such a chain, the rows its `in` transforms brought over are forgotten and
   * the CPU's part of its output too (the GPU, its home, holds all of it).
   * Later readers then fetch what they need from the home, as the planner's
   * cost model prices it (plan/halo.ts: the CPU's whole input slab comes over).
   */
  readonly rebalancing?: boolean;
}

export function buildProgram(graph: Graph, plan: Plan, options: BuildProgramOptions = {}): EmitProgram {
  assertInternal(plan.operators.length === graph.nodes.length, "the plan does not match the graph");
  const tensors: EmitTensor[] = [];
  const idOf = new Map<string, number>();
  const storageOf = new Map(plan.tensors.map((t) => [t.name, t.storage.gpu]));
  const addTensor = (name: string): number => {
    const shape = staticShape(graph, name);
    const id = tensors.length;
    tensors.push({ id, name, shape, dims: dims4(shape), gpu: null, gpuHalf: false, cpu: false, home: "cpu" });
    idOf.set(name, id);
    return id;
  };
  const graphInputs = graph.inputs.filter((n) => graph.tensors.get(n)?.data === undefined);
  for (const name of graphInputs) addTensor(name);
  const ops: EmitOp[] = graph.nodes.map((node, index) => {
    const po = plan.operators[index]!;
    assertInternal(po.name === node.name, `plan operator ${po.id} is ${po.name}, the graph's node is ${node.name}`);
    const inputs = node.inputs.map((name) => (name === "" || graph.tensors.get(name)?.data !== undefined ? undefined : idOf.get(name)));
    node.inputs.forEach((name, i) => {
      if (name !== "" && graph.tensors.get(name)?.data === undefined && inputs[i] === undefined) {
        throw new CompilerError("CODL-E100", { cause: `tensor ${name} is read before it is written` });
      }
    });
    const outName = node.outputs.find((o) => o !== "");
    if (outName === undefined) throw new CompilerError("CODL-E100", { cause: `node ${node.name} has no output` });
    const output = addTensor(outName);
    const d = tensors[output]!.dims;
    const sides = options.cpuOnly ? sidesOf({ ...po.placement, processor: "cpu" }, d) : sidesOf(po.placement, d);
    return { id: po.id, node, inputs, output, ...sides, rowMap: irOpOf(graph, node).rowMap };
  });

  // Units: plan chains (consecutive on a path) and single operators, in a
  // topological order that keeps each chain contiguous.
  const unitOf = new Array<number>(ops.length).fill(-1);
  const units: number[][] = [];
  if (!options.cpuOnly) {
    for (const c of plan.chains) {
      const members = c.operators.filter((i) => ops[i]?.placement === "split");
      if (members.length !== c.operators.length) continue;
      for (const i of members) unitOf[i] = units.length;
      units.push([...members]);
    }
  }
  ops.forEach((_, i) => {
    if (unitOf[i] === -1) {
      unitOf[i] = units.length;
      units.push([i]);
    }
  });
  const producerOp = new Map<number, number>();
  ops.forEach((op, i) => {
    producerOp.set(op.output, i);
  });
  const deps = units.map((u) => {
    const s = new Set<number>();
    for (const i of u) {
      for (const t of ops[i]!.inputs) {
        const p = t === undefined ? undefined : producerOp.get(t);
        if (p !== undefined && unitOf[p] !== unitOf[i]) s.add(unitOf[p]!);
      }
    }
    return s;
  });
  const done = new Set<number>();
  const order: number[] = [];
  while (order.length < units.length) {
    let pick = -1;
    for (let u = 0; u < units.length; u++) {
      if (done.has(u) || [...deps[u]!].some((d) => !done.has(d))) continue;
      if (pick === -1 || units[u]![0]! < units[pick]![0]!) pick = u;
    }
    assertInternal(pick >= 0, "operator units have a cycle");
    done.add(pick);
    order.push(pick);
  }

  // Graph inputs live where their readers compute, preferring the GPU.
  const state = new Map<number, { gpu: Rect[]; cpu: Rect[] }>();
  const full = (t: number): Rect => ({ r0: 0, r1: tensors[t]!.dims.h, c0: 0, c1: tensors[t]!.dims.c });
  for (const name of graphInputs) {
    const t = idOf.get(name)!;
    const gpuReader = ops.some((op) => op.gpu !== null && op.inputs.includes(t));
    tensors[t]!.home = gpuReader ? "gpu" : "cpu";
    state.set(t, { gpu: gpuReader ? [full(t)] : [], cpu: gpuReader ? [] : [full(t)] });
  }

  const needs = (op: EmitOp, side: Side): Array<{ tensor: number; rect: Rect }> => {
    const range = side === "gpu" ? op.gpu : op.cpu;
    if (range === null) return [];
    const out: Array<{ tensor: number; rect: Rect }> = [];
    for (const t of new Set(op.inputs)) {
      if (t === undefined) continue;
      const d = tensors[t]!.dims;
      let rows: Range = [0, d.h];
      if (op.dim === "H" && op.rowMap.kind !== "all" && d.h === op.rowMap.inRows) rows = inputRange(op.rowMap, range[0], range[1]);
      out.push({ tensor: t, rect: { r0: rows[0], r1: rows[1], c0: 0, c1: d.c } });
    }
    return out;
  };

  const transform = (tensor: number, to: Side, m: Rect, list: EmitTransform[]): void => {
    const t = tensors[tensor]!;
    const st = state.get(tensor)!;
    const from = to === "gpu" ? st.cpu : st.gpu;
    const d = t.dims;
    const allRows = m.r0 === 0 && m.r1 === d.h;
    const allChannels = m.c0 === 0 && m.c1 === d.c;
    let moved: Rect;
    let tr: EmitTransform;
    const rowsOf = (r: Rect): EmitTransform => (r.r0 === 0 && r.r1 === d.h ? { tensor, to, dim: "none", range: [0, 0] } : { tensor, to, dim: "H", range: [r.r0, r.r1] });
    if (allChannels) {
      moved = m;
      tr = rowsOf(m);
    } else {
      // Image channel slabs move whole pixels of 4 channels.
      const unit = (storageOf.get(t.name) ?? "image") === "image" ? 4 : 1;
      const c0 = Math.floor(m.c0 / unit) * unit;
      const c1 = Math.min(d.c, Math.ceil(m.c1 / unit) * unit);
      const oc: Rect = { r0: 0, r1: d.h, c0, c1 };
      if (allRows && covers(from, oc)) {
        moved = oc;
        tr = { tensor, to, dim: "OC", range: [c0, c1] };
      } else {
        moved = { r0: m.r0, r1: m.r1, c0: 0, c1: d.c };
        tr = rowsOf(moved);
      }
    }
    assertInternal(covers(from, moved), `tensor ${t.name}: the ${to === "gpu" ? "CPU" : "GPU"} lacks the part the ${to.toUpperCase()} needs`);
    list.push(tr);
    (to === "gpu" ? st.gpu : st.cpu).push(moved);
  };

  const chains: EmitChain[] = order.map((u, k) => {
    const members = units[u]!.map((i) => ops[i]!);
    const inside = new Set(members.map((op) => op.output));
    const ins: EmitTransform[] = [];
    const outs: EmitTransform[] = [];
    const cutFree = options.rebalancing === true && members[0]!.placement === "split" && members[0]!.dim === "H";
    const before = new Map<number, { gpu: Rect[]; cpu: Rect[] }>();
    if (cutFree) {
      for (const op of members) {
        for (const t of op.inputs) {
          const st = t === undefined || inside.has(t) ? undefined : state.get(t);
          if (st !== undefined && t !== undefined) before.set(t, { gpu: [...st.gpu], cpu: [...st.cpu] });
        }
      }
    }
    for (const op of members) {
      for (const side of ["gpu", "cpu"] as const) {
        for (const { tensor, rect } of needs(op, side)) {
          const st = state.get(tensor);
          assertInternal(st !== undefined, `tensor ${tensors[tensor]?.name} is read before it is written`);
          const have = side === "gpu" ? st.gpu : st.cpu;
          const miss = missing(rect, have);
          if (miss.length === 0) continue;
          assertInternal(!inside.has(tensor), `operator ${op.node.name}: the ${side.toUpperCase()} reads rows of ${tensors[tensor]?.name} it did not compute`);
          for (const m of miss) if (!covers(side === "gpu" ? st.gpu : st.cpu, m)) transform(tensor, side, m, ins);
        }
      }
      const d = tensors[op.output]!.dims;
      const g = outRect(op, "gpu", d);
      const c = outRect(op, "cpu", d);
      state.set(op.output, { gpu: g === null ? [] : [g], cpu: c === null ? [] : [c] });
      tensors[op.output]!.home = op.gpu !== null ? "gpu" : "cpu";
    }
    const last = members[members.length - 1]!;
    if (last.placement === "split") {
      const st = state.get(last.output)!;
      for (const m of missing(full(last.output), st.gpu)) transform(last.output, "gpu", m, outs);
    }
    if (cutFree) {
      for (const [t, st] of before) state.set(t, st);
      state.get(last.output)!.cpu = [];
    }
    const first = members[0]!;
    const planChain = plan.operators[first.id]?.placement;
    return {
      id: `c${k}`,
      ops: members,
      dim: first.placement === "split" ? first.dim : "none",
      ratio: first.placement === "cpu" ? 0 : first.placement === "gpu" ? 1 : (planChain?.ratio ?? 0.5),
      in: ins,
      out: outs,
    };
  });

  // Storage: each side that computes with, transforms or hands over a tensor gets a copy.
  const gpuUse = new Set<number>();
  const cpuUse = new Set<number>();
  for (const ch of chains) {
    for (const op of ch.ops) {
      for (const t of [...op.inputs, op.output]) {
        if (t === undefined) continue;
        if (op.gpu !== null) gpuUse.add(t);
        if (op.cpu !== null) cpuUse.add(t);
      }
    }
    for (const tr of [...ch.in, ...ch.out]) {
      gpuUse.add(tr.tensor);
      cpuUse.add(tr.tensor);
    }
  }
  const outputs = graph.outputs.map((name) => {
    const t = idOf.get(name);
    if (t === undefined) throw new CompilerError("CODL-E090", { op: "graph output", node: name, cause: "a graph output that is an input or a constant" });
    const st = state.get(t)!;
    const tensor = tensors[t]!;
    tensor.home = covers(st.gpu, full(t)) && (tensor.home === "gpu" || !covers(st.cpu, full(t))) ? "gpu" : "cpu";
    return t;
  });
  const inputs = graphInputs.map((n) => idOf.get(n)!);
  for (const t of [...inputs, ...outputs]) (tensors[t]!.home === "gpu" ? gpuUse : cpuUse).add(t);
  const gpuHalf = !options.cpuOnly && plan.options.gpuPrecision === "fp16";
  const io = new Set([...inputs, ...outputs]);
  for (const t of tensors) {
    t.gpu = gpuUse.has(t.id) ? (storageOf.get(t.name) ?? "image") : null;
    t.gpuHalf = gpuHalf && t.gpu === "image" && !io.has(t.id);
    t.cpu = cpuUse.has(t.id);
  }
  return { tensors, chains, inputs, outputs, gpuHalf };
}
