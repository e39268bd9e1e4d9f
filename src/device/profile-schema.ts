/**
 * The device profile: the single source of truth for what codl knows about a
 * phone (DESIGN.md §3). `schemas/device-profile.schema.json` is generated from
 * this schema (see json-schema.ts); never edit that file by hand.
 */

import { z } from "zod";

const positiveInt = z.int().positive();
const nonNegative = z.number().nonnegative();

export const provenanceKindSchema = z.enum(["measured", "fitted-to-public-data", "spec-derived"]);
export type ProvenanceKind = z.infer<typeof provenanceKindSchema>;

export const provenancePartSchema = z.object({
  kind: provenanceKindSchema,
  /** Where the numbers came from: a dataset, a datasheet, a measurement run. */
  source: z.string().min(1),
});

export const provenanceSchema = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a date YYYY-MM-DD"),
  toolVersion: z.string().min(1),
  /** The GPU driver the numbers describe, or "unknown". */
  driver: z.string().min(1),
  cpu: provenancePartSchema,
  gpu: provenancePartSchema,
  sharing: provenancePartSchema,
  cpuKernels: provenancePartSchema,
  gpuKernels: provenancePartSchema,
  notes: z.string().optional(),
});

export const cpuSchema = z.object({
  name: z.string().min(1),
  /** Big cores the CPU half may use. */
  cores: positiveInt,
  threads: positiveInt,
  clockGHz: z.number().positive(),
  simd: z.enum(["neon", "neon-fp16", "sse4", "avx2", "avx512", "scalar"]),
  xnnpack: z.object({ mr: positiveInt, nr: positiveInt, cr: positiveInt }),
  /**
   * A convolution whose CPU weights exceed aboveBytes runs as consecutive chunks of output channels,
   * each its own XNNPACK operator with about chunkBytes of weights at most (multiples of 16 channels,
   * no more than maxChunks chunks): XNNPACK walks output-pixel tiles outside output-channel tiles, so it
   * reads weights that do not stay in cache once per pixel tile. Absent: one operator, as the CPU records
   * of every profile were measured. Set it only where measured (bench/native/oc-chunks.cc): where the
   * cache ends is the machine's.
   */
  convChunks: z.object({ aboveBytes: positiveInt, chunkBytes: positiveInt, maxChunks: positiveInt }).optional(),
});

export const gpuSchema = z.object({
  name: z.string().min(1),
  /** `pocl`: an OpenCL device that runs work-groups as loops on CPU threads (PoCL's pthread device). */
  vendor: z.enum(["adreno", "mali", "pocl", "other"]),
  computeUnits: positiveInt,
  /** Threads per wave/warp. */
  waveSize: positiveInt,
  maxWorkGroupSize: positiveInt,
  globalMemCacheBytes: positiveInt,
  constantMemoryBytes: positiveInt,
  clockMHz: z.number().positive(),
  imageSupport: z.boolean(),
  preferredStorage: z.enum(["image", "buffer"]),
  /**
   * CL_DEVICE_IMAGE2D_MAX_WIDTH and _HEIGHT. A model with a tensor whose
   * image (width · ⌈C/4⌉ by N · H texels) exceeds them uses buffer storage.
   * Absent: 16384, what current Adreno and Mali GPUs report.
   */
  image2dMax: z.tuple([positiveInt, positiveInt]).optional(),
  fp16: z.boolean(),
  /**
   * Work items that share one fully connected output block's K loop (a power of
   * two, at most maxWorkGroupSize): each reads every fcSplitK-th float4 of the
   * weights and a work-group adds the partial sums in local memory. For a GPU
   * with far more threads than an FC has output blocks (VGG-16's 25088→4096 has
   * 1,024); absent or 1: one work item per block, its K loop serial.
   */
  fcSplitK: positiveInt
    .refine((k) => (k & (k - 1)) === 0, "a power of two")
    .optional(),
});

/** A cost linear in bytes: intercept + bytes · perByte, in milliseconds. */
export const linearBytesSchema = z.object({ interceptMs: nonNegative, perByteMs: nonNegative });

export const sharingSchema = z.object({
  transform: linearBytesSchema,
  map: linearBytesSchema,
  unmap: linearBytesSchema,
  /** Pre-sync: telling the other side the data is ready. */
  syncMs: nonNegative,
  /**
   * A slab copy between the CPU buffer and a GPU buffer tensor (clEnqueueCopyBufferRect),
   * what buffer storage pays where image storage pays `transform`. Absent: `transform`'s.
   */
  copy: linearBytesSchema.optional(),
  /**
   * Co-execution contention: how much slower each side's part of a split operator runs
   * while the other side runs (shared memory bandwidth, caches, cores), as a factor ≥ 1.
   * Fitted by `codl train --from-trace` from a co-execution trace beside the same model's
   * single-processor traces. Absent: 1 and 1 (the paper's assumption).
   */
  contention: z.object({ cpu: z.number().min(1), gpu: z.number().min(1), source: z.string().optional() }).optional(),
});

const sameLengths = (m: { features: string[]; means: number[]; stds: number[]; coefficients: number[] }): boolean =>
  m.means.length === m.features.length && m.stds.length === m.features.length && m.coefficients.length === m.features.length;
