/**
 * The GPU half of an operator: one generated OpenCL source per operator,
 * computing only the GPU's output rows or channel blocks, every shape and
 * offset a literal. Launch geometry comes from kernels/ (gpuLaunch for the
 * convolution, pooling and fully connected kernels; the element-wise grid
 * and pickSimpleWorkGroup for the rest), the numbers the predictor counts.
 *
 *   conv-like ops   gpu-conv-kernels.ts (direct / 1×1 / depthwise, pooling, fc)
 *   element-wise,   gpu-vector-kernels.ts (float4 texels: broadcast arithmetic,
 *   data movement   BatchNormalization, Concat, Pad, Resize, Softmax)
 *   everything else one generic kernel: a work item per output pixel of 4
 *                   channels, each lane computed by element.ts
 */

import { createHash } from "node:crypto";
import { intLit as I } from "./c-text.js";
import { ClTensor, kernelFile } from "./cl.js";
import { type Dim3, pickSimpleWorkGroup, summariseLaunch } from "../kernels/gpu-blocking.js";
import { ElementGen } from "./element.js";
import { specialisedGpuKernel } from "./gpu-conv-kernels.js";
import { vectorGpuKernel } from "./gpu-vector-kernels.js";
import type { OpContext } from "./op-context.js";
import { toHalfBytes } from "./weights.js";

export type KernelArgSpec = { readonly kind: "tensor"; readonly tensor: number } | { readonly kind: "weights"; readonly id: number } | { readonly kind: "int"; readonly value: number };

export interface GpuKernelSpec {
  readonly file: string;
  readonly source: string;
  readonly entry: string;
  readonly global: Dim3;
  readonly local: Dim3;
  readonly args: readonly KernelArgSpec[];
}

/** The GPU's part of the output: rows [row0, row0 + rows) and channels [c0, c1). */
export interface GpuPart {
  readonly row0: number;
  readonly rows: number;
  readonly c0: number;
  readonly c1: number;
}

export function gpuPartOf(ctx: OpContext): GpuPart {
  const r = ctx.op.gpu!;
  const d = ctx.out.dims;
  return ctx.op.dim === "OC" ? { row0: 0, rows: d.h, c0: r[0], c1: r[1] } : { row0: r[0], rows: r[1] - r[0], c0: 0, c1: d.c };
}

/**
 * The GPU's output rows as the last two kernel parameters, `row0` and `rows`:
 * one source serves the operator on the GPU alone and under every H split.
 */
export const ROW_PARAMS = ["const int row0", "const int rows"] as const;

/** Batch item and row of flat work-item row `r` (no division by the runtime `rows` for one batch item). */
export function rowOf(batch: number, y: string): string[] {
  return batch === 1 ? ["const int n = 0;", `const int ${y} = row0 + r;`] : ["const int n = r / rows;", `const int ${y} = row0 + r % rows;`];
}

export function rowArgs(part: GpuPart): KernelArgSpec[] {
  return [
    { kind: "int", value: part.row0 },
    { kind: "int", value: part.rows },
  ];
}

export function outputTensor(ctx: OpContext, part: GpuPart): ClTensor {
  return new ClTensor("out", ctx.out.dims, ctx.out.gpu ?? "image", "write", [part.c0, part.c1]);
}

export function emitGpuKernels(ctx: OpContext): GpuKernelSpec[] {
  return [specialisedGpuKernel(ctx) ?? vectorGpuKernel(ctx) ?? genericKernel(ctx)];
}

