/** One operator through the emitters: its GPU kernels and its CPU half, each where that side computes. */

import type { DeviceProfile } from "../device/profile-schema.js";
import type { Graph } from "../ir/graph.js";
import { emitCpuHalf } from "./cpu.js";
import { emitGpuKernels } from "./gpu.js";
import type { EmittedOp } from "./model-cc.js";
import { OpContext } from "./op-context.js";
import type { EmitOp, EmitProgram } from "./program.js";
import type { WeightsBuilder } from "./weights.js";

export function emitOp(graph: Graph, program: EmitProgram, op: EmitOp, profile: DeviceProfile, weights: WeightsBuilder): EmittedOp {
  const ctx = new OpContext(graph, program, op, profile, weights);
  return { op, gpu: op.gpu === null ? [] : emitGpuKernels(ctx), cpu: op.cpu === null ? null : emitCpuHalf(ctx) };
}
