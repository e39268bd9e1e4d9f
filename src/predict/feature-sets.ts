/**
 * Candidate feature sets per kernel family. Training picks one per kernel by
 * cross-validation inside the training part. The GPU sets differ in how
 * occupancy is counted: a floor on items·block per CU (the hinge points), or
 * whole work-groups dealt to compute units in waves of k items (waves-k).
 */

import type { Candidate } from "./kernel-model.js";
import { hinge, waveRoundsFeature } from "./features.js";

const GPU_COMMON = ["work_groups", "work_items", "input_bytes", "output_bytes", "weight_bytes"];

export const GPU_CANDIDATES: readonly Candidate[] = [
  { name: "hinge-1k/4k/16k", features: ["loop*block", "loop*cu_work", hinge(1000), hinge(4000), hinge(16000), ...GPU_COMMON] },
  { name: "hinge-250/1k/4k/16k", features: ["loop*block", hinge(250), hinge(1000), hinge(4000), hinge(16000), ...GPU_COMMON] },
  { name: "hinge-8k", features: ["loop*block", "loop*cu_work", hinge(8000), ...GPU_COMMON] },
  { name: "hinge-rounds", features: ["loop*block", "loop*cu_work", hinge(1000), hinge(4000), hinge(16000), "loop*rounds", "rounds", ...GPU_COMMON] },
  ...[32, 64, 128].flatMap((k): Candidate[] => {
    const waves = [waveRoundsFeature(k, { per: "loop" }), waveRoundsFeature(k, { per: "loop", times: "block" }), "loop*block", waveRoundsFeature(k)];
    const taps = [waveRoundsFeature(k, { per: "taps", times: "pixels" }), waveRoundsFeature(k, { per: "taps" })];
    const bytes = ["work_groups", "input_bytes", "output_bytes", "weight_bytes"];
    return [
      { name: `waves-${k}`, features: [...waves, ...bytes] },
      { name: `waves-${k}-hinge`, features: [...waves, "loop*cu_work", hinge(1000), hinge(4000), hinge(16000), "work_items", ...bytes] },
      { name: `waves-${k}-rounds`, features: [...waves, "loop*rounds", "loop*rounds*block", ...bytes] },
      { name: `waves-${k}-taps`, features: [...waves, "loop*cu_work", hinge(1000), hinge(4000), hinge(16000), "work_items", ...bytes, ...taps] },
      { name: `waves-${k}-traffic`, features: [...waves, "loop*cu_work", hinge(1000), hinge(4000), hinge(16000), "work_items", ...bytes, "weight_traffic", "input_traffic"] },
    ];
  }),
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
