/**
 * The testing aid `--force-dim H|OC --force-ratio r`: every operator that may
 * be split along that dimension is split at ratio r (its own unit: an H split
 * is a chain of one); the others run whole on the GPU when it has a kernel
 * for them, else on the CPU. With `--force-chain`, runs of chainable
 * operators on a path become H chains of up to --max-chain operators
 * instead, which exercises halo propagation. The result is scored and
 * documented exactly as a strategy's plan, so plan.json describes what the
 * bundle runs.
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import { CompilerError } from "../diag/errors.js";
import type { Graph } from "../ir/graph.js";
import { buildPlanDocument } from "../plan/document.js";
import { evaluateSegments, type Segment } from "../plan/evaluate.js";
import { DEFAULT_MAX_CHAIN, DEFAULT_MIN_GAIN, DEFAULT_RATIO_STEP, type PlanOptions, type PlanResult, ratioGrid } from "../plan/index.js";
import { buildPlanGraph } from "../plan/ops.js";
import { GREEDY_DELTA } from "../plan/search-greedy.js";
import { createContext, idealMs, REPORTED, type ReportedStrategy, runAll } from "../plan/strategies.js";

export interface ForceSplit {
  readonly dim: "H" | "OC";
  readonly ratio: number;
  /** H only: chain consecutive chainable operators of a path. */
  readonly chain?: boolean;
}

export function checkForceSplit(dim: string | undefined, ratio: string | number | undefined, chain = false): ForceSplit | undefined {
  if (dim === undefined && ratio === undefined && !chain) return undefined;
  if (chain && dim !== "H") throw new CompilerError("CODL-E091", { option: "--force-chain", value: String(dim), cause: "chains split rows: use --force-dim H" });
  if (dim !== "H" && dim !== "OC") throw new CompilerError("CODL-E091", { option: "--force-dim", value: String(dim), cause: "it must be H or OC" });
  const r = typeof ratio === "number" ? ratio : ratio === undefined ? Number.NaN : Number(ratio);
  if (!(r > 0 && r < 1)) throw new CompilerError("CODL-E091", { option: "--force-ratio", value: String(ratio), cause: "it must be a number strictly between 0 and 1" });
  return { dim, ratio: r, chain };
}

export function planForced(graph: Graph, profile: DeviceProfile, options: PlanOptions, force: ForceSplit): PlanResult {
  const start = performance.now();
  const ratioStep = options.ratioStep ?? DEFAULT_RATIO_STEP;
  const ctx = createContext(buildPlanGraph(graph), profile, { ratios: ratioGrid(ratioStep), maxChain: options.maxChain ?? DEFAULT_MAX_CHAIN, minGain: options.minGain ?? profile.planner?.minGain ?? DEFAULT_MIN_GAIN });
  const results = runAll(ctx);
  const totals = Object.fromEntries(REPORTED.map((s) => [s, s === "ideal" ? idealMs(ctx) : (results.get(s)?.evaluation.totalMs ?? Number.NaN)])) as Record<ReportedStrategy, number>;
  const single = (i: number): Segment => {
    const op = ctx.graph.ops[i]!;
    const share = op.dims.includes(force.dim) ? ctx.model.shareOf(op, force.dim, force.ratio) : undefined;
    if (share !== undefined) return force.dim === "OC" ? { kind: "oc", op: i, ratio: force.ratio, share } : { kind: "chain", ops: [i], ratio: force.ratio, share };
    return { kind: "whole", op: i, side: op.gpuCapable ? "gpu" : "cpu" };
  };
  const segments: Segment[] = [];
  const maxChain = options.maxChain ?? DEFAULT_MAX_CHAIN;
  for (const path of ctx.graph.paths) {
    let run: number[] = [];
    const flush = () => {
      if (run.length >= 2) {
        const share = ctx.model.shareOf(ctx.graph.ops[run[run.length - 1]!]!, "H", force.ratio)!;
        segments.push({ kind: "chain", ops: run, ratio: force.ratio, share });
      } else if (run.length === 1) segments.push(single(run[0]!));
      run = [];
    };
    for (const i of path) {
      const op = ctx.graph.ops[i]!;
      const chainable = force.chain === true && op.chainable && ctx.model.shareOf(op, "H", force.ratio) !== undefined;
      if (!chainable || run.length >= maxChain) flush();
      if (chainable) run.push(i);
      else segments.push(single(i));
    }
    flush();
  }
  const first = (s: Segment): number => (s.kind === "chain" ? s.ops[0]! : s.op);
  segments.sort((a, b) => first(a) - first(b));
  const strategy = options.strategy === undefined ? "codl" : (options.strategy as "codl");
  const chosen = { strategy, model: ctx.model, segments, evaluation: evaluateSegments(ctx.model, ctx.graph, segments) };
  const plan = buildPlanDocument(graph, ctx, chosen, totals, {
    toolVersion: options.toolVersion,
    modelName: options.modelName,
    modelSha256: options.modelSha256,
    profileSha256: options.profileSha256,
    ratioStep,
    greedyDelta: GREEDY_DELTA,
    inputShapes: options.inputShapes ?? {},
    gpuPrecision: options.gpuPrecision ?? "fp32",
    ...(options.fp16Refused === undefined ? {} : { fp16Refused: options.fp16Refused }),
  });
  return { plan, totals, millis: performance.now() - start };
}
