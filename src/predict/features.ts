/**
 * Features of a kernel's latency model, evaluated on its blocking. Every
 * GPU feature is a count of blocks times a per-block quantity, so a linear
 * model over them is the paper's `ceil-blocks × t_unit` with t_unit linear:
 *
 *   loop, loop*block, loop*pixels   serial loop, × outputs or × output pixels per item
 *                         (the latency-bound chain of one item: its dependent loads and FMAs)
 *   loop*cu_work          loop × padded items·block per compute unit (throughput-bound)
 *   loop*max(cu_work,H)   the same with a floor: below H items per CU the GPU is not full
 *   loop*wave_rounds(k)   loop × k-item waves per CU with whole work-groups (quantised occupancy)
 *   taps*wave_rounds(k)*pixels   per-tap address maths and bounds checks of each output pixel
 *   loop*occ_rounds(F,k)  loop × batches of work-groups resident together on a CU (F fibers fit at once)
 *   work_groups, work_items, rounds, input/output/weight_bytes
 *   operand_bytes, inputs every input tensor's bytes, and their count: Add reads two, Relu one
 *                         (retinaface's 32×32×16 Add 0.057 ms, Relu 0.037 on host-pocl)
 *
 * On a CPU-backed OpenCL device (PoCL) each work-group is a loop over its
 * items on one worker thread (a "compute unit"), so time follows the items
 * and reads per thread, not waves:
 *   cu_items, loop*cu_items             items per thread, × serial loop
 *   loop*cu_items*pixels / *slices      input texel / weight reads per thread
 *   cu_work                             outputs per thread
 *   cu_active, loop*cu_active[*pixels|*slices]   the same over the items the grid
 *                   needs, not the padded launch: a padding item leaves at its
 *                   bounds check, so a 24-row output launched as 32 rows costs
 *                   24/32 (0.218 vs 0.288 ms on host-pocl, 3×3 16→8 channels)
 *   loop*cu_active*inside   the loop's taps that read inside the input: on PoCL a
 *                   tap in the padding skips its loads and FMAs (2×2 inputs under a
 *                   3×3 filter read 4 of 9 taps and ran 20–30 % under the loop's price)
 *
 * CPU features count XNNPACK tasks on the busiest thread:
 *   rounds, rounds*micro (micro-kernel calls), rounds*micro*steps (inner steps)
 *   rounds*micro*steps_panel_over(KiB)   the inner steps of tiles whose K×nc weight panel
 *                   (re-read for every mr rows) is larger than KiB: it streams from beyond L2.
 *                   On the Xeon of x86-balanced, one thread runs 3×3 convs with K = 2304 and
 *                   nc = 256 (2.3 MiB) at 60–66 GFLOP/s, and with nc = 44–88 at 100–118.
 *   rounds*micro*steps*one_row   the inner steps of the one-row GEMM kernel XNNPACK runs
 *                   when M = 1: on host-pocl a 1×1×256→256 conv took 3.8 µs where the
 *                   7-row kernel's price per step said 7.7
 *   rounds*micro*one_row   the one-row kernel's tiles, each with its own fixed cost (one
 *                   row of outputs to store, not seven): without it host-pocl's M = 1
 *                   GEMMs with K = 32–40 came out 24–32 % high and those with K = 120–288
 *                   10–17 % low (cpu.gemm held-out ±10 % 92.7 → 95.3 %)
 *   rounds*pixels   output pixels of the busiest thread's tasks: the row-per-task kernels
 *                   pay per pixel (index maths, a pool window's setup) besides per element.
 *                   On host-pocl a nearest Resize to 32×48×8 took 6.96 µs and one to
 *                   32×32×16 3.17 µs: 4.5 and 3.1 ns a pixel, 0.57 and 0.19 ns an element
 *   op(Name)*F, mode(name)*F   feature F where the operator (Pad's mode) is Name, else 0: one kernel id serves
 *                   operators whose work per element differs. Without them host-pocl's PoCL
 *                   Sigmoids came out 21–36 % low (priced as Relus), and its average and
 *                   global average pools were priced as max pools.
 *   io_bytes_over(KiB)   bytes read and written past KiB (the L1 data cache): 12,288-element
 *                   Adds and Relus on host-pocl came out 20–34 % low without it
 *   post_elements   outputs of an activation XNNPACK cannot fuse (LeakyRelu,
 *                   HardSwish, Sigmoid), applied by the runtime in a pass of its own
 */

