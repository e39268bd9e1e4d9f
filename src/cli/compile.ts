/**
 * `codl compile model.onnx --device <id|path> --out <dir> [--strategy s]
 *  [--ratio-step r] [--input-shape name=dims …] [--force-dim H|OC --force-ratio r [--force-chain]]
 *  [--gpu-precision fp32|fp16] [--cpu-only-build] [--plan-only] [--json]`
 *
 * Plans the model with every strategy, writes the chosen plan as a bundle
 * (plan.json, manifest.json, and unless --plan-only the generated code:
 * src/model.cc, src/runtime/, kernels/*.cl, weights.bin, CMakeLists.txt,
 * CMakePresets.json, README.md) atomically — into a temporary sibling folder
 * that is renamed into place, so an error never leaves a half-written
 * bundle — and prints the predicted latency of the chosen strategy and of
 * every baseline, the splits by dimension and the chains.
 *
 * `--json` prints { model, device, strategy, keptFrom, out, files,
 * predictedMs, baselines, splits, chains: { count, lengths } }; keys and
 * order are stable.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { compileModel } from "../bundle/compile.js";
import { type Bundle, MANIFEST_FILE } from "../bundle/bundle.js";
import { checkForceSplit } from "../bundle/forced.js";
import { readRuntimeSources } from "../bundle/runtime-sources.js";
import { loadProfile } from "../device/load-profile.js";
import { CompilerError } from "../diag/errors.js";
import type { RebalancingReport } from "../emit/variants.js";
import { formatCompileSummary } from "../explain/text.js";
import { checkRatioStep, checkStrategy, DEFAULT_RATIO_STEP, type Plan } from "../plan/index.js";
import { type GpuPrecision, gpuPrecisionSchema } from "../plan/schema.js";
import { externalDataReader, packageVersion, readModelFile } from "./io.js";
import { parseInputShapes } from "./options.js";
import type { CommandResult } from "./result.js";

export const compileOptionsSchema = z.object({
  device: z.string().min(1),
  out: z.string().min(1),
  strategy: z.string().default("codl"),
  ratioStep: z.string().optional(),
  minGain: z.string().optional(),
  inputShape: z.array(z.string()).default([]),
  forceDim: z.string().optional(),
  forceRatio: z.string().optional(),
  forceChain: z.boolean().default(false),
  gpuPrecision: z.string().default("fp32"),
  fp16Tolerance: z.string().optional(),
  rebalanceSteps: z.string().optional(),
  cpuOnlyBuild: z.boolean().default(false),
  planOnly: z.boolean().default(false),
  json: z.boolean().default(false),
});

export function parseRatioStep(value: string | undefined): number {
  if (value === undefined) return DEFAULT_RATIO_STEP;
  const step = /^\s*[0-9.eE+-]+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (Number.isNaN(step)) throw new CompilerError("CODL-E083", { value });
  checkRatioStep(step);
  return step;
}

/** --min-gain; undefined when not given (the profile's planner.minGain, else 0, applies). */
export function parseMinGain(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const gain = /^\s*[0-9.eE+-]+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(gain >= 0 && gain < 1)) throw new CompilerError("CODL-E089", { value });
  return gain;
}

export function parseFp16Tolerance(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const tol = /^\s*[0-9.eE+-]+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(tol > 0 && tol <= 1)) throw new CompilerError("CODL-E095", { value });
  return tol;
}

/** --rebalance-steps: how many ratio steps either way the runtime may move each H split (0: none). */
export function parseRebalanceSteps(value: string | undefined): number {
  if (value === undefined) return 0;
  const steps = /^\s*[0-9]+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(steps >= 0 && steps <= 20)) throw new CompilerError("CODL-E097", { value });
  return steps;
}

export function parseGpuPrecision(value: string): GpuPrecision {
  const parsed = gpuPrecisionSchema.safeParse(value);
  if (!parsed.success) throw new CompilerError("CODL-E093", { value });
  return parsed.data;
}

