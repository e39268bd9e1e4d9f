/**
 * Candidate feature sets per kernel family. Training picks one per kernel by
 * cross-validation inside the training part. The GPU sets differ in how
 * occupancy is counted: a floor on items·block per CU (the hinge points), or
 * whole work-groups dealt to compute units in waves of k items (waves-k).
 */

import type { Candidate } from "./kernel-model.js";
import { hinge, occRoundsFeature, panelOver, waveRoundsFeature } from "./features.js";

const GPU_COMMON = ["work_groups", "work_items", "input_bytes", "output_bytes", "weight_bytes"];

function wavesSet(k: number): string[] {
  return [waveRoundsFeature(k, { per: "loop" }), waveRoundsFeature(k, { per: "loop", times: "block" }), "loop*block", waveRoundsFeature(k)];
}
const HINGES = ["loop*cu_work", hinge(1000), hinge(4000), hinge(16000), "work_items"];
const BYTES = ["work_groups", "input_bytes", "output_bytes", "weight_bytes"];
const TAPS = (k: number): string[] => [waveRoundsFeature(k, { per: "taps", times: "pixels" }), waveRoundsFeature(k, { per: "taps" })];
const TRAFFIC = ["weight_traffic", "input_traffic"];

/**
 * Resident-fiber budgets per compute unit tried for the occupancy sets; cross-validation picks one per kernel.
 * On pixel4, 3×3 convolutions with 7 work-groups of 224 items cost 1.6× those with 7 of 168 at equal loop
 * (4 groups of 256 padded fibers per CU no longer fit 768 at once), while at 14+ groups the two differ by the
 * item ratio only: the batch count, not the wave count, sets the time of small launches.
 */
const OCCUPANCY_BUDGETS = [768, 1024, 1536];
/** The richest base sets, each extended with occupancy batches at its own wave size. */
const OCCUPANCY_BASES: readonly { name: string; k: number; features: readonly string[] }[] = [
  { name: "waves-64-taps", k: 64, features: [...wavesSet(64), ...HINGES, ...BYTES, ...TAPS(64)] },
  { name: "waves-128-traffic", k: 128, features: [...wavesSet(128), ...HINGES, ...BYTES, ...TRAFFIC] },
  { name: "waves-32-traffic", k: 32, features: [...wavesSet(32), ...HINGES, ...BYTES, ...TRAFFIC] },
];

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
  // Occupancy: whole work-groups stay resident on a compute unit only while their fibers fit its budget
  // (registers); the groups dealt to one unit run in batches. Budgets in fibers, padded to the sets' wave size.
  ...OCCUPANCY_BUDGETS.flatMap((fibers): Candidate[] =>
    OCCUPANCY_BASES.map((base) => ({
      name: `${base.name}-occ${fibers}`,
      features: [...base.features, occRoundsFeature(fibers, base.k, { per: "loop" }), occRoundsFeature(fibers, base.k)],
    })),
  ),
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

/**
 * A CPU-backed OpenCL device (profile gpu.vendor "pocl"): work-groups run as
 * loops on worker threads, so items, loop iterations and reads per thread
 * set the time; a launch and each work-group cost a fixed amount.
 */
const POCL_BASE = ["loop*cu_work", "loop*cu_items", "cu_items", "rounds", "input_bytes", "output_bytes"];
/** The same over the items the grid needs: a padding item only runs its bounds check (cu_items prices that). */
const POCL_ACTIVE = ["loop*cu_active", "cu_active", "cu_items", "rounds", "input_bytes", "output_bytes"];
export const POCL_CANDIDATES: readonly Candidate[] = [
  { name: "pocl-items", features: POCL_BASE },
  { name: "pocl-items-weights", features: [...POCL_BASE, "weight_bytes"] },
  { name: "pocl-reads", features: [...POCL_BASE, "loop*cu_items*pixels", "loop*cu_items*slices", "cu_work"] },
  { name: "pocl-reads-weights", features: [...POCL_BASE, "loop*cu_items*pixels", "loop*cu_items*slices", "cu_work", "weight_bytes"] },
  { name: "pocl-active", features: POCL_ACTIVE },
  { name: "pocl-active-weights", features: [...POCL_ACTIVE, "weight_bytes"] },
  { name: "pocl-active-reads", features: [...POCL_ACTIVE, "loop*cu_active*pixels", "loop*cu_active*slices"] },
  { name: "pocl-active-reads-weights", features: [...POCL_ACTIVE, "loop*cu_active*pixels", "loop*cu_active*slices", "weight_bytes"] },
  { name: "pocl-active-inside", features: [...POCL_ACTIVE, "loop*cu_active*inside"] },
  { name: "pocl-active-inside-weights", features: [...POCL_ACTIVE, "loop*cu_active*inside", "weight_bytes"] },
  { name: "pocl-active-reads-inside", features: [...POCL_ACTIVE, "loop*cu_active*pixels", "loop*cu_active*slices", "weight_bytes", "loop*cu_active*inside"] },
  { name: "pocl-active-operands", features: [...POCL_ACTIVE, "operand_bytes"] },
  // Operators that share an element kernel but not its work per item: a sigmoid's exp, a softmax's two passes over its axis.
  { name: "pocl-active-operands-ops", features: [...POCL_ACTIVE, "operand_bytes", "op(Sigmoid)*cu_active", "op(Softmax)*cu_active", "op(Softmax)*rounds", "mode(constant)*cu_active"] },
  // Kernel variants the shape does not show (OpConfig.mode): a linear Resize's four taps, an unaligned Concat's lane-by-lane reads.
  {
    name: "pocl-active-operands-variants",
    features: [...POCL_ACTIVE, "operand_bytes", "op(Sigmoid)*cu_active", "op(Softmax)*cu_active", "mode(constant)*cu_active", "mode(linear)*cu_active", "mode(unaligned)*cu_active", "mode(copy)*cu_active"],
  },
];