import type { CpuTiling } from "../kernels/cpu-xnnpack.js";
import type { GpuLaunch } from "../kernels/gpu-blocking.js";

/** The numbers every feature is computed from; one per kernel launch or CPU call. */
export interface Work {
  readonly loop: number;
  readonly block: number;
  /** Output pixels per work item (block columns × rows); each costs address maths per filter tap. */
  readonly pixels: number;
  /** Filter taps (kh·kw); 1 for CPU calls and element-wise kernels. */
  readonly taps: number;
  readonly cuWork: number;
  readonly workGroups: number;
  readonly workItems: number;
  /** Work items the grid needs (workItems less the launch's padding). */
  readonly activeItems: number;
  /** Share of a convolution's filter taps that read inside its input (work.ts insideTapShare; 1 elsewhere). */
  readonly insideShare: number;
  readonly rounds: number;
  readonly micro: number;
  readonly steps: number;
  readonly inputBytes: number;
  /** Input tensors read per output element (2 for binary arithmetic, else 1; operand_bytes = inputBytes × inputs). */
  readonly inputs: number;
  readonly outputBytes: number;
  readonly weightBytes: number;
  /** Weight bytes fetched by all work-groups: each reads the filters of its own output slices. */
  readonly weightTraffic: number;
  /** Input bytes fetched by all work-groups: every group of output slices re-reads the input. */
  readonly inputTraffic: number;
  readonly flops: number;
  /** CPU: output elements of the runtime's separate activation pass (0 when XNNPACK fuses it, and on the GPU). */
  readonly postElements: number;
  /** CPU: 1 when XNNPACK runs a GEMM with its one-row micro-kernel (M = 1), else 0. */
  readonly oneRow: number;
  /** CPU: output pixels per task (CpuTiling.tilePixels); 0 on the GPU. */
  readonly tilePixels: number;
  /** The operator's OpConfig.onnxOp and mode, for the `op(Name)*feature` and `mode(name)*feature` terms. */
  readonly onnxOp?: string | undefined;
  readonly mode?: string | undefined;
}

/** What a launch alone does not say: filter taps, the share of them inside the input, input tensors read, the operator and its mode. */
export interface WorkShape {
  readonly taps?: number;
  readonly insideShare?: number;
  readonly inputs?: number;
  readonly onnxOp?: string | undefined;
  readonly mode?: string | undefined;
}

export function gpuWork(l: GpuLaunch, flops: number, shape: WorkShape = {}): Work {
  const taps = shape.taps ?? 1;
  const block = l.block[0] * l.block[1] * l.block[2];
  const zGroups = Math.ceil(l.grid[2] / l.local[2]);
  const sliceShare = Math.min(1, (l.local[2] * l.block[2]) / Math.max(1, l.grid[2] * l.block[2]));
  return {
    loop: l.loop,
    block,
    pixels: l.block[0] * l.block[1],
    taps,
    cuWork: (l.workItems * block) / l.computeUnits,
    workGroups: l.workGroups,
    workItems: l.workItems,
    activeItems: l.grid[0] * l.grid[1] * l.grid[2],
    insideShare: shape.insideShare ?? 1,
    rounds: l.rounds,
    micro: l.wavesPerWorkGroup,
    steps: l.loop,
    inputBytes: l.inputBytes,
    inputs: shape.inputs ?? 1,
    outputBytes: l.outputBytes,
    weightBytes: l.weightBytes,
    weightTraffic: l.workGroups * l.weightBytes * sliceShare,
    inputTraffic: l.inputBytes * zGroups,
    flops,
    postElements: 0,
    oneRow: 0,
    tilePixels: 0,
    onnxOp: shape.onnxOp,
    mode: shape.mode,
  };
}

