/**
 * `codl inspect model.onnx [--json] [--input-shape name=dims …] [--dump-after pass]`.
 */

import { type InspectReport, inspectModel, printGraph } from "../index.js";
import { formatInspectText } from "../inspect/report.js";
import { externalDataReader, readModelFile } from "./io.js";
import { commonModelOptionsSchema, parseDumpAfter, parseInputShapes } from "./options.js";
import type { CommandResult } from "./result.js";

export async function runInspect(model: string, rawOptions: unknown): Promise<CommandResult & { report: InspectReport }> {
  const options = commonModelOptionsSchema.parse(rawOptions);
  const dumpAfter = parseDumpAfter(options.dumpAfter);
  const inputShapes = parseInputShapes(options.inputShape);
  const bytes = readModelFile(model);
  let dump = "";
  const report = inspectModel(bytes, {
    path: model,
    readExternal: externalDataReader(model),
    inputShapes,
    afterPass: (name, graph) => {
      if (name === dumpAfter) dump = printGraph(graph);
    },
  });
  const body = options.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspectText(report);
  return { exitCode: 0, stdout: dump === "" ? body : `${dump}\n${body}`, report };
}
