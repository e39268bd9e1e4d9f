/**
 * Vectorised OpenCL kernels for the heavy operators, with the launch geometry
 * of kernels/gpu-conv.ts `gpuLaunch` on the GPU's slice of the operator (the
 * predictor prices exactly these blocks):
 *
 *   conv (1×1, direct,  work item = BX columns × 1 row × BZ slices of 4 channels;
 *   grouped, transposed) weights float4 [ocb][kh][kw][icb][input lane] (4 output
 *                       channels); a group reads its own input blocks (channels per
 *                       group a multiple of 4); ConvTranspose gathers the input
 *                       pixels whose stride lands on the output pixel
 *   depthwise           work item = BX columns × 1 slice; weights float4 [cb][kh][kw]
 *   pool (+ global)     work item = BX columns × 1 slice
 *   fc (Gemm, MatMul)   work item = 1 slice of 4 outputs of one row; weights float4 [ocb][k];
 *                       with gpu.fcSplitK = S > 1, a work-group of S items shares the slice's
 *                       K loop (item i reads float4 steps i, i + S, …, coalesced) and adds
 *                       the S partial sums in local memory
 *
 * Only the GPU's slice of the weights goes into weights.bin; lanes past the
 * channel count are zero, so whatever an image holds there never matters.
 * Operators these do not cover return undefined (gpu-vector-kernels.ts, then
 * gpu.ts's generic kernel).
 */

import { fcSplit, type GpuKernelId, gpuLaunch, selectGpuKernel } from "../kernels/gpu-conv.js";
import type { OpConfig } from "../kernels/op-config.js";
import { irOpOf } from "../kernels/from-ir.js";
import { assertInternal } from "../diag/errors.js";
import { sliceChannels, sliceRows } from "../predict/coexec.js";
import { floatLit as F, intLit as I } from "./c-text.js";
import { ClTensor, kernelFile } from "./cl.js";
import { activationExpr } from "./element.js";
import { addGpuWeights, type GpuKernelSpec, type GpuPart, gpuPartOf, header, type KernelArgSpec, kernelSpec, outputTensor, ROW_PARAMS, rowArgs, rowOf } from "./gpu.js";
import type { OpContext } from "./op-context.js";

/** The operator restricted to the GPU's part, as the predictor slices it. */
export function sliceConfig(ctx: OpContext, part: GpuPart): OpConfig {
  const c = irOpOf(ctx.graph, ctx.node).config;
  if (ctx.op.dim === "H") return sliceRows(c, part.row0, part.row0 + part.rows);
  if (ctx.op.dim === "OC") return sliceChannels(c, part.c1 - part.c0);
  return c;
}

function input(ctx: OpContext, slot: number, name = "in"): ClTensor {
  const t = ctx.tensor(slot)!;
  return new ClTensor(name, t.dims, t.gpu ?? "image", "read");
}

function hasConst(ctx: OpContext, slot: number): boolean {
  const n = ctx.node.inputs[slot];
  return n !== undefined && n !== "" && ctx.isConst(slot);
}

export function specialisedGpuKernel(ctx: OpContext): GpuKernelSpec | undefined {
  switch (ctx.node.op) {
    case "Conv":
    case "ConvTranspose":
      return conv(ctx);
    case "MaxPool":
    case "AveragePool":
    case "GlobalAveragePool":
    case "GlobalMaxPool":
      return pool(ctx);
    case "Gemm":
    case "MatMul":
      return fc(ctx);
    default:
      return undefined;
  }
}

/** The kernel file and spec; `rows` adds the GPU's rows as the last arguments (ROW_PARAMS). */
export function finish(ctx: OpContext, part: GpuPart, entry: string, what: string, tensors: ClTensor[], params: string[], body: string[], args: KernelArgSpec[], launch: { global: readonly number[]; local: readonly number[] }, rows = true): GpuKernelSpec {
  const all = rows ? [...params, ...ROW_PARAMS] : params;
  const kernel = [`__kernel void ${entry}(${all.join(", ")}) {`, ...body.map((l) => `  ${l}`), "}"];
  return kernelSpec(entry, kernelFile(header(ctx, part, what, rows), tensors, kernel), launch, rows ? [...args, ...rowArgs(part)] : args);
}

