/**
 * The library API. Bytes in, data out: no file system, no console. The CLI
 * (src/cli) is one client; tests are another.
 */

import type { Graph } from "./ir/graph.js";
import { type ImportOptions, importOnnx, type ModelInfo } from "./onnx/import.js";
import type { PassEvent } from "./passes/pass.js";
import { type PipelineOptions, runPipeline } from "./passes/pipeline.js";
import { buildInspectReport, type InspectReport } from "./inspect/report.js";

export { CompilerError, CATALOGUE, type ErrorCode } from "./diag/errors.js";
export type { Graph } from "./ir/graph.js";
export { printGraph } from "./ir/print.js";
export { PASS_NAMES, type PassName } from "./passes/pipeline.js";
export type { InspectReport } from "./inspect/report.js";
export { type Compiled, type CompileOptions, compileModel as compile } from "./bundle/compile.js";

export interface LoadOptions extends ImportOptions, PipelineOptions {}

export interface LoadedModel {
  readonly graph: Graph;
  readonly info: ModelInfo;
  readonly events: readonly PassEvent[];
}

/** Imports an ONNX model and lowers it through the pass pipeline. */
export function loadModel(bytes: Uint8Array, options: LoadOptions = {}): LoadedModel {
  const { graph, info } = importOnnx(bytes, options);
  const result = runPipeline(graph, options);
  return { graph: result.graph, info, events: result.events };
}

export function inspectModel(bytes: Uint8Array, options: LoadOptions = {}): InspectReport {
  const model = loadModel(bytes, options);
  return buildInspectReport(model.graph, model.info, model.events);
}
