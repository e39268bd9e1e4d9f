/**
 * The whole IR lowering, in order. Every pass has a stable name, usable as
 * `--dump-after=<name>`; `runPipeline` verifies the graph after each pass
 * and calls the instrument hook, so dumps and timings never live in passes.
 */

import { CompilerError } from "../diag/errors.js";
import type { Graph } from "../ir/graph.js";
import { verifyGraph } from "../ir/verify.js";
import { eliminateDeadCode } from "./dce.js";
import { fuseActivation } from "./fuse-activation.js";
import { fuseConvBn } from "./fuse-conv-bn.js";
import { fuseHardSwish } from "./fuse-hardswish.js";
import { type InferShapesOptions, inferShapes } from "./infer-shapes.js";
import type { PassContext, PassEvent } from "./pass.js";

export interface PipelineOptions extends InferShapesOptions {
  /** Called after every pass with the verified graph (for --dump-after and timing). */
  readonly afterPass?: (name: PassName, graph: Graph, millis: number) => void;
}

export const PASSES = [
  { name: "infer-shapes", run: (g: Graph, _ctx: PassContext, o: PipelineOptions) => inferShapes(g, o) },
  { name: "fuse-conv-bn", run: (g: Graph, ctx: PassContext) => fuseConvBn(g, ctx) },
  { name: "fuse-hardswish", run: (g: Graph, ctx: PassContext) => fuseHardSwish(g, ctx) },
  { name: "fuse-activation", run: (g: Graph, ctx: PassContext) => fuseActivation(g, ctx) },
  { name: "dce", run: (g: Graph, ctx: PassContext) => eliminateDeadCode(g, ctx) },
] as const;

export type PassName = (typeof PASSES)[number]["name"] | "import";
export const PASS_NAMES: readonly PassName[] = ["import", ...PASSES.map((p) => p.name)];

export function checkPassName(name: string): PassName {
  if (!(PASS_NAMES as readonly string[]).includes(name)) throw new CompilerError("CODL-E051", { pass: name, valid: PASS_NAMES.join(", ") });
  return name as PassName;
}

export interface PipelineResult {
  readonly graph: Graph;
  readonly events: readonly PassEvent[];
}

export function runPipeline(graph: Graph, options: PipelineOptions = {}): PipelineResult {
  const events: PassEvent[] = [];
  const ctx: PassContext = { record: (e) => events.push(e) };
  verifyGraph(graph, { requireShapes: false });
  options.afterPass?.("import", graph, 0);
  let current = graph;
  for (const pass of PASSES) {
    const start = performance.now();
    current = pass.run(current, ctx, options);
    verifyGraph(current, { requireShapes: true });
    options.afterPass?.(pass.name, current, performance.now() - start);
  }
  return { graph: current, events };
}