/** Refuses an --out that is a file, or a non-empty folder that is not a codl bundle (it would be replaced). */
export function checkOutDir(out: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new CompilerError("CODL-E081", { path: out, cause: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  if (!stat.isDirectory()) throw new CompilerError("CODL-E080", { path: out });
  const entries = fs.readdirSync(out);
  if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) throw new CompilerError("CODL-E081", { path: out, cause: "it is a non-empty folder that is not a codl bundle" });
}

/** Writes every file under a temporary sibling folder, then renames it over `out`. */
export function writeBundleAtomic(out: string, bundle: Bundle): void {
  checkOutDir(out);
  const target = path.resolve(out);
  const parent = path.dirname(target);
  const base = path.basename(target);
  const fail = (e: unknown): never => {
    throw new CompilerError("CODL-E081", { path: out, cause: (e as NodeJS.ErrnoException).code ?? String(e) }, { cause: e });
  };
  let tmp = "";
  try {
    tmp = fs.mkdtempSync(path.join(parent, `.${base}.tmp-`));
  } catch (e) {
    fail(e);
  }
  let old: string | undefined;
  try {
    for (const [rel, bytes] of bundle.files) {
      const file = path.join(tmp, ...rel.split("/"));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, bytes);
    }
    if (fs.existsSync(target)) {
      old = `${tmp}.old`;
      fs.renameSync(target, old);
    }
    try {
      fs.renameSync(tmp, target);
    } catch (e) {
      if (old !== undefined) fs.renameSync(old, target);
      old = undefined;
      throw e;
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    fail(e);
  }
  if (old !== undefined) fs.rmSync(old, { recursive: true, force: true });
}

export interface CompileReport {
  readonly model: string;
  readonly device: string;
  readonly strategy: string;
  readonly keptFrom: string | null;
  readonly out: string;
  readonly files: readonly string[];
  readonly predictedMs: number;
  readonly baselines: Plan["totals"]["baselines"];
  readonly splits: Plan["totals"]["splits"];
  readonly chains: Plan["totals"]["chains"];
  readonly gpuPrecision: Plan["options"]["gpuPrecision"];
  readonly fp16Refused?: Plan["options"]["fp16Refused"];
  /** --rebalance-steps: H chains that can move their cut at run time, of all H chains, and their other cuts. */
  readonly rebalancing?: { readonly chains: number; readonly of: number; readonly cuts: number };
}

export async function runCompile(model: string, rawOptions: unknown): Promise<CommandResult & { plan: Plan; report: CompileReport }> {
  const options = compileOptionsSchema.parse(rawOptions);
  const strategy = checkStrategy(options.strategy);
  const ratioStep = parseRatioStep(options.ratioStep);
  const minGain = parseMinGain(options.minGain);
  const inputShapes = parseInputShapes(options.inputShape);
  const gpuPrecision = parseGpuPrecision(options.gpuPrecision);
  const fp16Tolerance = parseFp16Tolerance(options.fp16Tolerance);
  const force = checkForceSplit(options.forceDim, options.forceRatio, options.forceChain);
  const rebalanceSteps = parseRebalanceSteps(options.rebalanceSteps);
  checkOutDir(options.out);
  const profile = loadProfile(options.device);
  const bytes = readModelFile(model);
  const version = packageVersion();
  const compiled = compileModel(bytes, profile, {
    path: model,
    readExternal: externalDataReader(model),
    inputShapes,
    strategy,
    ratioStep,
    ...(minGain === undefined ? {} : { minGain }),
    toolVersion: version,
    modelName: path.basename(model),
    ...(force === undefined ? {} : { force }),
    cpuOnlyBuild: options.cpuOnlyBuild,
    gpuPrecision,
    ...(fp16Tolerance === undefined ? {} : { fp16Tolerance }),
    rebalanceSteps,
    ...(options.planOnly ? {} : { runtime: readRuntimeSources() }),
  });
  writeBundleAtomic(options.out, compiled.bundle);
  const plan = compiled.plan;
  const files = [...compiled.bundle.files.keys()];
  const rbBytes = compiled.bundle.files.get("rebalancing.json");
  const rebalancing = rbBytes === undefined ? undefined : (JSON.parse(new TextDecoder().decode(rbBytes)) as RebalancingReport);
  const report: CompileReport = {
    model: plan.model.name,
    device: plan.profile.id,
    strategy: plan.strategy,
    keptFrom: plan.keptFrom,
    out: options.out,
    files,
    predictedMs: plan.totals.predictedMs,
    baselines: plan.totals.baselines,
    splits: plan.totals.splits,
    chains: plan.totals.chains,
    gpuPrecision: plan.options.gpuPrecision,
    ...(plan.options.fp16Refused === undefined ? {} : { fp16Refused: plan.options.fp16Refused }),
    ...(rebalancing === undefined
      ? {}
      : { rebalancing: { chains: rebalancing.chains.length, of: rebalancing.chains.length + rebalancing.fixed.length, cuts: rebalancing.chains.reduce((n, c) => n + c.cuts.length - 1, 0) } }),
  };
  const stdout = options.json ? `${JSON.stringify(report, null, 2)}\n` : formatCompileSummary(plan, path.basename(model), options.out, files, rebalancing);
  return { exitCode: 0, stdout, plan, report };
}
