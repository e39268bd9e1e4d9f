/**
 * The strategies of DESIGN.md §4, side by side. Each returns segments in
 * topological order; evaluate.ts scores them all the same way.
 *
 *   cpu          every operator whole on the CPU
 *   gpu          every operator whole on the GPU (CPU where codl has no GPU kernel)
 *   mulayer      μLayer-like: OC split only, ratio from a FLOPs-linear model,
 *                buffers on both processors (slab copies, no layout transform), no chains
 *   codl-greedy  ParPlan + the paper's Algorithm 1 on every path
 *   codl         the exact DP on every path (search-dp.ts)
 *   ideal        the bound, Σ min over choices with zero sharing; reported, never emitted
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import { flops } from "../kernels/op-config.js";
import { type OpChoices, opChoices } from "./choices.js";
import { CostModel, type Home, type Storage } from "./cost.js";
import { type Evaluation, evaluateSegments, homeAfter, inputHomes, type Segment } from "./evaluate.js";
import type { PlanGraph } from "./ops.js";
import { searchPathDp } from "./search-dp.js";
import { searchPathGreedy } from "./search-greedy.js";

export const STRATEGIES = ["cpu", "gpu", "mulayer", "codl-greedy", "codl"] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const REPORTED = [...STRATEGIES, "ideal"] as const;
export type ReportedStrategy = (typeof REPORTED)[number];

export interface SearchSettings {
  readonly ratios: readonly number[];
  readonly maxChain: number;
  /**
   * The predicted gain a co-execution plan must have over the better single
   * processor to be chosen, as a fraction of that processor's time: within
   * the predictor's error, simply picking the better processor is safer.
   */
  readonly minGain: number;
}

export interface PlanContext {
  readonly graph: PlanGraph;
  readonly profile: DeviceProfile;
  readonly settings: SearchSettings;
  /** The profile's storage, sharing with layout transforms. */
  readonly model: CostModel;
  readonly choices: readonly OpChoices[];
}

/** The default image2d limit when a profile gives none (profile-schema.ts). */
const DEFAULT_IMAGE2D_MAX: readonly [number, number] = [16384, 16384];

/** Whether every operator's input and output fits the device's image2d limit as an image. */
function imagesFit(graph: PlanGraph, profile: DeviceProfile): boolean {
  const [maxW, maxH] = profile.gpu.image2dMax ?? DEFAULT_IMAGE2D_MAX;
  const fits = (n: number, c: number, h: number, w: number): boolean => w * Math.ceil(c / 4) <= maxW && n * h <= maxH;
  return graph.ops.every(({ ir: { config: c } }) => fits(c.n, c.ic, c.ih, c.iw) && fits(c.n, c.oc, c.oh, c.ow));
}

export function createContext(graph: PlanGraph, profile: DeviceProfile, settings: SearchSettings): PlanContext {
  const storage: Storage = profile.gpu.imageSupport && profile.gpu.preferredStorage === "image" && imagesFit(graph, profile) ? "image" : "buffer";
  const model = new CostModel(profile, { gpuStorage: storage });
  const choices = graph.ops.map((op) => opChoices(model, op, settings.ratios));
  return { graph, profile, settings, model, choices };
}

export interface StrategyResult {
  readonly strategy: Strategy;
  readonly model: CostModel;
  readonly segments: readonly Segment[];
  readonly evaluation: Evaluation;
  /** Set when `codl` kept another candidate because it predicted faster. */
  readonly keptFrom?: Strategy;
}

function whole(ctx: PlanContext, prefer: "cpu" | "gpu"): Segment[] {
  return ctx.graph.ops.map((op) => ({ kind: "whole", op: op.index, side: prefer === "gpu" && op.gpuCapable ? "gpu" : "cpu" }));
}

/** Paths in topological order of their heads, each solved given the homes decided before it. */
function perPath(ctx: PlanContext, solve: (ops: readonly number[], entry: readonly Home[]) => readonly Segment[]): Segment[] {
  const homes = new Map<number, Home>();
  const out: Segment[] = [];
  for (const path of ctx.graph.paths) {
    const first = ctx.graph.ops[path[0]!]!;
    const segs = solve(path, inputHomes(ctx.graph, first, homes));
    for (const s of segs) {
      out.push(s);
      for (const i of s.kind === "chain" ? s.ops : [s.op]) homes.set(i, homeAfter(s));
    }
  }
  // Paths interleave in the graph; segments run in the order of their first operator.
  return out.sort((a, b) => firstOp(a) - firstOp(b));
}

function firstOp(s: Segment): number {
  return s.kind === "chain" ? s.ops[0]! : s.op;
}

