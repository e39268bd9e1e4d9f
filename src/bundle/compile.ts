/**
 * The library's compile: model bytes + device profile → plan and in-memory
 * bundle. Imports and lowers the model, refuses unsupported operators
 * (CODL-E040, exit 3), plans every strategy and packs the chosen one; given
 * the runtime sources, it also emits the code (src/emit/): model.cc, the
 * OpenCL kernels, weights.bin and the CMake project. No fs, no console.
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import type { Graph } from "../ir/graph.js";
import { type LoadOptions, loadModel } from "../index.js";
import { assertSupported } from "../passes/supported.js";
import { emitBundleFiles } from "../emit/index.js";
import { DEFAULT_FP16_TOLERANCE, halfPrecisionRisks } from "../plan/half-precision.js";
import { planGraph, type PlanResult } from "../plan/index.js";
import type { GpuPrecision } from "../plan/schema.js";
import { type Bundle, buildBundle, jsonText, sha256Hex } from "./bundle.js";
import { type ForceSplit, planForced } from "./forced.js";

export interface CompileOptions extends LoadOptions {
  readonly strategy?: string;
  readonly ratioStep?: number;
  readonly maxChain?: number;
  readonly minGain?: number;
  readonly toolVersion: string;
  /** Shown in the plan; defaults to the graph's name. */
  readonly modelName?: string;
  /** codegen/runtime's files; without them the bundle holds the plan only. */
  readonly runtime?: ReadonlyMap<string, Uint8Array>;
  /** Testing aid: split every operator that allows it along this dimension at this ratio. */
  readonly force?: ForceSplit;
  /** A bundle that builds without OpenCL (implies strategy cpu). */
  readonly cpuOnlyBuild?: boolean;
  /** Storage precision of GPU tensors and weights; the GPU computes in fp32 either way (default fp32). */
  readonly gpuPrecision?: GpuPrecision;
  /** fp16 is refused (fp32 kept) where an output's estimated binary16 error exceeds this (default 1e-2). */
  readonly fp16Tolerance?: number;
  /** Rebalancing variants: each H split may be moved at run time by up to this many ratio steps (default 0). */
  readonly rebalanceSteps?: number;
}

export interface Compiled extends PlanResult {
  readonly graph: Graph;
  readonly bundle: Bundle;
}

/** SHA-256 of the profile as parsed, serialised canonically (the same for an id and its file). */
export function profileSha256(profile: DeviceProfile): string {
  return sha256Hex(jsonText(profile));
}

export function compileModel(bytes: Uint8Array, profile: DeviceProfile, options: CompileOptions): Compiled {
  const { graph } = loadModel(bytes, options);
  assertSupported(graph);
  const strategy = options.cpuOnlyBuild ? "cpu" : options.strategy;
  const fp16Refused = options.gpuPrecision === "fp16" ? halfPrecisionRisks(graph, options.fp16Tolerance ?? DEFAULT_FP16_TOLERANCE)[0] : undefined;
  const planOptions = {
    ...(strategy === undefined ? {} : { strategy }),
    ...(options.ratioStep === undefined ? {} : { ratioStep: options.ratioStep }),
    ...(options.maxChain === undefined ? {} : { maxChain: options.maxChain }),
    ...(options.minGain === undefined ? {} : { minGain: options.minGain }),
    toolVersion: options.toolVersion,
    modelName: options.modelName ?? graph.name,
    modelSha256: sha256Hex(bytes),
    profileSha256: profileSha256(profile),
    inputShapes: options.inputShapes ?? {},
    gpuPrecision: fp16Refused === undefined ? (options.gpuPrecision ?? "fp32") : "fp32",
    ...(fp16Refused === undefined ? {} : { fp16Refused }),
  };
  const result = options.force !== undefined && !options.cpuOnlyBuild ? planForced(graph, profile, planOptions, options.force) : planGraph(graph, profile, planOptions);
  const code =
    options.runtime === undefined
      ? new Map<string, Uint8Array>()
      : emitBundleFiles({ graph, plan: result.plan, profile, runtime: options.runtime, toolVersion: options.toolVersion, cpuOnly: options.cpuOnlyBuild ?? false, rebalanceSteps: options.rebalanceSteps ?? 0 });
  return { ...result, graph, bundle: buildBundle(result.plan, options.toolVersion, code) };
}
