/**
 * The GPU half of an operator: one generated OpenCL source per operator,
 * computing only the GPU's output rows or channel blocks, every shape and
 * offset a literal. Launch geometry comes from kernels/ (gpuLaunch for the
 * convolution, pooling and fully connected kernels; the element-wise grid
 * and pickSimpleWorkGroup for the rest), the numbers the predictor counts.
 *
 *   conv-like ops   gpu-conv-kernels.ts (direct / 1×1 / depthwise, pooling, fc)
 *   everything else one generic kernel: a work item per output pixel of 4
 *                   channels, each lane computed by element.ts
 */

import { intLit as I } from "./c-text.js";
import { ClTensor, kernelFile } from "./cl.js";
import { type Dim3, pickSimpleWorkGroup, summariseLaunch } from "../kernels/gpu-blocking.js";
import { ElementGen } from "./element.js";
import { specialisedGpuKernel } from "./gpu-conv-kernels.js";
import type { OpContext } from "./op-context.js";

export type KernelArgSpec = { readonly kind: "tensor"; readonly tensor: number } | { readonly kind: "weights"; readonly id: number };

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

export function outputTensor(ctx: OpContext, part: GpuPart): ClTensor {
  return new ClTensor("out", ctx.out.dims, ctx.out.gpu ?? "image", "write", [part.c0, part.c1]);
}

export function emitGpuKernels(ctx: OpContext): GpuKernelSpec[] {
  return [specialisedGpuKernel(ctx) ?? genericKernel(ctx)];
}

export function genericKernel(ctx: OpContext): GpuKernelSpec {
  const part = gpuPartOf(ctx);
  const d = ctx.out.dims;
  const args: KernelArgSpec[] = [];
  const params: string[] = [];
  const tensors: ClTensor[] = [];
  const bySlot = new Map<number, ClTensor>();
  ctx.node.inputs.forEach((name, slot) => {
    if (name === "") return;
    if (ctx.isConst(slot)) {
      const values = ctx.constant(slot);
      if (values.length === 0) return;
      args.push({ kind: "weights", id: ctx.weights.add(values, "gpuBuffer", `${ctx.label()} input ${slot}`) });
      params.push(`__global const float* restrict k${slot}`);
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
    konst: (slot, f) => `k${slot}[${f}]`,
  });
  const code = gen.generate();
  const cb0 = Math.floor(part.c0 / 4);
  const cbs = Math.ceil(part.c1 / 4) - cb0;
  const grid: Dim3 = [d.w, d.n * part.rows, cbs];
  const launch = summariseLaunch(gpuSpec(ctx), { kernel: "gpu.element", block: [1, 1, 1], grid, local: pickSimpleWorkGroup(grid, Math.min(256, ctx.profile.gpu.maxWorkGroupSize)), loop: 1, inputBytes: 0, outputBytes: 0, weightBytes: 0 });
  const entry = ctx.label();
  const kernel = [
    `__kernel void ${entry}(${params.join(", ")}) {`,
    "  const int x = get_global_id(0);",
    "  const int r = get_global_id(1);",
    `  const int cb = ${I(cb0)} + (int)get_global_id(2);`,
    `  if (x >= ${I(d.w)} || r >= ${I(d.n * part.rows)} || cb >= ${I(cb0 + cbs)}) return;`,
    `  const int n = r / ${I(part.rows)};`,
    `  const int y = ${I(part.row0)} + r % ${I(part.rows)};`,
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
  return {
    file: `${entry}.cl`,
    source: kernelFile(header(ctx, part, "generic element kernel: one work item per output pixel of 4 channels"), tensors, kernel),
    entry,
    global: launch.global,
    local: launch.local,
    args,
  };
}

export function gpuSpec(ctx: OpContext) {
  return ctx.profile.gpu;
}

export function header(ctx: OpContext, part: GpuPart, what: string): string[] {
  const d = ctx.out.dims;
  const side = ctx.op.placement === "split" ? (ctx.op.dim === "OC" ? `OC split: GPU channels [${part.c0}, ${part.c1}) of ${d.c}` : `H split: GPU rows [${part.row0}, ${part.row0 + part.rows}) of ${d.h}`) : "GPU only";
  return [`${ctx.label()}: ${ctx.node.op} "${ctx.node.name}" -> [${ctx.out.shape.join("x")}]; ${side}`, `${what}. Generated by codl; every shape and offset is a constant.`];
}