export function searchDp(ctx: PlanContext): Segment[] {
  return perPath(ctx, (path, entry) => {
    const ops = path.map((i) => ctx.graph.ops[i]!);
    return searchPathDp(ctx.model, ops, entry, path.map((i) => ctx.choices[i]!), ctx.settings.ratios, ctx.settings.maxChain).segments;
  });
}

export function searchGreedy(ctx: PlanContext): Segment[] {
  return perPath(ctx, (path, entry) => {
    const ops = path.map((i) => ctx.graph.ops[i]!);
    return searchPathGreedy(ctx.model, ops, entry, path.map((i) => ctx.choices[i]!), ctx.settings.ratios, ctx.settings.maxChain);
  });
}

/** μLayer's split: processor throughput from FLOPs over the whole model, the same ratio for every operator. */
export function searchMulayer(ctx: PlanContext, model: CostModel): Segment[] {
  let f = 0;
  let cpuMs = 0;
  let gpuMs = 0;
  for (const op of ctx.graph.ops) {
    const fl = flops(op.ir.config);
    if (fl <= 0 || !op.gpuCapable) continue;
    f += fl;
    cpuMs += model.wholeMs(op, "cpu");
    gpuMs += model.wholeMs(op, "gpu");
  }
  const cpuRate = cpuMs > 0 ? f / cpuMs : 1;
  const gpuRate = gpuMs > 0 ? f / gpuMs : 1;
  const target = gpuRate / (cpuRate + gpuRate);
  const ratios = ctx.settings.ratios;
  const ratio = ratios.reduce((best, r) => (Math.abs(r - target) < Math.abs(best - target) - 1e-12 ? r : best), ratios[0] ?? 0.5);
  const faster = gpuRate >= cpuRate ? "gpu" : "cpu";
  return ctx.graph.ops.map((op): Segment => {
    const share = op.dims.includes("OC") ? model.shareOf(op, "OC", ratio) : undefined;
    if (share !== undefined) return { kind: "oc", op: op.index, ratio, share };
    return { kind: "whole", op: op.index, side: faster === "gpu" && op.gpuCapable ? "gpu" : "cpu" };
  });
}

export function runStrategy(ctx: PlanContext, strategy: Strategy, others: ReadonlyMap<Strategy, StrategyResult> = new Map()): StrategyResult {
  const score = (s: Strategy, model: CostModel, segments: Segment[]): StrategyResult => ({ strategy: s, model, segments, evaluation: evaluateSegments(model, ctx.graph, segments) });
  switch (strategy) {
    case "cpu":
      return score("cpu", ctx.model, whole(ctx, "cpu"));
    case "gpu":
      return score("gpu", ctx.model, whole(ctx, "gpu"));
    case "mulayer": {
      const buffers = new CostModel(ctx.profile, { gpuStorage: "buffer" });
      return score("mulayer", buffers, searchMulayer(ctx, buffers));
    }
    case "codl-greedy":
      return score("codl-greedy", ctx.model, searchGreedy(ctx));
    case "codl": {
      // Exact per path; between paths it is greedy, so keep whichever candidate of the same
      // search space predicts faster (the whole-model single-processor plans and Algorithm 1's).
      let best = score("codl", ctx.model, searchDp(ctx));
      const greedy = others.get("codl-greedy") ?? runStrategy(ctx, "codl-greedy");
      if (greedy.evaluation.totalMs < best.evaluation.totalMs - 1e-9) best = { ...greedy, strategy: "codl", keptFrom: "codl-greedy" };
      // The better single processor, unless co-execution is predicted faster than it by more
      // than minGain of its time.
      const gpu = others.get("gpu") ?? runStrategy(ctx, "gpu");
      const cpu = others.get("cpu") ?? runStrategy(ctx, "cpu");
      const [single, side] = cpu.evaluation.totalMs < gpu.evaluation.totalMs - 1e-9 ? [cpu, "cpu" as const] : [gpu, "gpu" as const];
      if (best.evaluation.totalMs > single.evaluation.totalMs * (1 - ctx.settings.minGain) + 1e-9) best = { ...single, strategy: "codl", keptFrom: side };
      return best;
    }
  }
}

/** Every strategy, in a fixed order, each computed once. */
export function runAll(ctx: PlanContext): Map<Strategy, StrategyResult> {
  const out = new Map<Strategy, StrategyResult>();
  for (const s of STRATEGIES) out.set(s, runStrategy(ctx, s, out));
  return out;
}

/** The zero-sharing bound: each operator at its best ratio, plus the run's fixed cost that every plan pays. */
export function idealMs(ctx: PlanContext): number {
  return ctx.choices.reduce((s, c) => s + c.idealMs, ctx.model.perRunMs);
}