export function cpuWork(t: CpuTiling, bytes: { input: number; output: number; weights: number }, flops: number, postElements = 0, shape: WorkShape = {}): Work {
  return {
    loop: t.steps,
    block: t.mr * t.nr,
    pixels: t.mr,
    taps: 1,
    cuWork: t.tiles,
    workGroups: t.tiles,
    workItems: t.tiles * t.microPerTile,
    activeItems: t.tiles * t.microPerTile,
    insideShare: 1,
    rounds: t.rounds,
    micro: t.microPerTile,
    steps: t.steps,
    inputBytes: bytes.input,
    inputs: shape.inputs ?? 1,
    outputBytes: bytes.output,
    weightBytes: bytes.weights,
    weightTraffic: bytes.weights,
    inputTraffic: bytes.input,
    flops,
    postElements,
    oneRow: t.kernel === "cpu.gemm" && t.mr === 1 ? 1 : 0,
    tilePixels: t.tilePixels,
    onnxOp: shape.onnxOp,
    mode: shape.mode,
  };
}

export type FeatureFn = (w: Work) => number;

/** Items per compute unit over the items the grid needs (cu_items scaled by active / padded). */
const cuActive = (w: Work): number => (w.workItems > 0 ? ((w.cuWork / w.block) * w.activeItems) / w.workItems : 0);

const FIXED: Readonly<Record<string, FeatureFn>> = {
  loop: (w) => w.loop,
  "loop*block": (w) => w.loop * w.block,
  "loop*pixels": (w) => w.loop * w.pixels,
  "loop*cu_work": (w) => w.loop * w.cuWork,
  cu_work: (w) => w.cuWork,
  cu_items: (w) => w.cuWork / w.block,
  "loop*cu_items": (w) => (w.loop * w.cuWork) / w.block,
  "loop*cu_items*pixels": (w) => (w.loop * w.cuWork * w.pixels) / w.block,
  "loop*cu_items*slices": (w) => (w.loop * w.cuWork) / w.pixels,
  cu_active: (w) => cuActive(w),
  "loop*cu_active": (w) => w.loop * cuActive(w),
  "loop*cu_active*pixels": (w) => w.loop * cuActive(w) * w.pixels,
  "loop*cu_active*slices": (w) => (w.loop * cuActive(w) * w.block) / w.pixels,
  "loop*cu_active*inside": (w) => w.loop * cuActive(w) * w.insideShare,
  work_groups: (w) => w.workGroups,
  work_items: (w) => w.workItems,
  rounds: (w) => w.rounds,
  "rounds*micro": (w) => w.rounds * w.micro,
  "rounds*micro*steps": (w) => w.rounds * w.micro * w.steps,
  "loop*rounds": (w) => w.loop * w.rounds,
  "loop*rounds*block": (w) => w.loop * w.rounds * w.block,
  input_bytes: (w) => w.inputBytes,
  operand_bytes: (w) => w.inputBytes * w.inputs,
  inputs: (w) => w.inputs,
  output_bytes: (w) => w.outputBytes,
  weight_bytes: (w) => w.weightBytes,
  weight_traffic: (w) => w.weightTraffic,
  input_traffic: (w) => w.inputTraffic,
  flops: (w) => w.flops,
  post_elements: (w) => w.postElements,
  "rounds*micro*steps*one_row": (w) => w.rounds * w.micro * w.steps * w.oneRow,
  "rounds*micro*one_row": (w) => w.rounds * w.micro * w.oneRow,
  "rounds*pixels": (w) => w.rounds * w.tilePixels,
};

/** `op(Name)*feature` / `mode(name)*feature`: the feature where the operator (its mode) is Name, else 0 (what one operator of a shared kernel adds). */
const OP_ONLY = /^(op|mode)\(([A-Za-z]+)\)\*(.+)$/;
/** `io_bytes_over(KiB)`: the bytes an operator reads and writes past KiB (what no longer fits the L1 data cache). */
const IO_OVER = /^io_bytes_over\((\d+)\)$/;
const HINGE = /^loop\*max\(cu_work,(\d+(?:\.\d+)?)\)$/;
const PANEL_OVER = /^rounds\*micro\*steps_panel_over\((\d+)\)$/;
const WAVE_ROUNDS = /^(loop\*|taps\*)?wave_rounds\((\d+)\)(\*block|\*pixels)?$/;
const OCC_ROUNDS = /^(loop\*|taps\*)?occ_rounds\((\d+),(\d+)\)(\*block|\*pixels)?$/;

/**
 * Occupancy rounds: a compute unit keeps as many whole work-groups resident
 * as fit in `fibers` (each padded to k-item waves); the groups dealt to one
 * CU run in ceil(groups per CU / resident groups) batches.
 */
