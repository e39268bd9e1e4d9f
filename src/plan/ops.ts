/**
 * The planner's view of a lowered graph: one PlanOp per IR node (in the
 * graph's topological order) with its kernel geometry from kernels/from-ir,
 * what it may be split along, and the linear paths the chain searches run on.
 *
 * A path is a maximal run u₁ → u₂ → … → uₖ where each uᵢ₊₁ reads exactly one
 * non-constant tensor, that tensor is uᵢ's only output and uᵢ₊₁ is its only
 * consumer (and it is not a graph output). Residual adds, concatenations and
 * branches therefore end paths, which is what lets chains run on DAGs:
 *
 *        conv1 → conv2 → conv3 ─┬→ conv4 → pool5     paths: [conv1 conv2 conv3]
 *                                └→ conv6 ─┐                [conv4 pool5] [conv6]
 *                          add7 ←──────────┘ (+pool5)       [add7 …]
 */

import { selectCpuKernel } from "../kernels/cpu-xnnpack.js";
import { type IrOp, type IrOpClass, irOpOf } from "../kernels/from-ir.js";
import { selectGpuKernel } from "../kernels/gpu-conv.js";
import type { Graph, Node } from "../ir/graph.js";
import { elementCount, isStatic } from "../ir/tensor.js";

export type SplitDim = "H" | "OC";

export interface PlanOp {
  readonly index: number;
  readonly node: Node;
  readonly ir: IrOp;
  /** Non-constant input tensors (constants travel with the operator's weights). */
  readonly dataInputs: readonly string[];
  readonly output: string;
  /** Bytes of each data input, fp32. */
  readonly inputBytes: readonly number[];
  /** Dimensions this operator may be split along. */
  readonly dims: readonly SplitDim[];
  /** False when codl has no OpenCL kernel for it (it then runs on the CPU). */
  readonly gpuCapable: boolean;
  /** May sit inside an H chain (its rows depend on a bounded window of input rows). */
  readonly chainable: boolean;
  readonly cpuKernel: string;
  readonly gpuKernel: string | null;
}

export interface PlanGraph {
  readonly ops: readonly PlanOp[];
  /** Linear paths in the order of their first operator; every op is on exactly one. */
  readonly paths: ReadonlyArray<readonly number[]>;
  /** Producer op index of each tensor (absent: graph input or constant). */
  readonly producer: ReadonlyMap<string, number>;
}

const SPLITS: Readonly<Record<IrOpClass, readonly SplitDim[]>> = {
  conv: ["H", "OC"],
  conv_transpose: ["H", "OC"],
  pool: ["H", "OC"],
  global_pool: ["OC"],
  fc: ["OC"],
  eltwise: ["H"],
  concat: ["H"],
  resize: ["H"],
  pad: ["H"],
  layout: [],
  softmax: [],
};

/** Operators without a generated OpenCL kernel (DESIGN.md §2's kernel set). */
const CPU_ONLY: ReadonlySet<IrOpClass> = new Set<IrOpClass>();
const CPU_ONLY_OPS: ReadonlySet<string> = new Set(["Transpose"]);

function tensorBytes(graph: Graph, name: string): number {
  const s = graph.tensors.get(name)?.shape;
  return isStatic(s) ? elementCount(s) * 4 : 0;
}

export function buildPlanGraph(graph: Graph): PlanGraph {
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const o of n.outputs) if (o !== "") producer.set(o, i);
  });
  const consumers = new Map<string, number>();
  const ops: PlanOp[] = graph.nodes.map((node, index) => {
    const ir = irOpOf(graph, node);
    const dataInputs = node.inputs.filter((name) => name !== "" && graph.tensors.get(name)?.data === undefined);
    for (const t of new Set(dataInputs)) consumers.set(t, (consumers.get(t) ?? 0) + 1);
    const rowsSplittable = ir.rowMap.kind !== "all";
    let dims = SPLITS[ir.opClass].filter((d) => (d === "H" ? rowsSplittable && ir.outRows >= 2 : ir.outChannels >= 2));
    const gpuCapable = !CPU_ONLY.has(ir.opClass) && !CPU_ONLY_OPS.has(node.op);
    if (!gpuCapable) dims = [];
    return {
      index,
      node,
      ir,
      dataInputs,
      output: node.outputs[0] ?? "",
      inputBytes: dataInputs.map((t) => tensorBytes(graph, t)),
      dims,
      gpuCapable,
      chainable: dims.includes("H") && dataInputs.length === 1,
      cpuKernel: selectCpuKernel(ir.config),
      gpuKernel: gpuCapable ? selectGpuKernel(ir.config) : null,
    };
  });
  const outputs = new Set(graph.outputs);
  const continues = (op: PlanOp): number | undefined => {
    if (op.dataInputs.length !== 1) return undefined;
    const t = op.dataInputs[0]!;
    const p = producer.get(t);
    if (p === undefined) return undefined;
    const prev = ops[p]!;
    if (prev.node.outputs.filter((o) => o !== "").length !== 1 || consumers.get(t) !== 1 || outputs.has(t)) return undefined;
    return p;
  };
  const pathOf = new Map<number, number[]>();
  const paths: number[][] = [];
  for (const op of ops) {
    const p = continues(op);
    const path = p === undefined ? undefined : pathOf.get(p);
    if (path !== undefined && path[path.length - 1] === p) {
      path.push(op.index);
      pathOf.set(op.index, path);
    } else {
      const fresh = [op.index];
      paths.push(fresh);
      pathOf.set(op.index, fresh);
    }
  }
  return { ops, paths, producer };
}
