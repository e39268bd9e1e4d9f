/**
 * Candidate feature sets per kernel family. Training picks one per kernel by
 * cross-validation inside the training part. The GPU sets differ only in
 * where the occupancy floor sits (the hinge points, in items·block per CU).
 */

import type { Candidate } from "./kernel-model.js";
import { hinge } from "./features.js";

const GPU_COMMON = ["work_groups", "work_items", "input_bytes", "output_bytes", "weight_bytes"];

export const GPU_CANDIDATES: readonly Candidate[] = [
  { name: "hinge-1k/4k/16k", features: ["loop*block", "loop*cu_work", hinge(1000), hinge(4000), hinge(16000), ...GPU_COMMON] },
  { name: "hinge-250/1k/4k/16k", features: ["loop*block", hinge(250), hinge(1000), hinge(4000), hinge(16000), ...GPU_COMMON] },
  { name: "hinge-8k", features: ["loop*block", "loop*cu_work", hinge(8000), ...GPU_COMMON] },
  { name: "hinge-rounds", features: ["loop*block", "loop*cu_work", hinge(1000), hinge(4000), hinge(16000), "loop*rounds", "rounds", ...GPU_COMMON] },
];

/** Matrix-vector kernels: bound by streaming the weights once. */
export const GEMV_CANDIDATES: readonly Candidate[] = [
  { name: "weights", features: ["weight_bytes"] },
  { name: "weights-out", features: ["weight_bytes", "output_bytes"] },
  { name: "weights-loop", features: ["weight_bytes", "loop*block", "output_bytes"] },
];

/** For kernels with few samples: fewer coefficients. */
export const GPU_SMALL_CANDIDATES: readonly Candidate[] = [
  { name: "loop-work", features: ["loop*block", "loop*cu_work", "work_items", "input_bytes", "output_bytes"] },
  { name: "work", features: ["loop*cu_work", "input_bytes", "output_bytes"] },
  { name: "flops-bytes", features: ["flops", "input_bytes", "output_bytes", "weight_bytes"] },
];

export const CPU_CANDIDATES: readonly Candidate[] = [
  { name: "tiles", features: ["rounds", "rounds*micro", "rounds*micro*steps"] },
  { name: "tiles-bytes", features: ["rounds", "rounds*micro", "rounds*micro*steps", "input_bytes", "weight_bytes"] },
];

export const FLOPS_LINEAR: Candidate = { name: "flops-linear", features: ["flops"] };

export function candidatesFor(processor: "cpu" | "gpu", samples: number, kernel = ""): readonly Candidate[] {
  if (processor === "cpu") return CPU_CANDIDATES;
  if (kernel.endsWith("fully_connected") || kernel.endsWith(".fc")) return samples >= 150 ? [...GEMV_CANDIDATES, ...GPU_CANDIDATES] : GEMV_CANDIDATES;
  return samples >= 150 ? GPU_CANDIDATES : GPU_SMALL_CANDIDATES;
}