function occRounds(w: Work, fibers: number, k: number): number {
  const group = w.workGroups > 0 ? w.workItems / w.workGroups : 0;
  const padded = Math.max(k, Math.ceil(group / k) * k);
  return Math.ceil(w.rounds / Math.max(1, Math.floor(fibers / padded)));
}

/**
 * Waves of `k` items each compute unit runs one after another when work-groups
 * are dealt out whole: ceil(groups / CU) · ceil(group size / k). On Adreno a
 * 1×1 conv's slope per source slice follows this count, not the item count
 * (16 work-groups of 160 items cost 2.3× 8 of 256, with 1.25× the items).
 */
function waveRounds(w: Work, k: number): number {
  const group = w.workGroups > 0 ? w.workItems / w.workGroups : 0;
  return w.rounds * Math.ceil(group / k);
}

/** The evaluator of a feature name, or undefined for an unknown name. */
export function featureFn(name: string): FeatureFn | undefined {
  const fixed = FIXED[name];
  if (fixed !== undefined) return fixed;
  const only = OP_ONLY.exec(name);
  if (only !== null) {
    const value = only[2];
    const inner = featureFn(only[3] ?? "");
    if (inner === undefined) return undefined;
    return only[1] === "op" ? (w) => (w.onnxOp === value ? inner(w) : 0) : (w) => (w.mode === value ? inner(w) : 0);
  }
  const m = HINGE.exec(name);
  if (m !== null) {
    const h = Number(m[1]);
    return (w) => w.loop * Math.max(h, w.cuWork);
  }
  const io = IO_OVER.exec(name);
  if (io !== null) {
    const bytes = Number(io[1]) * 1024;
    return (w) => Math.max(0, w.inputBytes * w.inputs + w.outputBytes - bytes);
  }
  const po = PANEL_OVER.exec(name);
  if (po !== null) {
    const kib = Number(po[1]);
    // The K×nc weight panel a tile streams per mr rows: steps × micro-kernels × nr floats.
    return (w) => (w.steps * w.micro * (w.block / Math.max(1, w.pixels)) * 4 > kib * 1024 ? w.rounds * w.micro * w.steps : 0);
  }
  const r = WAVE_ROUNDS.exec(name);
  if (r !== null) {
    const k = Number(r[2]);
    const outer = r[1];
    const inner = r[3];
    return (w) => waveRounds(w, k) * (outer === "loop*" ? w.loop : outer === "taps*" ? w.taps : 1) * (inner === "*block" ? w.block : inner === "*pixels" ? w.pixels : 1);
  }
  const o = OCC_ROUNDS.exec(name);
  if (o !== null) {
    const fibers = Number(o[2]);
    const k = Number(o[3]);
    const outer = o[1];
    const inner = o[4];
    return (w) => occRounds(w, fibers, k) * (outer === "loop*" ? w.loop : outer === "taps*" ? w.taps : 1) * (inner === "*block" ? w.block : inner === "*pixels" ? w.pixels : 1);
  }
  return undefined;
}

export function isKnownFeature(name: string): boolean {
  return featureFn(name) !== undefined;
}

/** `rounds*micro*steps_panel_over(KiB)`: the inner steps of tiles whose weight panel exceeds KiB (see the header). */
export function panelOver(kib: number): string {
  return `rounds*micro*steps_panel_over(${kib})`;
}

export function hinge(h: number): string {
  return `loop*max(cu_work,${h})`;
}

/** `[loop*]wave_rounds(k)[*block]`: sequential k-item waves per compute unit (see waveRounds). */
export function waveRoundsFeature(k: number, options: { per?: "loop" | "taps"; times?: "block" | "pixels" } = {}): string {
  return `${options.per === undefined ? "" : `${options.per}*`}wave_rounds(${k})${options.times === undefined ? "" : `*${options.times}`}`;
}

/** `[loop*]occ_rounds(fibers,k)`: batches of resident work-groups per compute unit (see occRounds). */
export function occRoundsFeature(fibers: number, k: number, options: { per?: "loop" | "taps"; times?: "block" | "pixels" } = {}): string {
  return `${options.per === undefined ? "" : `${options.per}*`}occ_rounds(${fibers},${k})${options.times === undefined ? "" : `*${options.times}`}`;
}
