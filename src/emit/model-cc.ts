/**
 * src/model.cc: the tables of codegen/runtime/model_desc.h for one plan —
 * tensors, weights, operators (GPU kernels and CPU halves), chains with
 * their transforms — plus the generated C++ kernels of the CPU halves.
 * Everything is written in emission order; nothing depends on Map order.
 */

import { CompilerError } from "../diag/errors.js";
import { CodeWriter, cString, commentText, floatLit } from "./c-text.js";
import type { CpuHalfSpec, CpuViewSpec } from "./cpu.js";
import type { GpuKernelSpec } from "./gpu.js";
import type { EmitChain, EmitOp, EmitProgram, EmitTransform } from "./program.js";
import type { ChainVariants } from "./variants.js";
import type { WeightsEntry } from "./weights.js";

export interface EmittedOp {
  readonly op: EmitOp;
  readonly gpu: readonly GpuKernelSpec[];
  readonly cpu: CpuHalfSpec | null;
}

export interface ModelCcInput {
  readonly title: readonly string[];
  readonly name: string;
  readonly program: EmitProgram;
  readonly ops: readonly EmittedOp[];
  readonly weights: readonly WeightsEntry[];
  readonly weightsBytes: number;
  readonly weightsCrc32: number;
  readonly defaultThreads: number;
  /** Per chain: its rebalancing variants (empty: none). */
  readonly variants?: ChainVariants;
}

const PROC = { cpu: "Proc::kCpu", gpu: "Proc::kGpu" } as const;
const DIM = { H: "SplitDim::kH", OC: "SplitDim::kOC", none: "SplitDim::kNone" } as const;
const PLACEMENT = { cpu: "Placement::kCpu", gpu: "Placement::kGpu", split: "Placement::kSplit" } as const;
const WKIND = { host: "WeightsKind::kHost", gpuBuffer: "WeightsKind::kGpuBuffer", gpuImage: "WeightsKind::kGpuImage" } as const;

function view(v: CpuViewSpec): string {
  return `{${v.tensor}, ${v.row0}, ${v.rows}, ${v.ch0}, ${v.chs}}`;
}

function arrayOrNull(w: CodeWriter, decl: string, name: string, items: readonly string[]): string {
  if (items.length === 0) return "nullptr";
  w.line(`const ${decl} ${name}[] = {${items.join(", ")}};`);
  return name;
}

function transforms(w: CodeWriter, name: string, list: readonly EmitTransform[], program: EmitProgram): string {
  if (list.length === 0) return "nullptr";
  w.line(`const TransformDesc ${name}[] = {`);
  for (const t of list) w.line(`    {${t.tensor}, ${PROC[t.to]}, ${DIM[t.dim]}, {${t.range[0]}, ${t.range[1]}}},  // ${commentText(program.tensors[t.tensor]?.name ?? "")}`);
  w.line("};");
  return name;
}