function conv(ctx: OpContext): GpuKernelSpec | undefined {
  const node = ctx.node;
  if ((node.op !== "Conv" && node.op !== "ConvTranspose") || !hasConst(ctx, 1) || ctx.tensor(0) === undefined) return undefined;
  if (node.inputs[2] !== undefined && node.inputs[2] !== "" && !ctx.isConst(2)) return undefined;
  const w = ctx.shape(1);
  if (w.length !== 4 || ctx.out.shape.length !== 4) return undefined;
  const transposed = node.op === "ConvTranspose";
  const x = ctx.tensor(0)!;
  const g = node.attrs.group;
  // Conv weights are [OC][IC/g][kh][kw]; ConvTranspose's [IC][OC/g][kh][kw].
  const [kh, kw] = [w[2]!, w[3]!];
  const oc = transposed ? w[1]! * g : w[0]!;
  const icg = transposed ? w[0]! / g : w[1]!;
  const ocg = oc / g;
  const depthwise = !transposed && g > 1 && g === x.dims.c && g === oc;
  // A grouped convolution reads whole texels of its group: channels per group a multiple of 4.
  const grouped = g > 1 && !depthwise;
  if (grouped && (icg % 4 !== 0 || ocg % 4 !== 0)) return undefined;
  const part = gpuPartOf(ctx);
  const cfg = sliceConfig(ctx, part);
  const kernelId: GpuKernelId = transposed ? selectGpuKernel(cfg) : depthwise ? "gpu.dwconv2d" : kh === 1 && kw === 1 && cfg.sh === 1 && cfg.sw === 1 ? "gpu.conv2d_1x1" : "gpu.conv2d_direct";
  const launch = gpuLaunch(cfg, ctx.profile.gpu, kernelId);
  const [bx, , bz] = launch.block;
  const a = node.attrs;
  const [sh, sw] = [a.strides?.[0] ?? 1, a.strides?.[1] ?? 1];
  const [dh, dw] = [a.dilations?.[0] ?? 1, a.dilations?.[1] ?? 1];
  const [pt, pl] = [a.pads?.[0] ?? 0, a.pads?.[1] ?? 0];
  const d = x.dims;
  const o = ctx.out.dims;
  const icb = Math.ceil(icg / 4);
  const ocb0 = Math.floor(part.c0 / 4);
  const ocbs = Math.ceil(part.c1 / 4) - ocb0;
  const W = ctx.constant(1);
  const B = hasConst(ctx, 2) ? ctx.constant(2) : undefined;
  const weightAt = (c: number, i: number, y: number, xx: number): number =>
    transposed ? W[((((Math.floor(c / ocg) * icg + i) * ocg + (c % ocg)) * kh + y) * kw + xx)]! : W[((c * icg + i) * kh + y) * kw + xx]!;
  // Weights of the GPU's output channel blocks only.
  const per = depthwise ? kh * kw * 4 : kh * kw * icb * 16;
  const packed = new Float32Array(ocbs * per);
  const bias = new Float32Array(ocbs * 4);
  for (let j = 0; j < ocbs; j++) {
    for (let lane = 0; lane < 4; lane++) {
      const c = (ocb0 + j) * 4 + lane;
      if (c >= part.c1) continue;
      bias[j * 4 + lane] = B?.[c] ?? 0;
      for (let y = 0; y < kh; y++) {
        for (let xx = 0; xx < kw; xx++) {
          if (depthwise) packed[j * per + (y * kw + xx) * 4 + lane] = W[(c * kh + y) * kw + xx]!;
          else for (let i = 0; i < icg; i++) packed[j * per + (((y * kw + xx) * icb + (i >> 2)) * 4 + (i & 3)) * 4 + lane] = weightAt(c, i, y, xx);
        }
      }
    }
  }
  const wt = addGpuWeights(ctx, "w", packed, true, `${ctx.label()} GPU weights, output blocks [${ocb0}, ${ocb0 + ocbs})`);
  const bt = addGpuWeights(ctx, "bias", bias, true, `${ctx.label()} GPU bias`);
  const args: KernelArgSpec[] = [
    { kind: "tensor", tensor: x.id },
    { kind: "weights", id: wt.id },
    { kind: "weights", id: bt.id },
    { kind: "tensor", tensor: ctx.out.id },
  ];
  const inT = input(ctx, 0);
  const out = outputTensor(ctx, part);
  const params = [inT.param(), wt.param, bt.param, out.param()];
  const wrun = wt.run(`((jl * ${I(kh)} + ky) * ${I(kw)} + kx) * ${I(icb * 4)} + ib * 4`, "wp");
  const column = (pad: string): string[] =>
    (transposed
      ? [`const int tx = xb * ${I(bx)} + i + ${I(pl)} - kx * ${I(dw)};`, `if (tx < 0 || tx % ${I(sw)} != 0 || tx / ${I(sw)} >= ${I(d.w)}) continue;`, `const int iw = tx / ${I(sw)};`]
      : [`const int iw = (xb * ${I(bx)} + i) * ${I(sw)} - ${I(pl)} + kx * ${I(dw)};`, `if (iw < 0 || iw >= ${I(d.w)}) continue;`]
    ).map((l) => pad + l);
  const body = [
    `// block ${bx}x1x${bz}: ${bx} columns, ${bz} slices of 4 channels (kernels/gpu-conv.ts, ${kernelId})`,
    "const int xb = get_global_id(0);",
    "const int r = get_global_id(1);",
    "const int sb = get_global_id(2);",
    `if (r >= ${I(o.n)} * rows || xb * ${I(bx)} >= ${I(o.w)} || sb * ${I(bz)} >= ${I(ocbs)}) return;`,
    ...rowOf(o.n, "oh"),
    `float4 acc[${bx * bz}];`,
    `for (int j = 0; j < ${I(bz)}; j++) {`,
    `  const int jl = min(sb * ${I(bz)} + j, ${I(ocbs - 1)});`,
    `  const float4 b = ${bt.at("jl")};`,
    `  for (int i = 0; i < ${I(bx)}; i++) acc[i * ${I(bz)} + j] = b;`,
    "}",
    `for (int ky = 0; ky < ${I(kh)}; ky++) {`,
    ...(transposed
      ? [`  const int ty = oh + ${I(pt)} - ky * ${I(dh)};`, `  if (ty < 0 || ty % ${I(sh)} != 0 || ty / ${I(sh)} >= ${I(d.h)}) continue;`, `  const int ih = ty / ${I(sh)};`]
      : [`  const int ih = oh * ${I(sh)} - ${I(pt)} + ky * ${I(dh)};`, `  if (ih < 0 || ih >= ${I(d.h)}) continue;`]),
    `  for (int kx = 0; kx < ${I(kw)}; kx++) {`,
    ...(depthwise
      ? [
          `    for (int j = 0; j < ${I(bz)}; j++) {`,
          `      const int jl = min(sb * ${I(bz)} + j, ${I(ocbs - 1)});`,
          `      const float4 wv = ${wt.at(`jl * ${I(kh * kw)} + ky * ${I(kw)} + kx`)};`,
          `      for (int i = 0; i < ${I(bx)}; i++) {`,
          ...column("        "),
          `        acc[i * ${I(bz)} + j] += ${inT.ld4("n", "ih", "iw", `${I(ocb0)} + jl`)} * wv;`,
          "      }",
          "    }",
        ]
      : [
          `    for (int ib = 0; ib < ${I(icb)}; ib++) {`,
          `      for (int i = 0; i < ${I(bx)}; i++) {`,
          ...column("        "),
          ...(grouped ? [] : [`        const float4 v = ${inT.ld4("n", "ih", "iw", "ib")};`]),
          `        for (int j = 0; j < ${I(bz)}; j++) {`,
          `          const int jl = min(sb * ${I(bz)} + j, ${I(ocbs - 1)});`,
          // A group's input blocks follow from its output block.
          ...(grouped ? [`          const float4 v = ${inT.ld4("n", "ih", "iw", `(${I(ocb0)} + jl) * 4 / ${I(ocg)} * ${I(icb)} + ib`)};`] : []),
          `          ${wrun.decl}`,
          `          acc[i * ${I(bz)} + j] += v.x * ${wrun.quad(0)} + v.y * ${wrun.quad(1)} + v.z * ${wrun.quad(2)} + v.w * ${wrun.quad(3)};`,
          "        }",
          "      }",
          "    }",
        ]),
    "  }",
    "}",
    `for (int i = 0; i < ${I(bx)}; i++) {`,
    `  const int ow = xb * ${I(bx)} + i;`,
    `  if (ow >= ${I(o.w)}) break;`,
    `  for (int j = 0; j < ${I(bz)}; j++) {`,
    `    if (sb * ${I(bz)} + j >= ${I(ocbs)}) break;`,
    `    const float4 v = acc[i * ${I(bz)} + j];`,
    `    ${out.st4("n", "oh", "ow", `${I(ocb0)} + sb * ${I(bz)} + j`, activationExpr(node.activation, "v"))}`,
    "  }",
    "}",
  ];
  const what = transposed ? "transposed" : depthwise ? "depthwise" : kh === 1 && kw === 1 ? "1x1" : "direct";
  return finish(ctx, part, transposed ? "deconv2d" : depthwise ? "dwconv2d" : "conv2d", `${what}${grouped ? `, ${g} groups,` : ""} convolution ${kh}x${kw}/${sh}`, [inT, out], params, body, args, launch);
}

