/**
 * The testing aid `--force-dim H|OC --force-ratio r`: every operator that may
 * be split along that dimension is split at ratio r (its own unit: an H split
 * is a chain of one); the others run whole on the GPU when it has a kernel
 * for them, else on the CPU. The result is scored and documented exactly as a
 * strategy's plan, so plan.json describes what the bundle runs.
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import { CompilerError } from "../diag/errors.js";
import type { Graph } from "../ir/graph.js";
import { buildPlanDocument } from "../plan/document.js";
import { evaluateSegments, type Segment } from "../plan/evaluate.js";
import { DEFAULT_MAX_CHAIN, DEFAULT_RATIO_STEP, type PlanOptions, type PlanResult, ratioGrid } from "../plan/index.js";
import { buildPlanGraph } from "../plan/ops.js";
import { GREEDY_DELTA } from "../plan/search-greedy.js";
import { createContext, idealMs, REPORTED, type ReportedStrategy, runAll } from "../plan/strategies.js";

export interface ForceSplit {
  readonly dim: "H" | "OC";
  readonly ratio: number;
}

export function checkForceSplit(dim: string | undefined, ratio: string | number | undefined): ForceSplit | undefined {
  if (dim === undefined && ratio === undefined) return undefined;
  if (dim !== "H" && dim !== "OC") throw new CompilerError("CODL-E091", { option: "--force-dim", value: String(dim), cause: "it must be H or OC" });
  const r = typeof ratio === "number" ? ratio : ratio === undefined ? Number.NaN : Number(ratio);
  if (!(r > 0 && r < 1)) throw new CompilerError("CODL-E091", { option: "--force-ratio", value: String(ratio), cause: "it must be a number strictly between 0 and 1" });
  return { dim, ratio: r };
}

export function planForced(graph: Graph, profile: DeviceProfile, options: PlanOptions, force: ForceSplit): PlanResult {
  const start = performance.now();
  const ratioStep = options.ratioStep ?? DEFAULT_RATIO_STEP;
  const ctx = createContext(buildPlanGraph(graph), profile, { ratios: ratioGrid(ratioStep), maxChain: options.maxChain ?? DEFAULT_MAX_CHAIN });
  const results = runAll(ctx);
  const totals = Object.fromEntries(REPORTED.map((s) => [s, s === "ideal" ? idealMs(ctx) : (results.get(s)?.evaluation.totalMs ?? Number.NaN)])) as Record<ReportedStrategy, number>;
  const segments = ctx.graph.ops.map((op): Segment => {
    const share = op.dims.includes(force.dim) ? ctx.model.shareOf(op, force.dim, force.ratio) : undefined;
    if (share !== undefined) return force.dim === "OC" ? { kind: "oc", op: op.index, ratio: force.ratio, share } : { kind: "chain", ops: [op.index], ratio: force.ratio, share };
    return { kind: "whole", op: op.index, side: op.gpuCapable ? "gpu" : "cpu" };
  });
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
  });
  return { plan, totals, millis: performance.now() - start };
}
