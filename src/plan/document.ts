/**
 * From the chosen strategy's evaluation to the plan document (schema.ts):
 * per-operator placements with ranges and halos, predicted parts, the best
 * alternative per dimension, a reason code, the chains, the tensors and the
 * totals of every strategy. Pure data in, data out; key order is fixed by
 * construction so the same inputs serialise to the same bytes.
 */

import type { Graph } from "../ir/graph.js";
import { elementCount, isStatic } from "../ir/tensor.js";
import type { OpChoices } from "./choices.js";
import type { HalfPrecisionRisk } from "./half-precision.js";
import type { OpPlacement } from "./evaluate.js";
import type { PlanOp } from "./ops.js";
import { type GpuPrecision, PLAN_FORMAT_VERSION, type Plan, type PlanChain, type PlanOperator, type ReasonCode } from "./schema.js";
import type { PlanContext, ReportedStrategy, Strategy, StrategyResult } from "./strategies.js";

/** Milliseconds rounded to 1 ns: stable text, no float noise in golden files. */
export const roundMs = (x: number): number => Math.round(x * 1e6) / 1e6;

/** Six significant digits, so the plan's bytes do not depend on the last bits of the estimate. */
const roundRisk = (r: HalfPrecisionRisk): HalfPrecisionRisk => ({ ...r, inputBound: Number(r.inputBound.toPrecision(6)), estimatedError: Number(r.estimatedError.toPrecision(6)) });

export interface DocumentMeta {
  readonly toolVersion: string;
  readonly modelName: string;
  readonly modelSha256: string;
  readonly profileSha256: string;
  readonly ratioStep: number;
  readonly greedyDelta: number;
  readonly inputShapes: Readonly<Record<string, readonly number[]>>;
  readonly gpuPrecision: GpuPrecision;
  readonly fp16Refused?: HalfPrecisionRisk;
}

const NOT_PARTITIONABLE_CLASSES = new Set(["layout", "softmax"]);

function reasonOf(op: PlanOp, p: OpPlacement, ch: OpChoices, strategy: Strategy, chainLength: number): ReasonCode {
  if (!op.gpuCapable) return "GPU_UNSUPPORTED";
  if (strategy === "cpu" || strategy === "gpu" || strategy === "mulayer") return "STRATEGY";
  if (chainLength >= 2) return "CHAINED";
  if (p.dim !== "none") return "SPLIT_GAIN";
  if (NOT_PARTITIONABLE_CLASSES.has(op.ir.opClass)) return "NOT_PARTITIONABLE";
  if (ch.best.H === undefined && ch.best.OC === undefined) return "TOO_SMALL";
  const chosen = p.processor === "cpu" ? ch.cpuMs : ch.gpuMs;
  const other = p.processor === "cpu" ? ch.gpuMs : ch.cpuMs;
  if (other < chosen) return "DATA_LOCALITY";
  return ch.splitComputeMs < chosen ? "SHARING_EXCEEDS_GAIN" : "NO_SPLIT_GAIN";
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? roundMs(x) : null;
}