function pool(ctx: OpContext): GpuKernelSpec | undefined {
  const node = ctx.node;
  const x = ctx.tensor(0);
  if (x === undefined || ctx.out.shape.length !== 4 || x.shape.length !== 4) return undefined;
  const d = x.dims;
  let kh = d.h;
  let kw = d.w;
  let sh = 1;
  let sw = 1;
  let dh = 1;
  let dw = 1;
  let pt = 0;
  let pl = 0;
  let max = node.op === "GlobalMaxPool";
  let includePad = false;
  if (node.op === "MaxPool" || node.op === "AveragePool") {
    const a = node.attrs;
    if (a.kernelShape.length !== 2) return undefined;
    [kh, kw] = a.kernelShape as [number, number];
    [sh, sw] = [a.strides?.[0] ?? 1, a.strides?.[1] ?? 1];
    [dh, dw] = [a.dilations?.[0] ?? 1, a.dilations?.[1] ?? 1];
    [pt, pl] = [a.pads?.[0] ?? 0, a.pads?.[1] ?? 0];
    max = node.op === "MaxPool";
    includePad = a.countIncludePad;
  }
  const part = gpuPartOf(ctx);
  const launch = gpuLaunch(sliceConfig(ctx, part), ctx.profile.gpu, "gpu.pool");
  const bx = launch.block[0];
  const o = ctx.out.dims;
  const cb0 = Math.floor(part.c0 / 4);
  const cbs = Math.ceil(part.c1 / 4) - cb0;
  const inT = input(ctx, 0);
  const out = outputTensor(ctx, part);
  const fin = max ? "acc" : includePad ? `acc * ${F(1 / (kh * kw))}` : "acc / (float)max(cnt, 1)";
  const body = [
    `// block ${bx}x1x1 (kernels/gpu-conv.ts, gpu.pool)`,
    "const int xb = get_global_id(0);",
    "const int r = get_global_id(1);",
    `const int cb = ${I(cb0)} + (int)get_global_id(2);`,
    `if (r >= ${I(o.n)} * rows || xb * ${I(bx)} >= ${I(o.w)} || cb >= ${I(cb0 + cbs)}) return;`,
    ...rowOf(o.n, "oh"),
    `for (int i = 0; i < ${I(bx)}; i++) {`,
    `  const int ow = xb * ${I(bx)} + i;`,
    `  if (ow >= ${I(o.w)}) break;`,
    `  float4 acc = (float4)(${max ? "-INFINITY" : "0.0f"});`,
    "  int cnt = 0;",
    `  for (int ky = 0; ky < ${I(kh)}; ky++) {`,
    `    const int ih = oh * ${I(sh)} - ${I(pt)} + ky * ${I(dh)};`,
    `    if (ih < 0 || ih >= ${I(d.h)}) continue;`,
    `    for (int kx = 0; kx < ${I(kw)}; kx++) {`,
    `      const int iw = ow * ${I(sw)} - ${I(pl)} + kx * ${I(dw)};`,
    `      if (iw < 0 || iw >= ${I(d.w)}) continue;`,
    `      const float4 v = ${inT.ld4("n", "ih", "iw", "cb")};`,
    `      ${max ? "acc = fmax(acc, v);" : "acc += v;"}`,
    "      cnt++;",
    "    }",
    "  }",
    `  const float4 v = ${fin};`,
    `  ${out.st4("n", "oh", "ow", "cb", activationExpr(node.activation, "v"))}`,
    "}",
  ];
  return finish(ctx, part, "pool", `${max ? "max" : "average"} pooling ${kh}x${kw}/${sh}`, [inT, out], [inT.param(), out.param()], body, [{ kind: "tensor", tensor: x.id }, { kind: "tensor", tensor: ctx.out.id }], launch);
}