export function genericKernel(ctx: OpContext): GpuKernelSpec {
  const part = gpuPartOf(ctx);
  const d = ctx.out.dims;
  const args: KernelArgSpec[] = [];
  const params: string[] = [];
  const tensors: ClTensor[] = [];
  const bySlot = new Map<number, ClTensor>();
  const konsts = new Map<number, GpuWeights>();
  ctx.node.inputs.forEach((name, slot) => {
    if (name === "") return;
    if (ctx.isConst(slot)) {
      const values = ctx.constant(slot);
      if (values.length === 0) return;
      const w = addGpuWeights(ctx, `k${slot}`, values, false, `${ctx.label()} input ${slot}`);
      konsts.set(slot, w);
      args.push({ kind: "weights", id: w.id });
      params.push(w.param);
      return;
    }
    const t = ctx.tensor(slot)!;
    const cl = new ClTensor(`in${slot}`, t.dims, t.gpu ?? "image", "read");
    bySlot.set(slot, cl);
    tensors.push(cl);
    args.push({ kind: "tensor", tensor: t.id });
    params.push(cl.param());
  });
  const out = outputTensor(ctx, part);
  tensors.push(out);
  args.push({ kind: "tensor", tensor: ctx.out.id });
  params.push(out.param());
  const gen = new ElementGen(ctx.node, ctx.elementInputs(), ctx.out.shape, {
    load: (slot, n, c, y, x) => bySlot.get(slot)!.ld(n, c, y, x),
    loadFlat: (slot, f) => bySlot.get(slot)!.ldf(f),
    konst: (slot, f) => konsts.get(slot)!.at(f),
  });
  const code = gen.generate();
  const cb0 = Math.floor(part.c0 / 4);
  const cbs = Math.ceil(part.c1 / 4) - cb0;
  const grid: Dim3 = [d.w, d.n * part.rows, cbs];
  params.push(...ROW_PARAMS);
  args.push(...rowArgs(part));
  const launch = summariseLaunch(gpuSpec(ctx), { kernel: "gpu.element", block: [1, 1, 1], grid, local: pickSimpleWorkGroup(grid, Math.min(256, ctx.profile.gpu.maxWorkGroupSize)), loop: 1, inputBytes: 0, outputBytes: 0, weightBytes: 0 });
  const kernel = [
    `__kernel void element(${params.join(", ")}) {`,
    "  const int x = get_global_id(0);",
    "  const int r = get_global_id(1);",
    `  const int cb = ${I(cb0)} + (int)get_global_id(2);`,
    `  if (x >= ${I(d.w)} || r >= ${I(d.n)} * rows || cb >= ${I(cb0 + cbs)}) return;`,
    ...rowOf(d.n, "y").map((l) => `  ${l}`),
    "  float res[4] = {0.0f, 0.0f, 0.0f, 0.0f};",
    "  for (int l = 0; l < 4; l++) {",
    "    const int c = cb * 4 + l;",
    `    if (c < ${I(part.c0)} || c >= ${I(part.c1)}) continue;`,
    `    const int of = ((n * ${I(d.c)} + c) * ${I(d.h)} + y) * ${I(d.w)} + x;`,
    ...code.stmts.map((s) => `    ${s}`),
    `    res[l] = ${code.value};`,
    "  }",
    `  ${out.st4("n", "y", "x", "cb", "(float4)(res[0], res[1], res[2], res[3])")}`,
    "}",
  ];
  return kernelSpec("element", kernelFile(header(ctx, part, "generic element kernel: one work item per output pixel of 4 channels"), tensors, kernel), launch, args);
}

/** A kernel spec whose file is named by its entry and a hash of its source (see the header). */
export function kernelSpec(entry: string, source: string, launch: { readonly global: readonly number[]; readonly local: readonly number[] }, args: readonly KernelArgSpec[]): GpuKernelSpec {
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 12);
  return {
    file: `${entry}_${hash}.cl`,
    source,
    entry,
    global: [launch.global[0]!, launch.global[1]!, launch.global[2]!],
    local: [launch.local[0]!, launch.local[1]!, launch.local[2]!],
    args,
  };
}

/**
 * A GPU weights buffer in the bundle's precision, with its kernel parameter and
 * reads: float / float4 pointers at fp32, binary16 read by vload_half(4) at
 * fp16 (no cl_khr_fp16 needed); kernels compute in float either way.
 */
export interface GpuWeights {
  readonly id: number;
  readonly param: string;
  /** Element `i`: float4 `i` of a vector buffer, float `i` of a scalar one. */
  at(i: string): string;
  /** float4s `i`, `i` + 1, …: a declaration, then `quad(k)` reads `i` + k (a pointer at fp32: PoCL vectorises it better). */
  run(i: string, name: string): { readonly decl: string; quad(k: number): string };
}

export function addGpuWeights(ctx: OpContext, name: string, values: Float32Array, vector: boolean, label: string): GpuWeights {
  const half = ctx.program.gpuHalf;
  const id = ctx.weights.add(half ? toHalfBytes(values) : values, "gpuBuffer", `${label}${half ? " (fp16)" : ""}`);
  if (half) {
    return {
      id,
      param: `__global const half* restrict ${name}`,
      at: (i) => `${vector ? "vload_half4" : "vload_half"}(${i}, ${name})`,
      run: (i, v) => ({ decl: `const int ${v} = ${i};`, quad: (k) => `vload_half4(${v} + ${k}, ${name})` }),
    };
  }
  return {
    id,
    param: `__global const ${vector ? "float4" : "float"}* restrict ${name}`,
    at: (i) => `${name}[${i}]`,
    run: (i, v) => ({ decl: `__global const float4* ${v} = ${name} + ${i};`, quad: (k) => `${v}[${k}]` }),
  };
}

export function gpuSpec(ctx: OpContext) {
  return ctx.profile.gpu;
}

export function header(ctx: OpContext, part: GpuPart, what: string, rows = true): string[] {
  const d = ctx.out.dims;
  const side = part.c0 !== 0 || part.c1 !== d.c ? `GPU channels [${part.c0}, ${part.c1}) of ${d.c}` : rows ? "GPU rows [row0, row0 + rows): kernel arguments" : "GPU only";
  const ins = ctx.node.inputs.map((name, slot) => (name === "" ? "-" : `[${ctx.shape(slot).join("x")}]${ctx.isConst(slot) ? " const" : ""}`));
  return [`${ctx.node.op} (${ins.join(", ")}) -> [${ctx.out.shape.join("x")}]; ${side}`, `${what}. Generated by codl; every shape and offset is a constant.`];
}