export function buildPlanDocument(
  graph: Graph,
  ctx: PlanContext,
  chosen: StrategyResult,
  totals: Readonly<Record<ReportedStrategy, number>>,
  meta: DocumentMeta,
): Plan {
  const ev = chosen.evaluation;
  const chains: PlanChain[] = [];
  const chainOf = new Map<number, { id: number; length: number }>();
  for (const s of ev.segments) {
    if (s.segment.kind !== "chain" || s.ops.length < 2) continue;
    const id = chains.length;
    const unchained = s.ops.reduce((sum, i) => {
      const c = ctx.choices[i]!;
      return sum + Math.min(c.cpuMs, c.gpuMs, c.best.H?.totalMs ?? Number.POSITIVE_INFINITY, c.best.OC?.totalMs ?? Number.POSITIVE_INFINITY);
    }, 0);
    chains.push({ id, operators: [...s.ops], dim: "H", ratio: roundMs(s.segment.ratio), predictedMs: roundMs(s.totalMs), unchainedMs: roundMs(unchained), savedMs: roundMs(unchained - s.totalMs) });
    for (const i of s.ops) chainOf.set(i, { id, length: s.ops.length });
  }
  const operators: PlanOperator[] = ctx.graph.ops.map((op) => {
    const p = ev.placements[op.index]!;
    const ch = ctx.choices[op.index]!;
    const chain = chainOf.get(op.index);
    const total = p.totalMs;
    const alt = (dim: "H" | "OC") => {
      const b = ch.best[dim];
      return b === undefined ? null : { ratio: roundMs(b.ratio), totalMs: roundMs(b.totalMs), deltaMs: roundMs(b.totalMs - total) };
    };
    const shape = graph.tensors.get(op.output)?.shape;
    return {
      id: op.index,
      name: op.node.name,
      op: op.node.op === "Unknown" ? op.node.onnxOp : op.node.op,
      onnxNodes: [...op.node.fusedFrom],
      kernels: { cpu: op.cpuKernel, gpu: op.gpuKernel },
      inputs: [...op.dataInputs],
      outputs: op.node.outputs.filter((o) => o !== ""),
      outputShape: isStatic(shape) ? [...shape] : [],
      placement: {
        processor: p.processor,
        dim: p.dim,
        ratio: roundMs(p.ratio),
        gpu: p.gpuRange === null ? null : [p.gpuRange[0], p.gpuRange[1]],
        cpu: p.cpuRange === null ? null : [p.cpuRange[0], p.cpuRange[1]],
        split: p.owned,
        inputHalo: p.inputHalo === null ? null : { gpu: p.inputHalo.gpu === null ? null : [p.inputHalo.gpu[0], p.inputHalo.gpu[1]], cpu: p.inputHalo.cpu === null ? null : [p.inputHalo.cpu[0], p.inputHalo.cpu[1]] },
        chain: chain?.id ?? null,
      },
      predicted: { cpuMs: roundMs(p.cpuMs), gpuMs: roundMs(p.gpuMs), transformMs: roundMs(p.transformMs), mapMs: roundMs(p.mapMs), syncMs: roundMs(p.syncMs), totalMs: roundMs(total) },
      alternatives: { cpuMs: finite(ch.cpuMs), gpuMs: finite(ch.gpuMs), H: alt("H"), OC: alt("OC") },
      reason: reasonOf(op, p, ch, chosen.strategy, chain?.length ?? 1),
    };
  });
  const homeOf = new Map<string, { producer: number; home: "cpu" | "gpu" }>();
  for (const op of ctx.graph.ops) {
    const p = ev.placements[op.index]!;
    for (const o of op.node.outputs) if (o !== "") homeOf.set(o, { producer: op.index, home: p.processor === "cpu" ? "cpu" : "gpu" });
  }
  const gpuStorage = chosen.model.options.gpuStorage;
  const tensorNames = [...graph.inputs.filter((n) => graph.tensors.get(n)?.data === undefined), ...ctx.graph.ops.flatMap((op) => op.node.outputs.filter((o) => o !== ""))];
  const tensors = tensorNames.map((name) => {
    const t = graph.tensors.get(name);
    const shape = isStatic(t?.shape) ? [...t.shape] : [];
    const h = homeOf.get(name);
    return { name, shape, bytes: shape.length === 0 ? 0 : elementCount(shape) * 4, producer: h?.producer ?? null, home: h?.home ?? ("input" as const), storage: { cpu: "buffer" as const, gpu: gpuStorage } };
  });
  const count = (f: (p: OpPlacement) => boolean): number => ev.placements.filter(f).length;
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    tool: { name: "codl", version: meta.toolVersion },
    model: {
      name: meta.modelName,
      sha256: meta.modelSha256,
      inputs: graph.inputs.filter((n) => graph.tensors.get(n)?.data === undefined).map((n) => {
        const s = graph.tensors.get(n)?.shape;
        return { name: n, shape: isStatic(s) ? [...s] : [] };
      }),
      outputs: [...graph.outputs],
    },
    profile: { id: ctx.profile.id, name: ctx.profile.name, sha256: meta.profileSha256 },
    strategy: chosen.strategy,
    options: {
      ratioStep: meta.ratioStep,
      ratios: ctx.settings.ratios.map(roundMs),
      maxChainLength: ctx.settings.maxChain,
      minGain: ctx.settings.minGain,
      greedyDelta: meta.greedyDelta,
      inputShapes: Object.fromEntries(Object.entries(meta.inputShapes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, [...v]])),
      gpuPrecision: meta.gpuPrecision,
      ...(meta.fp16Refused === undefined ? {} : { fp16Refused: roundRisk(meta.fp16Refused) }),
      ...(ctx.profile.runtime === undefined ? {} : { runtime: { perRunMs: ctx.profile.runtime.perRunMs, perCpuOpMs: ctx.profile.runtime.perCpuOpMs, perGpuOpMs: ctx.profile.runtime.perGpuOpMs } }),
      ...(ctx.profile.sharing.contention === undefined ? {} : { contention: { cpu: ctx.profile.sharing.contention.cpu, gpu: ctx.profile.sharing.contention.gpu } }),
      ...(ctx.profile.calibration === undefined
        ? {}
        : {
            calibrated: {
              cpu: ctx.graph.ops.filter((op) => ctx.model.isCalibrated(op, "cpu")).length,
              gpu: ctx.graph.ops.filter((op) => ctx.model.isCalibrated(op, "gpu")).length,
              ...(ctx.profile.calibration.parts === undefined ? {} : { parts: ctx.graph.ops.filter((op) => ctx.model.hasMeasuredParts(op)).length }),
            },
          }),
    },
    keptFrom: chosen.keptFrom ?? null,
    tensors,
    operators,
    chains,
    totals: {
      strategy: chosen.strategy,
      predictedMs: roundMs(ev.totalMs),
      baselines: {
        cpu: roundMs(totals.cpu),
        gpu: roundMs(totals.gpu),
        mulayer: roundMs(totals.mulayer),
        "codl-greedy": roundMs(totals["codl-greedy"]),
        codl: roundMs(totals.codl),
        ideal: roundMs(totals.ideal),
      },
      splits: { H: count((p) => p.dim === "H"), OC: count((p) => p.dim === "OC"), cpu: count((p) => p.processor === "cpu"), gpu: count((p) => p.processor === "gpu") },
      chains: { count: chains.length, lengths: chains.map((c) => c.operators.length) },
    },
  };
}