function fc(ctx: OpContext): GpuKernelSpec | undefined {
  const node = ctx.node;
  const x = ctx.tensor(0);
  if (x === undefined || !hasConst(ctx, 1)) return undefined;
  const aShape = ctx.shape(0);
  const bShape = ctx.shape(1);
  if (aShape.length !== 2 || bShape.length !== 2 || ctx.out.shape.length !== 2) return undefined;
  let alpha = 1;
  let beta = 1;
  let transB = false;
  let C: Float32Array | undefined;
  if (node.op === "Gemm") {
    if (node.attrs.transA) return undefined;
    ({ alpha, beta } = node.attrs);
    transB = node.attrs.transB;
    if (node.inputs[2] !== undefined && node.inputs[2] !== "") {
      if (!ctx.isConst(2)) return undefined;
      const cs = ctx.shape(2);
      if (cs.length > 2 || (cs.length === 2 && cs[0] !== 1)) return undefined;
      C = ctx.constant(2);
    }
  } else if (node.op !== "MatMul") return undefined;
  const part = gpuPartOf(ctx);
  const cfg = sliceConfig(ctx, part);
  const launch = gpuLaunch(cfg, ctx.profile.gpu, "gpu.fc");
  const split = fcSplit(cfg, ctx.profile.gpu);
  const K = aShape[1]!;
  const N = ctx.out.shape[1]!;
  const M = ctx.out.shape[0]!;
  const kb = Math.ceil(K / 4);
  const ocb0 = Math.floor(part.c0 / 4);
  const ocbs = Math.ceil(part.c1 / 4) - ocb0;
  assertInternal(launch.global[0]! >= ocbs * split, `fc launch covers ${launch.global[0]} of ${ocbs * split} work items`);
  const Bv = ctx.constant(1);
  const packed = new Float32Array(ocbs * kb * 16);
  const bias = new Float32Array(ocbs * 4);
  for (let j = 0; j < ocbs; j++) {
    for (let lane = 0; lane < 4; lane++) {
      const o = (ocb0 + j) * 4 + lane;
      if (o >= part.c1) continue;
      bias[j * 4 + lane] = C === undefined ? 0 : beta * (C.length === 1 ? C[0]! : C[o]!);
      for (let k = 0; k < K; k++) packed[((j * kb + (k >> 2)) * 4 + (k & 3)) * 4 + lane] = alpha * Bv[transB ? o * K + k : k * N + o]!;
    }
  }
  const inT = input(ctx, 0);
  const out = outputTensor(ctx, part);
  const wt = addGpuWeights(ctx, "w", packed, true, `${ctx.label()} GPU weights, output blocks [${ocb0}, ${ocb0 + ocbs})`);
  const bt = addGpuWeights(ctx, "bias", bias, true, `${ctx.label()} GPU bias`);
  const wrun = wt.run(`(j * ${I(kb)} + kb) * 4`, "wp");
  const step = [
    `  ${wrun.decl}`,
    `  const float4 v = ${inT.ld4("m", "0", "0", "kb")};`,
    `  acc += v.x * ${wrun.quad(0)} + v.y * ${wrun.quad(1)} + v.z * ${wrun.quad(2)} + v.w * ${wrun.quad(3)};`,
  ];
  const store = out.st4("m", "0", "0", `${I(ocb0)} + j`, activationExpr(node.activation, "v"));
  const body =
    split === 1
      ? [
          "// one work item: 4 outputs of one row (kernels/gpu-conv.ts, gpu.fc)",
          "const int j = get_global_id(0);",
          "const int m = get_global_id(1);",
          `if (j >= ${I(ocbs)} || m >= ${I(M)}) return;`,
          `float4 acc = ${bt.at("j")};`,
          `for (int kb = 0; kb < ${I(kb)}; kb++) {`,
          ...step,
          "}",
          "const float4 v = acc;",
          store,
        ]
      : [
          `// one work-group of ${split}: 4 outputs of one row, the K loop shared (gpu.fcSplitK), partial sums added in local memory`,
          `__local float4 partial[${split}];`,
          "const int i = get_local_id(0);",
          "const int j = get_group_id(0);",
          "const int m = get_global_id(1);",
          "float4 acc = (float4)(0.0f);",
          `for (int kb = i; kb < ${I(kb)}; kb += ${split}) {`,
          ...step,
          "}",
          "partial[i] = acc;",
          "barrier(CLK_LOCAL_MEM_FENCE);",
          `for (int s = ${split / 2}; s > 0; s >>= 1) {`,
          "  if (i < s) partial[i] += partial[i + s];",
          "  barrier(CLK_LOCAL_MEM_FENCE);",
          "}",
          "if (i != 0) return;",
          `const float4 v = partial[0] + ${bt.at("j")};`,
          store,
        ];
  const args: KernelArgSpec[] = [
    { kind: "tensor", tensor: x.id },
    { kind: "weights", id: wt.id },
    { kind: "weights", id: bt.id },
    { kind: "tensor", tensor: ctx.out.id },
  ];
  return finish(ctx, part, "fc", `fully connected ${K} -> ${N}`, [inT, out], [inT.param(), wt.param, bt.param, out.param()], body, args, launch, false);
}