/** Emits one operator's kernels, arguments and CPU half; returns its kOps row. */
function opRow(w: CodeWriter, e: EmittedOp, tag: string): string {
  const op = e.op;
  const gpuNames: string[] = [];
  e.gpu.forEach((g, j) => {
    const args = g.args.map((a) => (a.kind === "tensor" ? `{ArgKind::kTensor, ${a.tensor}, 0, 0.0f}` : a.kind === "weights" ? `{ArgKind::kWeights, ${a.id}, 0, 0.0f}` : `{ArgKind::kInt, 0, ${a.value}, 0.0f}`));
    const argName = arrayOrNull(w, "KernelArg", `kArgs${tag}_${j}`, args);
    gpuNames.push(`{${cString(g.file)}, ${cString(g.entry)}, "", 3, {${g.global.join(", ")}}, {${g.local.join(", ")}}, ${argName}, ${g.args.length}}`);
  });
  const gpuArr = gpuNames.length === 0 ? "nullptr" : `kGpu${tag}`;
  if (gpuNames.length > 0) {
    w.line(`const GpuKernelDesc kGpu${tag}[] = {`);
    for (const g of gpuNames) w.line(`    ${g},`);
    w.line("};");
  }
  let cpuExpr = "CpuOpDesc{}";
  if (e.cpu !== null) {
    const c = e.cpu;
    const ins = arrayOrNull(w, "CpuView", `kCpuIn${tag}`, c.inputs.map(view));
    w.block(`CpuOpDesc cpu${tag}()`, () => {
      w.line("CpuOpDesc d{};");
      w.line(`d.kind = CpuKind::${c.kind};`);
      w.line(`d.inputs = ${ins};`);
      w.line(`d.num_inputs = ${c.inputs.length};`);
      w.line(`d.output = ${view(c.output)};`);
      const fields: Record<string, number | string> = { weights: -1, bias: -1, out_min: "-INFINITY", out_max: "INFINITY", ...c.fields };
      for (const [k2, v] of Object.entries(fields)) w.line(`d.${k2} = ${typeof v === "number" && !Number.isInteger(v) ? floatLit(v) : v};`);
      if (c.custom !== undefined) w.line(`d.custom = ${c.custom.name};`);
      w.line("return d;");
    });
    cpuExpr = `cpu${tag}()`;
  }
  const opIn = arrayOrNull(
    w,
    "int32_t",
    `kOpIn${tag}`,
    [...new Set(op.inputs.filter((t) => t !== undefined))].map(String),
  );
  w.line(`const int32_t kOpOut${tag}[] = {${op.output}};`);
  const r = (x: readonly [number, number] | null) => (x === null ? "{0, 0}" : `{${x[0]}, ${x[1]}}`);
  const nIn = new Set(op.inputs.filter((t) => t !== undefined)).size;
  return `    {${cString(String(op.id))}, ${cString(op.node.op === "Unknown" ? op.node.onnxOp : op.node.op)}, ${PLACEMENT[op.placement]}, ${DIM[op.dim]}, ${r(op.gpu)}, ${r(op.cpu)}, ${r(op.gpuIn)}, ${r(op.cpuIn)}, ${opIn}, ${nIn}, kOpOut${tag}, 1, ${gpuArr}, ${e.gpu.length}, ${cpuExpr}},  // ${commentText(op.node.name)}`;
}

