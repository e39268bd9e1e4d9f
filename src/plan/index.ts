/**
 * The planner, in order (DESIGN.md §1, §4):
 *
 *   buildPlanGraph   IR → PlanOps (kernel geometry, split dims) + linear paths   ops.ts
 *   createContext    per-op choices: {H, OC} × ratio grid, CPU, GPU            choices.ts
 *   runAll           cpu, gpu, mulayer, codl-greedy, codl                        strategies.ts
 *   idealMs          the zero-sharing bound (reported, never emitted)
 *   buildPlanDocument  the chosen strategy as plan.json                           document.ts
 *
 * Consumes a lowered graph (static shapes, supported ops only) and a device
 * profile; produces the plan document. No fs, no console.
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import { CompilerError } from "../diag/errors.js";
import type { Graph } from "../ir/graph.js";
import { buildPlanDocument, type DocumentMeta } from "./document.js";
import type { HalfPrecisionRisk } from "./half-precision.js";
import { buildPlanGraph } from "./ops.js";
import type { GpuPrecision, Plan } from "./schema.js";
import { GREEDY_DELTA } from "./search-greedy.js";
import { createContext, idealMs, REPORTED, type ReportedStrategy, runAll, STRATEGIES, type Strategy } from "./strategies.js";

export { REPORTED, STRATEGIES, type Strategy } from "./strategies.js";
export type { Plan } from "./schema.js";

export const DEFAULT_RATIO_STEP = 0.025;
export const DEFAULT_MAX_CHAIN = 32;
/** See SearchSettings.minGain. */
export const DEFAULT_MIN_GAIN = 0;

export interface PlanOptions {
  readonly strategy?: string;
  readonly ratioStep?: number;
  readonly maxChain?: number;
  readonly minGain?: number;
  readonly toolVersion: string;
  readonly modelName: string;
  readonly modelSha256: string;
  readonly profileSha256: string;
  readonly inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Storage precision of GPU tensors and weights (recorded in the plan; default fp32). */
  readonly gpuPrecision?: GpuPrecision;
  /** Why fp16 was asked for and not used (then gpuPrecision is fp32). */
  readonly fp16Refused?: HalfPrecisionRisk;
}

/** The interior ratios of the grid: step, 2·step, … below 1 (0 and 1 are the whole placements). */
export function ratioGrid(step: number): number[] {
  checkRatioStep(step);
  const out: number[] = [];
  for (let k = 1; k * step < 1 - 1e-9; k++) out.push(Math.round(k * step * 1e9) / 1e9);
  return out;
}

export function checkRatioStep(step: number): void {
  if (!Number.isFinite(step) || step <= 0 || step > 0.5) throw new CompilerError("CODL-E083", { value: String(step) });
}

export function checkStrategy(name: string): Strategy {
  if (name === "ideal") throw new CompilerError("CODL-E084", {});
  if (!(STRATEGIES as readonly string[]).includes(name)) throw new CompilerError("CODL-E082", { strategy: name, known: STRATEGIES.join(", ") });
  return name as Strategy;
}

export interface PlanResult {
  readonly plan: Plan;
  readonly totals: Readonly<Record<ReportedStrategy, number>>;
  /** Wall time of planning, for benchmarks (not part of the plan). */
  readonly millis: number;
}

export function planGraph(graph: Graph, profile: DeviceProfile, options: PlanOptions): PlanResult {
  const start = performance.now();
  const strategy = checkStrategy(options.strategy ?? "codl");
  const ratioStep = options.ratioStep ?? DEFAULT_RATIO_STEP;
  const settings = { ratios: ratioGrid(ratioStep), maxChain: options.maxChain ?? DEFAULT_MAX_CHAIN, minGain: options.minGain ?? profile.planner?.minGain ?? DEFAULT_MIN_GAIN };
  const ctx = createContext(buildPlanGraph(graph), profile, settings);
  const results = runAll(ctx);
  const totals = Object.fromEntries(REPORTED.map((s) => [s, s === "ideal" ? idealMs(ctx) : (results.get(s)?.evaluation.totalMs ?? Number.NaN)])) as Record<ReportedStrategy, number>;
  const meta: DocumentMeta = {
    toolVersion: options.toolVersion,
    modelName: options.modelName,
    modelSha256: options.modelSha256,
    profileSha256: options.profileSha256,
    ratioStep,
    greedyDelta: GREEDY_DELTA,
    inputShapes: options.inputShapes ?? {},
    gpuPrecision: options.gpuPrecision ?? "fp32",
    ...(options.fp16Refused === undefined ? {} : { fp16Refused: options.fp16Refused }),
  };
  const plan = buildPlanDocument(graph, ctx, results.get(strategy)!, totals, meta);
  return { plan, totals, millis: performance.now() - start };
}