const CPU_BASE: readonly Candidate[] = [
  { name: "tiles", features: ["rounds", "rounds*micro", "rounds*micro*steps"] },
  { name: "tiles-operands", features: ["rounds", "rounds*micro", "rounds*micro*steps", "operand_bytes", "inputs"] },
  { name: "tiles-bytes", features: ["rounds", "rounds*micro", "rounds*micro*steps", "input_bytes", "weight_bytes"] },
  { name: "tiles-post", features: ["rounds", "rounds*micro", "rounds*micro*steps", "post_elements"] },
  { name: "tiles-bytes-post", features: ["rounds", "rounds*micro", "rounds*micro*steps", "input_bytes", "weight_bytes", "post_elements"] },
  { name: "tiles-one-row", features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*micro*steps*one_row"] },
  { name: "tiles-post-one-row", features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*micro*steps*one_row", "post_elements"] },
  { name: "tiles-io", features: ["rounds", "rounds*micro", "rounds*micro*steps", "input_bytes", "output_bytes"] },
  { name: "tiles-post-one-row-tiles", features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*micro*one_row", "rounds*micro*steps*one_row", "post_elements"] },
  { name: "tiles-pixels", features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*pixels"] },
  { name: "tiles-pixels-operands", features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*pixels", "operand_bytes", "inputs"] },
  { name: "tiles-pixels-pad", features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*pixels", "mode(constant)*rounds*micro", "mode(constant)*rounds*pixels"] },
  { name: "tiles-pixels-sigmoid", features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*pixels", "operand_bytes", "inputs", "op(Sigmoid)*rounds*micro"] },
  ...[32, 64].map((kib): Candidate => ({
    name: `tiles-pixels-sigmoid-l1-${kib}`,
    features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*pixels", "operand_bytes", "inputs", "op(Sigmoid)*rounds*micro", `io_bytes_over(${kib})`],
  })),
  {
    name: "tiles-pixels-pools",
    features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*pixels", "op(AveragePool)*rounds*micro*steps", "op(AveragePool)*rounds*pixels", "op(GlobalAveragePool)*rounds*micro*steps", "op(GlobalAveragePool)*rounds"],
  },
  // Kernel variants the shape does not show (OpConfig.mode): XNNPACK's bilinear Resize against the nearest loop, a layout
  // op that is one copy, XNNPACK's softmax over channels against the loop over another axis, Softmax against Tanh.
  ...["", "-l1-32"].map((l1): Candidate => ({
    name: `tiles-pixels-variants${l1}`,
    features: [
      "rounds",
      "rounds*micro",
      "rounds*micro*steps",
      "rounds*pixels",
      "mode(linear)*rounds*micro",
      "mode(linear)*rounds*pixels",
      "mode(copy)*rounds*micro",
      "mode(channels)*rounds*micro",
      "op(Softmax)*rounds*micro",
      // Strided element moves past the L1 data cache (a 16,384-element Reshape: 2 ns an element, a 3,072 one 0.3);
      // a reshape's odometer strides on both sides, a Transpose's reads run in order.
      ...(l1 === "" ? [] : ["io_bytes_over(32)", "op(Reshape)*io_bytes_over(32)"]),
    ],
  })),
  // The same with the window's element reads (flops of a pool): a 16-lane tile of 4 channels costs less than one of 16.
  {
    name: "tiles-pixels-pools-elements",
    features: ["rounds", "rounds*micro", "rounds*micro*steps", "rounds*pixels", "flops", "op(AveragePool)*rounds*micro*steps", "op(AveragePool)*rounds*pixels", "op(GlobalAveragePool)*flops", "op(GlobalAveragePool)*rounds"],
  },
];
/** KiB of the K×nc weight panel past which its steps stream from beyond L2 (panelOver); cross-validation picks one. */
const PANEL_SPILLS_KIB = [512, 1024, 2048];
export const CPU_CANDIDATES: readonly Candidate[] = [
  ...CPU_BASE,
  ...PANEL_SPILLS_KIB.flatMap((kib): Candidate[] =>
    CPU_BASE.map((b) => ({ name: `${b.name}-panel${kib}`, features: [...b.features.slice(0, 3), panelOver(kib), ...b.features.slice(3)] })),
  ),
];

/**
 * Roofline candidates (kernel-model.ts `maxWith`): the larger of a throughput
 * term and one item's serial chain. On the H200 the same 3×3 convolution loop
 * costs 260–780 ns an iteration however few items run (the chain), and past
 * about 2,300 outputs per SM grows with the work per SM (throughput); a sum of
 * the two, the linear sets above, misprices one side or the other.
 */
const CHAIN = ["loop*block", "loop", "loop*pixels"];
const ROOFLINE_THROUGHPUT: readonly Candidate[] = [
  { name: "bytes", features: ["loop*cu_work", "work_groups", "input_bytes", "output_bytes"] },
  { name: "waves-32", features: ["loop*cu_work", waveRoundsFeature(32), "input_bytes", "output_bytes", "weight_bytes"] },
  { name: "waves-32-loop", features: [waveRoundsFeature(32, { per: "loop", times: "block" }), "loop*cu_work", "input_bytes", "output_bytes", "weight_bytes"] },
];
export const ROOFLINE_CANDIDATES: readonly Candidate[] = ROOFLINE_THROUGHPUT.map((t) => ({ name: `roofline-${t.name}`, features: t.features, maxWith: CHAIN }));
/** Rows a kernel needs before roofline candidates (two terms, up to 9 coefficients) are offered. */
const ROOFLINE_MIN_SAMPLES = 30;

/**
 * CPU rooflines: the larger of a streaming term (elements, bytes past L1) and a per-pixel term (the index
 * maths and the call per pixel). A generated Pad on host-pocl costs about 1.1 ns a pixel up to 16 channels and
 * 0.07 ns an element from 32 on (0.62–4.4 ns a pixel in all); a sum of the two misprices one end.
 */
const CPU_ROOFLINE_CANDIDATES: readonly Candidate[] = [
  { name: "roofline-elements-pixels", features: ["rounds*micro"], maxWith: ["rounds*pixels", "rounds"] },
  {
    name: "roofline-elements-pixels-variants",
    features: ["rounds*micro", "mode(linear)*rounds*micro", "mode(copy)*rounds*micro", "io_bytes_over(32)"],
    maxWith: ["rounds*pixels", "rounds", "mode(linear)*rounds*pixels", "mode(constant)*rounds*pixels"],
  },
];
/** CPU kernels that are codl's generated loops moving elements (Pad, nearest Resize, Concat, the layout ops). */
const COPY_LOOP_KERNELS: ReadonlySet<string> = new Set(["cpu.pad", "cpu.resize", "cpu.concat", "cpu.layout"]);
/** Rows a CPU kernel needs before the rooflines are offered. */
const CPU_ROOFLINE_MIN_SAMPLES = 20;

export const FLOPS_LINEAR: Candidate = { name: "flops-linear", features: ["flops"] };

export function candidatesFor(processor: "cpu" | "gpu", samples: number, kernel = "", gpuVendor = "other"): readonly Candidate[] {
  if (processor === "cpu") {
    if (samples < CPU_ROOFLINE_MIN_SAMPLES) return CPU_CANDIDATES;
    // codl's generated copy loops: per pixel or per element, nothing of the GEMM candidates' tiles and panels.
    if (COPY_LOOP_KERNELS.has(kernel)) return [...CPU_ROOFLINE_CANDIDATES, ...CPU_BASE.filter((c) => c.name.startsWith("tiles-pixels-variants") || c.name === "tiles-pixels")];
    return [...CPU_CANDIDATES, ...CPU_ROOFLINE_CANDIDATES];
  }
  const roofline = samples >= ROOFLINE_MIN_SAMPLES ? ROOFLINE_CANDIDATES : [];
  if (gpuVendor === "pocl") return samples >= 20 ? [...POCL_CANDIDATES, ...GPU_SMALL_CANDIDATES, ...roofline] : GPU_SMALL_CANDIDATES;
  if (kernel.endsWith("fully_connected") || kernel.endsWith(".fc")) return samples >= 150 ? [...GEMV_CANDIDATES, ...GPU_CANDIDATES, ...roofline] : [...GEMV_CANDIDATES, ...roofline];
  return samples >= 150 ? [...GPU_CANDIDATES, ...roofline] : [...GPU_SMALL_CANDIDATES, ...roofline];
}