export function emitModelCc(m: ModelCcInput): string {
  const w = new CodeWriter();
  for (const t of m.title) w.line(`// ${commentText(t)}`);
  w.line("#include <cmath>").line("#include <cstdint>").line("#include <cstring>").line().line('#include "model_desc.h"').line();
  w.line("namespace codl {").line("namespace {").line();
  w.line("using std::ceil;").line("using std::exp;").line("using std::floor;").line("using std::fmax;").line("using std::fmin;").line("using std::sqrt;").line("using std::tanh;").line();

  // TensorDesc holds ranks 1–4: a graph input or output of higher rank would be folded and then refused at run time.
  for (const [kind, ids] of [["input", m.program.inputs], ["output", m.program.outputs]] as const) {
    for (const id of ids) {
      const t = m.program.tensors[id]!;
      if (t.shape.length > 4) throw new CompilerError("CODL-E096", { kind, name: t.name, rank: t.shape.length });
    }
  }
  w.line("// ---- tensors: {name, rank, n, c, h, w, GPU storage, GPU dtype, CPU buffer, home} ----");
  w.line("const TensorDesc kTensors[] = {");
  for (const t of m.program.tensors) {
    const gpu = t.gpu === "image" ? "GpuStorage::kImage" : t.gpu === "buffer" ? "GpuStorage::kBuffer" : "GpuStorage::kNone";
    const rank = Math.min(4, Math.max(1, t.shape.length));
    const d = t.dims;
    w.line(`    {${cString(t.name)}, ${rank}, ${d.n}, ${d.c}, ${d.h}, ${d.w}, ${gpu}, ${t.gpuHalf ? "DType::kF16" : "DType::kF32"}, ${t.cpu}, ${PROC[t.home]}},  // ${t.id}: [${t.shape.join("x")}]`);
  }
  w.line("};");
  const inputs = arrayOrNull(w, "int32_t", "kInputs", m.program.inputs.map(String));
  const outputs = arrayOrNull(w, "int32_t", "kOutputs", m.program.outputs.map(String));
  w.line();

  w.line("// ---- weights.bin: {offset, bytes, kind, image width, image height} ----");
  let weights = "nullptr";
  if (m.weights.length > 0) {
    weights = "kWeights";
    w.line("const WeightsDesc kWeights[] = {");
    m.weights.forEach((e, i) => {
      w.line(`    {${e.offset}, ${e.bytes}, ${WKIND[e.kind]}, ${e.imageWidth}, ${e.imageHeight}},  // ${i}: ${commentText(e.label)}`);
    });
    w.line("};");
  }
  w.line();

  const customs = m.ops.map((o) => o.cpu?.custom).filter((c) => c !== undefined);
  if (customs.length > 0) {
    w.line("// ---- CPU kernels XNNPACK does not have ----");
    for (const c of customs) w.line(c.code).line();
  }

  w.line("// ---- operators ----");
  const opRows = m.ops.map((e, k) => opRow(w, e, `${k}`));
  w.line().line("const OpDesc kOps[] = {");
  for (const row of opRows) w.line(row);
  w.line("};").line();

  w.line("// ---- chains: transforms {tensor, towards, dim, range} ----");
  const chainRows: string[] = [];
  let first = 0;
  m.program.chains.forEach((c: EmitChain, k) => {
    const ins = transforms(w, `kC${k}In`, c.in, m.program);
    const outs = transforms(w, `kC${k}Out`, c.out, m.program);
    chainRows.push(`    {${cString(c.id)}, ${first}, ${c.ops.length}, ${DIM[c.dim]}, ${floatLit(c.ratio)}, ${ins}, ${c.in.length}, ${outs}, ${c.out.length}},`);
    first += c.ops.length;
  });
  w.line("const ChainDesc kChains[] = {");
  for (const row of chainRows) w.line(row);
  w.line("};").line();

  const variantRows: string[] = [];
  const variants = m.variants ?? [];
  if (variants.some((v) => v.length > 0)) w.line("// ---- rebalancing: each H chain cut at other ratios (src/emit/variants.ts) ----");
  let firstOp = 0;
  m.program.chains.forEach((c, k) => {
    (variants[k] ?? []).forEach((v, j) => {
      let opsRef = `&kOps[${firstOp}]`;
      let ins = `kC${k}In`;
      let outs = `kC${k}Out`;
      if (!v.compiled) {
        const rows = v.ops.map((e, i) => opRow(w, e, `${k}v${j}_${i}`));
        w.line(`const OpDesc kC${k}V${j}Ops[] = {`);
        for (const row of rows) w.line(row);
        w.line("};");
        opsRef = `kC${k}V${j}Ops`;
        ins = transforms(w, `kC${k}V${j}In`, v.in, m.program);
        outs = transforms(w, `kC${k}V${j}Out`, v.out, m.program);
      } else {
        if (c.in.length === 0) ins = "nullptr";
        if (c.out.length === 0) outs = "nullptr";
      }
      variantRows.push(`    {${k}, ${floatLit(v.ratio)}, ${opsRef}, ${ins}, ${v.in.length}, ${outs}, ${v.out.length}},${v.compiled ? "  // compiled" : ""}`);
    });
    firstOp += c.ops.length;
  });
  let variantsRef = "nullptr";
  if (variantRows.length > 0) {
    variantsRef = "kVariants";
    w.line("const ChainVariantDesc kVariants[] = {");
    for (const row of variantRows) w.line(row);
    w.line("};").line();
  }

  w.line("const ModelDesc kModel = {");
  w.line("    kModelDescVersion,");
  w.line(`    ${cString(m.name)},`);
  w.line(`    kTensors, ${m.program.tensors.length},`);
  w.line(`    ${inputs}, ${m.program.inputs.length},`);
  w.line(`    ${outputs}, ${m.program.outputs.length},`);
  w.line(`    ${weights}, ${m.weights.length},`);
  w.line(`    ${m.weightsBytes}ull,`);
  w.line(`    0x${m.weightsCrc32.toString(16).padStart(8, "0")}u,`);
  w.line(`    kOps, ${m.ops.length},`);
  w.line(`    kChains, ${m.program.chains.length},`);
  w.line(`    ${m.defaultThreads},`);
  w.line(`    ${variantsRef}, ${variantRows.length},`);
  w.line("};").line();
  w.line("}  // namespace").line();
  w.line("const ModelDesc& bundled_model() { return kModel; }").line();
  w.line("}  // namespace codl");
  return w.text();
}
