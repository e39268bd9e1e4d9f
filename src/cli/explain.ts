/**
 * `codl explain <model.onnx | bundle-dir> [--device d] [--op name]
 *  [--format text|json|html] [--strategy s] [--ratio-step r] [--input-shape …]`
 *
 * A bundle explains its own plan.json (checked against its manifest and the
 * plan schema); a model is planned first, which needs --device. `--op`
 * narrows the table to one operator (by name or id) and adds its ranges and
 * halo. `--format json` prints the report record of src/explain/report.ts.
 * `--trace trace.json` (a `codl_run --trace` of the bundle) shows predicted
 * and measured time per operator with the error instead (explain/measured.ts).
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { MANIFEST_FILE, PLAN_FILE, parseBundle } from "../bundle/bundle.js";
import { compileModel } from "../bundle/compile.js";
import { loadProfile } from "../device/load-profile.js";
import { CompilerError } from "../diag/errors.js";
import { formatExplainHtml } from "../explain/html.js";
import { buildExplainReport, type ExplainReport } from "../explain/report.js";
import { buildMeasuredReport, formatMeasuredText, type MeasuredReport, traceMismatch } from "../explain/measured.js";
import type { RebalancingReport } from "../emit/variants.js";
import { formatExplainText, formatRebalancing } from "../explain/text.js";
import { parseTrace } from "../profile/trace.js";
import { checkStrategy, type Plan } from "../plan/index.js";
import { parseMinGain, parseRatioStep } from "./compile.js";
import { externalDataReader, packageVersion, readModelFile } from "./io.js";
import { parseInputShapes } from "./options.js";
import type { CommandResult } from "./result.js";

export const explainOptionsSchema = z.object({
  device: z.string().min(1).optional(),
  op: z.string().min(1).optional(),
  format: z.enum(["text", "json", "html"]).default("text"),
  strategy: z.string().default("codl"),
  ratioStep: z.string().optional(),
  minGain: z.string().optional(),
  inputShape: z.array(z.string()).default([]),
  trace: z.string().optional(),
});

function readTrace(file: string): ReturnType<typeof parseTrace> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new CompilerError("CODL-E001", { path: file, cause: (e as NodeJS.ErrnoException).code ?? String(e) }, { cause: e });
  }
  try {
    return parseTrace(JSON.parse(text), file);
  } catch (e) {
    throw new CompilerError("CODL-E075", { path: file, cause: e instanceof Error ? e.message : String(e) });
  }
}

/** Reads and checks a bundle folder. */
export function readBundle(dir: string): Plan {
  if (!fs.existsSync(path.join(dir, MANIFEST_FILE)) && !fs.existsSync(path.join(dir, PLAN_FILE))) throw new CompilerError("CODL-E085", { path: dir });
  return parseBundle(dir, bundleReader(dir)).plan;
}

/** A checked bundle's rebalancing.json (compiled with --rebalance-steps), else undefined. */
export function readRebalancing(dir: string): RebalancingReport | undefined {
  const bytes = bundleReader(dir)("rebalancing.json");
  if (bytes === undefined) return undefined;
  try {
    const r = JSON.parse(new TextDecoder().decode(bytes)) as RebalancingReport;
    if (!Array.isArray(r.chains) || !Array.isArray(r.fixed) || typeof r.steps !== "number" || typeof r.ratioStep !== "number") throw new Error("no steps, ratioStep, chains or fixed");
    return r;
  } catch (e) {
    throw new CompilerError("CODL-E086", { path: dir, cause: `rebalancing.json is not codl's (${e instanceof Error ? e.message : String(e)})` });
  }
}

/** Reads a file of a bundle folder by its relative path; undefined if it is missing or outside the folder. */
function bundleReader(dir: string): (rel: string) => Uint8Array | undefined {
  return (rel) => {
    const file = path.join(dir, ...rel.split("/"));
    const real = path.resolve(file);
    if (!real.startsWith(path.resolve(dir) + path.sep)) return undefined;
    try {
      return fs.readFileSync(real);
    } catch {
      return undefined;
    }
  };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export async function runExplain(target: string, rawOptions: unknown): Promise<CommandResult & { report: ExplainReport; plan: Plan; measured?: MeasuredReport }> {
  const options = explainOptionsSchema.parse(rawOptions);
  const strategy = checkStrategy(options.strategy);
  const ratioStep = parseRatioStep(options.ratioStep);
  const minGain = parseMinGain(options.minGain);
  let plan: Plan;
  let rebalancing: RebalancingReport | undefined;
  if (isDirectory(target)) {
    plan = readBundle(target);
    rebalancing = readRebalancing(target);
  } else {
    const inputShapes = parseInputShapes(options.inputShape);
    if (options.device === undefined) throw new CompilerError("CODL-E088", {});
    const profile = loadProfile(options.device);
    const bytes = readModelFile(target);
    plan = compileModel(bytes, profile, {
      path: target,
      readExternal: externalDataReader(target),
      inputShapes,
      strategy,
      ratioStep,
      ...(minGain === undefined ? {} : { minGain }),
      toolVersion: packageVersion(),
      modelName: path.basename(target),
    }).plan;
  }
  const report = buildExplainReport(plan, options.op);
  if (options.trace !== undefined) {
    const trace = readTrace(options.trace);
    const mismatch = traceMismatch(plan, trace);
    if (mismatch !== undefined) throw new CompilerError("CODL-E076", { path: options.trace, what: `the plan of ${target}`, cause: mismatch });
    const measured = buildMeasuredReport(plan, trace);
    const stdout = options.format === "json" ? `${JSON.stringify(measured, null, 2)}\n` : formatMeasuredText(measured);
    return { exitCode: 0, stdout, report, plan, measured };
  }
  // A bundle compiled with --rebalance-steps: which chains the runtime may cut elsewhere (text and JSON).
  const rb = rebalancing === undefined || options.op !== undefined ? undefined : rebalancing;
  const stdout =
    options.format === "json"
      ? `${JSON.stringify(rb === undefined ? report : { ...report, rebalancing: rb }, null, 2)}\n`
      : options.format === "html"
        ? formatExplainHtml(report, plan)
        : `${formatExplainText(report)}${rb === undefined ? "" : `${formatRebalancing(rb).join("\n")}\n`}`;
  return { exitCode: 0, stdout, report, plan };
}
