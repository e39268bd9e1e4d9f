/**
 * The CPU half of an operator: an XNNPACK descriptor where the runtime has
 * the operator and XNNPACK computes exactly ONNX's result (cpu-xnnpack.ts),
 * else a small C++ kernel generated into model.cc that loops over the CPU's
 * output rows or channels and computes each element with element.ts.
 *
 * CPU tensors are whole-tensor NHWC buffers; a kernel writes only its part.
 */

import { intLit as I } from "./c-text.js";
import { ElementGen } from "./element.js";
import type { OpContext } from "./op-context.js";
import { xnnpackHalf } from "./cpu-xnnpack.js";

export interface CpuViewSpec {
  readonly tensor: number;
  readonly row0: number;
  readonly rows: number;
  readonly ch0: number;
  readonly chs: number;
}

export interface CpuHalfSpec {
  /** A CpuKind enumerator name, e.g. "kConv2d". */
  readonly kind: string;
  readonly inputs: readonly CpuViewSpec[];
  readonly output: CpuViewSpec;
  /** Other CpuOpDesc fields by name (numbers or C++ expressions). */
  readonly fields: Readonly<Record<string, number | string>>;
  /** kCustom: the function's name and its C++ text. */
  readonly custom?: { readonly name: string; readonly code: string };
}

/** The CPU's part of the output as a view (rows for H and whole, channels for OC). */
export function cpuOutputView(ctx: OpContext): CpuViewSpec {
  const r = ctx.op.cpu!;
  const d = ctx.out.dims;
  if (ctx.op.dim === "OC") return { tensor: ctx.out.id, row0: 0, rows: 0, ch0: r[0], chs: r[1] - r[0] };
  if (r[0] === 0 && r[1] === d.h) return { tensor: ctx.out.id, row0: 0, rows: 0, ch0: 0, chs: 0 };
  return { tensor: ctx.out.id, row0: r[0], rows: r[1] - r[0], ch0: 0, chs: 0 };
}

export function emitCpuHalf(ctx: OpContext): CpuHalfSpec {
  return xnnpackHalf(ctx) ?? customHalf(ctx);
}

export function customHalf(ctx: OpContext): CpuHalfSpec {
  const d = ctx.out.dims;
  const range = ctx.op.cpu!;
  const [y0, y1] = ctx.op.dim === "OC" ? [0, d.h] : range;
  const [c0, c1] = ctx.op.dim === "OC" ? range : [0, d.c];
  const name = `cpu_${ctx.label()}`;
  const lines: string[] = [];
  const inputs: CpuViewSpec[] = [];
  const loadName = new Map<number, string>();
  ctx.node.inputs.forEach((input, slot) => {
    if (input === "" || ctx.isConst(slot)) return;
    const t = ctx.tensor(slot)!;
    const i = inputs.length;
    inputs.push({ tensor: t.id, row0: 0, rows: 0, ch0: 0, chs: 0 });
    const td = t.dims;
    lines.push(
      `  const float* in${slot} = call.inputs[${i}];`,
      `  [[maybe_unused]] auto ld${slot} = [&](int n, int c, int y, int x) -> float { return in${slot}[((n * ${I(td.h)} + y) * ${I(td.w)} + x) * ${I(td.c)} + c]; };`,
      `  [[maybe_unused]] auto ldf${slot} = [&](int f) -> float { return ld${slot}(f / ${I(td.c * td.h * td.w)}, (f / ${I(td.h * td.w)}) % ${I(td.c)}, (f / ${I(td.w)}) % ${I(td.h)}, f % ${I(td.w)}); };`,
    );
    loadName.set(slot, `ld${slot}`);
  });
  ctx.node.inputs.forEach((input, slot) => {
    if (input === "" || !ctx.isConst(slot)) return;
    const values = ctx.constant(slot);
    if (values.length === 0) return;
    const id = ctx.weights.add(values, "host", `${ctx.label()} input ${slot}`);
    lines.push(`  [[maybe_unused]] const float* k${slot} = reinterpret_cast<const float*>(call.weights + call.model->weights[${id}].offset);`);
  });
  const gen = new ElementGen(ctx.node, ctx.elementInputs(), ctx.out.shape, {
    load: (slot, n, c, y, x) => `${loadName.get(slot)}(${n}, ${c}, ${y}, ${x})`,
    loadFlat: (slot, f) => `ldf${slot}(${f})`,
    konst: (slot, f) => `k${slot}[${f}]`,
  });
  const code = gen.generate();
  const text = [
    `// ${ctx.label()}: ${ctx.node.op}; CPU ${ctx.op.dim === "OC" ? `channels [${c0}, ${c1})` : `rows [${y0}, ${y1})`}`,
    `void ${name}(const CpuCall& call) {`,
    ...lines,
    "  float* out = call.output;",
    `  for (int n = 0; n < ${I(d.n)}; n++)`,
    `    for (int y = ${I(y0)}; y < ${I(y1)}; y++)`,
    `      for (int x = 0; x < ${I(d.w)}; x++)`,
    `        for (int c = ${I(c0)}; c < ${I(c1)}; c++) {`,
    `          [[maybe_unused]] const int of = ((n * ${I(d.c)} + c) * ${I(d.h)} + y) * ${I(d.w)} + x;`,
    ...code.stmts.map((s) => `          ${s}`),
    `          out[((n * ${I(d.h)} + y) * ${I(d.w)} + x) * ${I(d.c)} + c] = ${code.value};`,
    "        }",
    "}",
  ].join("\n");
  return { kind: "kCustom", inputs, output: cpuOutputView(ctx), fields: { weights: -1, bias: -1 }, custom: { name, code: text } };
}