const SAME_LENGTHS = { message: "features, means, stds and coefficients must have the same length", path: ["coefficients"] };

/** One z-scored linear term: intercept + Σ coefficientᵢ · (featureᵢ − meanᵢ) / stdᵢ (ms). */
export const linearTermSchema = z
  .object({
    features: z.array(z.string().min(1)),
    means: z.array(z.number()),
    stds: z.array(z.number().positive()),
    coefficients: z.array(z.number()),
    intercept: z.number(),
  })
  .refine(sameLengths, SAME_LENGTHS);

export const kernelModelSchema = z
  .object({
    kernel: z.string().min(1),
    processor: z.enum(["cpu", "gpu"]),
    /** Feature names from predict/features.ts, evaluated on the kernel's blocking. */
    features: z.array(z.string().min(1)),
    means: z.array(z.number()),
    stds: z.array(z.number().positive()),
    coefficients: z.array(z.number()),
    intercept: z.number(),
    /**
     * A second linear term; the model predicts the larger of the two. A GPU
     * kernel is either bound by each item's serial chain of dependent loads
     * (small launches: time follows the loop and the outputs per item) or by
     * the throughput of the whole device (large ones: time follows the work per
     * compute unit), and its time is the larger of the two, not their sum.
     * Absent: the first term alone.
     */
    maxWith: linearTermSchema.optional(),
    nSamples: z.int().nonnegative(),
    /** Share of held-out samples within ±10%; null when nothing was held out. */
    heldOutAcc10: z.number().min(0).max(1).nullable(),
    /** The fixed cost of one launch on this processor: no prediction goes below it (1 µs when absent). */
    floorMs: nonNegative.optional(),
    source: z.string().optional(),
  })
  .refine(sameLengths, SAME_LENGTHS);

export const runtimeOverheadSchema = z.object({
  perRunMs: nonNegative,
  perCpuOpMs: nonNegative,
  perGpuOpMs: nonNegative,
  source: z.string().optional(),
});

export const deviceProfileSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected a lower-case id such as sd855"),
  name: z.string().min(1),
  soc: z.string().min(1),
  provenance: provenanceSchema,
  cpu: cpuSchema,
  gpu: gpuSchema,
  sharing: sharingSchema,
  kernelModels: z.array(kernelModelSchema),
  /**
   * Planner defaults for this device. minGain: the predicted gain a
   * co-execution plan needs over the better single processor to be chosen
   * (a fraction); a profile whose kernel models are known to be inaccurate
   * sets one so that prediction error does not pick a slower plan. Absent: 0.
   */
  planner: z.object({ minGain: z.number().min(0).lt(1) }).optional(),
  /**
   * The runtime's cost outside the kernels (predict/runtime-fit.ts): per run
   * (input in, output out) and per operator dispatched on each processor.
   * Fitted by `codl train --from-trace`. Absent: 0.
   */
  runtime: runtimeOverheadSchema.optional(),
  /**
   * Operators measured whole inside whole-model runs (`codl train --from-trace --calibrate`):
   * kernel time per exact configuration (kernels/op-config.ts configKey). The planner prices
   * such an operator from its measurement, and scales the regression's price of its parts by
   * measured / predicted (plan/cost.ts). Absent: every operator priced by the kernel models.
   *
   * `parts`: split operators' parts timed inside co-execution traces, per side, whole-operator key,
   * split dimension and output range [lo, hi) of `extent` rows or channels; `ms` as measured, beside
   * the other side (the planner divides by sharing.contention before it applies contention again).
   * A part of such an operator is priced at the regression's price times measured / predicted,
   * interpolated in the part's share between the measured shares (and the whole measurement):
   * a part is not its share of the whole (caches, weight streaming, work-group counts).
   */
  calibration: z
    .object({
      source: z.string(),
      ops: z.array(z.object({ processor: z.enum(["cpu", "gpu"]), key: z.string().min(1), ms: z.number().positive(), runs: z.number().int().positive() })),
      parts: z
        .array(
          z.object({
            processor: z.enum(["cpu", "gpu"]),
            key: z.string().min(1),
            dim: z.enum(["H", "OC"]),
            range: z.tuple([z.number().int().nonnegative(), z.number().int().positive()]),
            extent: z.number().int().positive(),
            ms: z.number().positive(),
            runs: z.number().int().positive(),
          })
          .refine((p) => p.range[0] < p.range[1] && p.range[1] <= p.extent && p.range[1] - p.range[0] < p.extent, {
            message: "a part's range [lo, hi) must lie within [0, extent) and be part of it, not all of it",
            path: ["range"],
          }),
        )
        .optional(),
    })
    .optional(),
});

export type DeviceProfile = z.infer<typeof deviceProfileSchema>;
export type KernelModel = z.infer<typeof kernelModelSchema>;
export type LinearTerm = z.infer<typeof linearTermSchema>;
export type GpuSection = z.infer<typeof gpuSchema>;
export type CpuSection = z.infer<typeof cpuSchema>;
export type Sharing = z.infer<typeof sharingSchema>;
export type LinearBytes = z.infer<typeof linearBytesSchema>;
export type RuntimeOverhead = z.infer<typeof runtimeOverheadSchema>;
