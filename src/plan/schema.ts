/**
 * The plan document (plan.json, DESIGN.md §3) as a zod schema;
 * `schemas/plan.schema.json` is generated from it (`planJsonSchemaText`),
 * and a test checks the committed copy is fresh. Times are milliseconds
 * rounded to 1 ns; ranges are half-open [begin, end).
 */

import { z } from "zod";

export const PLAN_FORMAT_VERSION = 1;
export const PLAN_SCHEMA_ID = "https://codl.dev/schemas/plan.schema.json";

const ms = z.number().nonnegative();
const range = z.tuple([z.int().nonnegative(), z.int().nonnegative()]);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const strategyNameSchema = z.enum(["cpu", "gpu", "mulayer", "codl-greedy", "codl"]);
export const gpuPrecisionSchema = z.enum(["fp32", "fp16"]);
export type GpuPrecision = z.infer<typeof gpuPrecisionSchema>;

export const REASON_CODES = [
  "CHAINED",
  "SPLIT_GAIN",
  "SHARING_EXCEEDS_GAIN",
  "NO_SPLIT_GAIN",
  "DATA_LOCALITY",
  "TOO_SMALL",
  "NOT_PARTITIONABLE",
  "GPU_UNSUPPORTED",
  "STRATEGY",
] as const;
export const reasonCodeSchema = z.enum(REASON_CODES);
export type ReasonCode = z.infer<typeof reasonCodeSchema>;

export const predictedSchema = z.object({
  cpuMs: ms,
  gpuMs: ms,
  transformMs: ms,
  mapMs: ms,
  syncMs: ms,
  totalMs: ms,
});

const alternativeSchema = z.object({ ratio: z.number().min(0).max(1), totalMs: ms, deltaMs: z.number() }).nullable();

export const operatorSchema = z.object({
  id: z.int().nonnegative(),
  name: z.string(),
  op: z.string(),
  /** The ONNX nodes this operator stands for (fusion). */
  onnxNodes: z.array(z.string()),
  kernels: z.object({ cpu: z.string(), gpu: z.string().nullable() }),
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
  outputShape: z.array(z.int().positive()),
  placement: z.object({
    processor: z.enum(["cpu", "gpu", "both"]),
    dim: z.enum(["H", "OC", "none"]),
    /** The GPU's share: 0 is CPU-only, 1 GPU-only. */
    ratio: z.number().min(0).max(1),
    /** Output rows (H, and whole placements) or channels (OC) each side computes. */
    gpu: range.nullable(),
    cpu: range.nullable(),
    /** Where the output is cut between the sides (rows for H, channels for OC). */
    split: z.int().nonnegative().nullable(),
    /** Input rows each side reads (H only): its rows plus the halo. */
    inputHalo: z.object({ gpu: range.nullable(), cpu: range.nullable() }).nullable(),
    chain: z.int().nonnegative().nullable(),
  }),
  predicted: predictedSchema,
  /** Best alternative per dimension, unchained, against this operator's total. */
  alternatives: z.object({ cpuMs: z.number().nonnegative().nullable(), gpuMs: z.number().nonnegative().nullable(), H: alternativeSchema, OC: alternativeSchema }),
  reason: reasonCodeSchema,
});
export type PlanOperator = z.infer<typeof operatorSchema>;

export const chainSchema = z.object({
  id: z.int().nonnegative(),
  operators: z.array(z.int().nonnegative()).min(2),
  dim: z.literal("H"),
  ratio: z.number().gt(0).lt(1),
  predictedMs: ms,
  /** The same operators, each split alone at its best ratio (sharing paid every time). */
  unchainedMs: ms,
  savedMs: z.number(),
});
export type PlanChain = z.infer<typeof chainSchema>;

