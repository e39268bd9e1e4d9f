/**
 * Features of a kernel's latency model, evaluated on its blocking. Every
 * GPU feature is a count of blocks times a per-block quantity, so a linear
 * model over them is the paper's `ceil-blocks × t_unit` with t_unit linear:
 *
 *   loop*block            serial loop × outputs per item (latency-bound chain)
 *   loop*cu_work          loop × padded items·block per compute unit (throughput-bound)
 *   loop*max(cu_work,H)   the same with a floor: below H items per CU the GPU is not full
 *   work_groups, work_items, rounds, input/output/weight_bytes
 *
 * CPU features count XNNPACK tasks on the busiest thread:
 *   rounds, rounds*micro (micro-kernel calls), rounds*micro*steps (inner steps)
 */

import type { CpuTiling } from "../kernels/cpu-xnnpack.js";
import type { GpuLaunch } from "../kernels/gpu-blocking.js";

/** The numbers every feature is computed from; one per kernel launch or CPU call. */
export interface Work {
  readonly loop: number;
  readonly block: number;
  readonly cuWork: number;
  readonly workGroups: number;
  readonly workItems: number;
  readonly rounds: number;
  readonly micro: number;
  readonly steps: number;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly weightBytes: number;
  readonly flops: number;
}

export function gpuWork(l: GpuLaunch, flops: number): Work {
  const block = l.block[0] * l.block[1] * l.block[2];
  return {
    loop: l.loop,
    block,
    cuWork: (l.workItems * block) / l.computeUnits,
    workGroups: l.workGroups,
    workItems: l.workItems,
    rounds: l.rounds,
    micro: l.wavesPerWorkGroup,
    steps: l.loop,
    inputBytes: l.inputBytes,
    outputBytes: l.outputBytes,
    weightBytes: l.weightBytes,
    flops,
  };
}

export function cpuWork(t: CpuTiling, bytes: { input: number; output: number; weights: number }, flops: number): Work {
  return {
    loop: t.steps,
    block: t.mr * t.nr,
    cuWork: t.tiles,
    workGroups: t.tiles,
    workItems: t.tiles * t.microPerTile,
    rounds: t.rounds,
    micro: t.microPerTile,
    steps: t.steps,
    inputBytes: bytes.input,
    outputBytes: bytes.output,
    weightBytes: bytes.weights,
    flops,
  };
}

export type FeatureFn = (w: Work) => number;

const FIXED: Readonly<Record<string, FeatureFn>> = {
  "loop*block": (w) => w.loop * w.block,
  "loop*cu_work": (w) => w.loop * w.cuWork,
  work_groups: (w) => w.workGroups,
  work_items: (w) => w.workItems,
  rounds: (w) => w.rounds,
  "rounds*micro": (w) => w.rounds * w.micro,
  "rounds*micro*steps": (w) => w.rounds * w.micro * w.steps,
  "loop*rounds": (w) => w.loop * w.rounds,
  input_bytes: (w) => w.inputBytes,
  output_bytes: (w) => w.outputBytes,
  weight_bytes: (w) => w.weightBytes,
  flops: (w) => w.flops,
};

const HINGE = /^loop\*max\(cu_work,(\d+(?:\.\d+)?)\)$/;

/** The evaluator of a feature name, or undefined for an unknown name. */
export function featureFn(name: string): FeatureFn | undefined {
  const fixed = FIXED[name];
  if (fixed !== undefined) return fixed;
  const m = HINGE.exec(name);
  if (m !== null) {
    const h = Number(m[1]);
    return (w) => w.loop * Math.max(h, w.cuWork);
  }
  return undefined;
}

export function isKnownFeature(name: string): boolean {
  return featureFn(name) !== undefined;
}

export function hinge(h: number): string {
  return `loop*max(cu_work,${h})`;
}