export const tensorSchema = z.object({
  name: z.string(),
  shape: z.array(z.int().nonnegative()),
  bytes: z.int().nonnegative(),
  producer: z.int().nonnegative().nullable(),
  /** Where the whole tensor lives after its producer ran. */
  home: z.enum(["cpu", "gpu", "input", "constant"]),
  storage: z.object({ cpu: z.literal("buffer"), gpu: z.enum(["image", "buffer"]) }),
});

export const totalsSchema = z.object({
  strategy: strategyNameSchema,
  predictedMs: ms,
  baselines: z.object({ cpu: ms, gpu: ms, mulayer: ms, "codl-greedy": ms, codl: ms, ideal: ms }),
  splits: z.object({ H: z.int().nonnegative(), OC: z.int().nonnegative(), cpu: z.int().nonnegative(), gpu: z.int().nonnegative() }),
  chains: z.object({ count: z.int().nonnegative(), lengths: z.array(z.int().positive()) }),
});

export const planSchema = z.object({
  formatVersion: z.literal(PLAN_FORMAT_VERSION),
  tool: z.object({ name: z.literal("codl"), version: z.string() }),
  model: z.object({ name: z.string(), sha256, inputs: z.array(z.object({ name: z.string(), shape: z.array(z.int().nonnegative()) })), outputs: z.array(z.string()) }),
  profile: z.object({ id: z.string(), name: z.string(), sha256 }),
  strategy: strategyNameSchema,
  options: z.object({
    ratioStep: z.number().gt(0).max(0.5),
    ratios: z.array(z.number().gt(0).lt(1)),
    maxChainLength: z.int().positive(),
    minGain: z.number().min(0).lt(1),
    greedyDelta: z.number(),
    inputShapes: z.record(z.string(), z.array(z.int().positive())),
    /** Storage precision of GPU tensors and weights (the GPU computes in fp32 either way). */
    gpuPrecision: gpuPrecisionSchema.default("fp32"),
    /**
     * Set when fp16 was asked for and refused (src/plan/half-precision.ts): the graph output whose
     * binary16 error was estimated above the tolerance; gpuPrecision is then fp32.
     */
    fp16Refused: z
      .object({
        output: z.string(),
        node: z.string(),
        saturating: z.enum(["tanh", "sigmoid", "softmax"]),
        inputBound: z.number().min(0),
        estimatedError: z.number().min(0),
        tolerance: z.number().gt(0),
      })
      .optional(),
    /**
     * The profile's runtime overhead (profile.runtime), when it has one: perRunMs is in
     * totals.predictedMs, and each operator's predicted cpuMs / gpuMs include one dispatch.
     */
    runtime: z.object({ perRunMs: z.number().min(0), perCpuOpMs: z.number().min(0), perGpuOpMs: z.number().min(0) }).optional(),
    /** The profile's co-execution contention (profile.sharing.contention), when it has one: in every split operator's cpuMs and gpuMs. */
    contention: z.object({ cpu: z.number().min(1), gpu: z.number().min(1) }).optional(),
    /** How many of this plan's operators the profile's calibration measured (profile.calibration), per processor. */
    /** Operators priced from profile.calibration: whole on each side; `parts`, those whose split parts were measured (either side). */
    calibrated: z.object({ cpu: z.int().nonnegative(), gpu: z.int().nonnegative(), parts: z.int().nonnegative().optional() }).optional(),
  }),
  /** Set when `codl` kept another strategy's plan because it predicted faster. */
  keptFrom: strategyNameSchema.nullable(),
  tensors: z.array(tensorSchema),
  operators: z.array(operatorSchema),
  chains: z.array(chainSchema),
  totals: totalsSchema,
});
export type Plan = z.infer<typeof planSchema>;

export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(planSchema, { target: "draft-2020-12" }) as Record<string, unknown>;
  return { ...schema, $id: PLAN_SCHEMA_ID, title: "codl plan" };
}

/** The exact text of schemas/plan.schema.json. */
export function planJsonSchemaText(): string {
  return `${JSON.stringify(planJsonSchema(), null, 2)}\n`;
}
