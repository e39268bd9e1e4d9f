/**
 * The CPU half of an operator: an XNNPACK descriptor where the runtime has
 * the operator and XNNPACK computes exactly ONNX's result (cpu-xnnpack.ts),
 * else a small C++ kernel generated into model.cc that loops over the CPU's
 * output rows or channels and computes each element with element.ts.
 *
 * CPU tensors are whole-tensor NHWC buffers; a kernel writes only its part.
 */

import { bufferStrides, LAYOUT_OPS, layoutIsCopy, layoutMoves, type MoveAxis, softmaxAxes } from "../kernels/layout.js";
import { intLit as I } from "./c-text.js";
import { activationExpr, dims4, ElementGen } from "./element.js";
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
  return xnnpackHalf(ctx) ?? layoutHalf(ctx) ?? softmaxHalf(ctx) ?? pixelHalf(ctx) ?? customHalf(ctx);
}

/** The operator whole on the CPU from a data input in slot 0, with no fused activation: its input, else undefined. */
function wholeFromData(ctx: OpContext): { id: number; shape: readonly number[] } | undefined {
  const r = ctx.op.cpu!;
  const x = ctx.tensor(0);
  if (x === undefined || ctx.isConst(0) || ctx.node.activation !== undefined) return undefined;
  return ctx.op.dim !== "OC" && r[0] === 0 && r[1] === ctx.out.dims.h ? x : undefined;
}

function customSpec(ctx: OpContext, input: number, comment: string, body: readonly string[]): CpuHalfSpec {
  const name = `cpu_${ctx.label()}`;
  const code = [`// ${ctx.label()}: ${ctx.node.op}; CPU, whole: ${comment}`, `void ${name}(const CpuCall& call) {`, "  const float* in = call.inputs[0];", "  float* out = call.output;", ...body, "}"].join("\n");
  return { kind: "kCustom", inputs: [{ tensor: input, row0: 0, rows: 0, ch0: 0, chs: 0 }], output: cpuOutputView(ctx), fields: { weights: -1, bias: -1 }, custom: { name, code } };
}

/** Nested loops over the axes of `dims` longer than 1, as `for` heads (index names `${v}k`) and the index terms `v·stride`. */
function loopsOver(v: string, dims: readonly number[], strides: readonly number[]): { heads: string[]; terms: string[] } {
  const heads: string[] = [];
  const terms: string[] = [];
  dims.forEach((d, k) => {
    if (d <= 1) return;
    heads.push(`for (int ${v}${k} = 0; ${v}${k} < ${I(d)}; ${v}${k}++)`);
    terms.push(`${v}${k} * ${I(strides[k] ?? 0)}`);
  });
  return { heads, terms };
}

/**
 * Transpose, Reshape, Flatten, Squeeze and Unsqueeze: element moves between
 * two NHWC buffers (kernels/layout.ts) with no division per element. One
 * copy when the order is kept. Otherwise nested loops whose every axis steps
 * both buffers by a constant (a reshape walks the common refinement of its
 * two shapes), the axis of contiguous reads innermost in blocks of
 * LAYOUT_BLOCK, just inside the axis of contiguous writes, so a block's
 * output lines stay cached while they fill. A reshape without a common
 * refinement steps an odometer over the output instead. The element loop
 * this replaces rebuilt four coordinates from the flat index with a
 * division each.
 */
function layoutHalf(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const x = LAYOUT_OPS.has(node.op) ? wholeFromData(ctx) : undefined;
  if (x === undefined) return undefined;
  const outShape = ctx.out.shape;
  const total = outShape.reduce((p, d) => p * d, 1);
  const perm = node.op === "Transpose" ? (node.attrs.perm ?? [...x.shape.keys()].reverse()) : undefined;
  if (layoutIsCopy(x.shape, outShape, perm)) {
    return customSpec(ctx, x.id, "the buffer's order is kept, one copy", [`  std::memcpy(out, in, ${I(total)} * sizeof(float));`]);
  }
  const moves = layoutMoves(x.shape, outShape, perm);
  if (moves !== undefined) return customSpec(ctx, x.id, "constant steps on both sides, reads blocked inside writes", blockedMoves(moves));
  // The output position as an odometer over its axes longer than 1, innermost first.
  const inStrides = bufferStrides(x.shape);
  const outStrides = bufferStrides(outShape);
  const axes = outShape.map((d, k) => ({ d, s: outStrides[k] ?? 0, k })).filter((a) => a.d > 1);
  const lines = ["  int oa = 0;", ...axes.map((a) => `  int o${a.k} = 0;`)];
  const step = (i: number, indent: string): string[] => {
    const a = axes[i];
    if (a === undefined) return [];
    const prev = axes[i - 1];
    return [
      `${indent}oa += ${I(a.s)};`,
      `${indent}if (++o${a.k} == ${I(a.d)}) {`,
      `${indent}  o${a.k} = 0;`,
      `${indent}  oa -= ${I(a.d * a.s)};`,
      ...(prev === undefined ? [] : step(i - 1, `${indent}  `)),
      `${indent}}`,
    ];
  };
  const inner = loopsOver("i", x.shape, inStrides);
  lines.push(`  ${inner.heads.join(" ")} {`, `    out[oa] = in[${inner.terms.join(" + ") || "0"}];`, ...step(axes.length - 1, "    "), "  }");
  return customSpec(ctx, x.id, "the input's order, an odometer over the output", lines);
}

/** Elements of the read-contiguous axis per block: 8 output lines (one per element) stay in an 8-way L1 set. */
const LAYOUT_BLOCK = 8;

/** Loops over `moves`: the others in order, then the write axis W, then the read axis R in blocks (when they differ). */
function blockedMoves(moves: readonly MoveAxis[]): string[] {
  const index = (k: number) => `m${k}`;
  const byIn = moves.reduce((b, a, k) => (a.inStride < (moves[b]?.inStride ?? Infinity) ? k : b), 0);
  const byOut = moves.reduce((b, a, k) => (a.outStride < (moves[b]?.outStride ?? Infinity) ? k : b), 0);
  const inAt = moves.map((a, k) => `${index(k)} * ${I(a.inStride)}`).join(" + ") || "0";
  const outAt = moves.map((a, k) => `${index(k)} * ${I(a.outStride)}`).join(" + ") || "0";
  const loop = (k: number) => `for (int ${index(k)} = 0; ${index(k)} < ${I(moves[k]!.dim)}; ${index(k)}++)`;
  const others = moves.map((_, k) => k).filter((k) => k !== byIn && k !== byOut);
  const body = `out[${outAt}] = in[${inAt}];`;
  if (moves.length === 0) return [`  ${body}`];
  if (byIn === byOut || moves[byIn]!.dim <= LAYOUT_BLOCK) {
    const order = [...others, ...(byIn === byOut ? [] : [byIn]), byOut];
    return [`  ${[...order.map(loop), body].join(" ")}`];
  }
  const r = index(byIn);
  const dim = moves[byIn]!.dim;
  const end = dim % LAYOUT_BLOCK === 0 ? `${r}b + ${I(LAYOUT_BLOCK)}` : `(${r}b + ${I(LAYOUT_BLOCK)} < ${I(dim)} ? ${r}b + ${I(LAYOUT_BLOCK)} : ${I(dim)})`;
  const heads = [...others.map(loop), `for (int ${r}b = 0; ${r}b < ${I(dim)}; ${r}b += ${I(LAYOUT_BLOCK)})`, loop(byOut), `for (int ${r} = ${r}b; ${r} < ${end}; ${r}++)`];
  return [`  ${[...heads, body].join(" ")}`];
}

/**
 * Softmax over one axis of a rank ≤ 4 tensor (the ones XNNPACK's softmax
 * does not take): per position of the other axes, one pass for the maximum,
 * one for the exponentials and their sum, one to divide. The element loop
 * this replaces ran both reductions again for every output element.
 */
function softmaxHalf(ctx: OpContext): CpuHalfSpec | undefined {
  const node = ctx.node;
  const x = node.op === "Softmax" ? wholeFromData(ctx) : undefined;
  if (x === undefined || node.op !== "Softmax") return undefined;
  const shape = ctx.out.shape;
  const r = shape.length;
  if (r > 4) return undefined;
  const reduced = softmaxAxes(shape, node.attrs.axis, node.attrs.legacy).reduced.map((b, i) => b && (shape[i] ?? 1) > 1);
  const along = reduced.indexOf(true);
  if (reduced.filter((b) => b).length > 1) return undefined;
  const d = dims4(shape);
  const view = [d.n, d.c, d.h, d.w];
  // Steps of n, c, y, x in the NHWC buffer.
  const steps = [d.h * d.w * d.c, 1, d.w * d.c, d.c];
  const len = along < 0 ? 1 : (view[along] ?? 1);
  const stride = along < 0 ? 0 : (steps[along] ?? 0);
  const outer = loopsOver("p", view.map((v, k) => (k === along ? 1 : v)), steps);
  const at = (t: string) => `[b + ${t} * ${I(stride)}]`;
  const lines = [
    `  ${outer.heads.join(" ")} {`,
    `    const int b = ${outer.terms.join(" + ") || "0"};`,
    "    float m = -INFINITY;",
    `    for (int t = 0; t < ${I(len)}; t++) m = fmax(m, in${at("t")});`,
    "    float s = 0.0f;",
    `    for (int t = 0; t < ${I(len)}; t++) {`,
    `      const float e = exp(in${at("t")} - m);`,
    `      out${at("t")} = e;`,
    "      s += e;",
    "    }",
    `    for (int t = 0; t < ${I(len)}; t++) out${at("t")} /= s;`,
    "  }",
  ];
  return customSpec(ctx, x.id, `one pass per position for the maximum, the sum and the quotients, over ${len} elements`, lines);
}

/**
 * Channels [c0, c1) of one pixel from `src` to `dst`: up to 16 channels in 16-byte memcpys (each one vector
 * move) and one for the rest, past 16 in one memcpy. Not a plain loop: GCC cannot rule out that dst and src
 * overlap and unrolled a 16-channel loop into 16 scalar moves (2.4× the element loop it replaced).
 */
function channelCopy(c0: number, c1: number): string {
  if (c1 - c0 > 16) return `std::memcpy(dst + ${I(c0)}, src + ${I(c0)}, ${I(c1 - c0)} * sizeof(float));`;
  const whole = c0 + 4 * Math.floor((c1 - c0) / 4);
  const parts: string[] = [];
  if (whole > c0) parts.push(`for (int k = ${I(c0)}; k < ${I(whole)}; k += 4) std::memcpy(dst + k, src + k, 4 * sizeof(float));`);
  if (c1 > whole) parts.push(`std::memcpy(dst + ${I(whole)}, src + ${I(whole)}, ${I(c1 - whole)} * sizeof(float));`);
  return parts.join(" ");
}

/**
 * Operators that move whole pixels (a rank-4 Pad of H and W, a nearest
 * Resize): every output column's source column (and whether it lies inside
 * the input) worked out once into a table, every row's once per row, then
 * each pixel's channels in one contiguous move. The element loop this
 * replaces redid the index maths (remainders, floor) for every channel; on
 * host-pocl its cost per pixel jumped with the channel count (a nearest
 * Resize of 8 channels took 4.6 ns a pixel, one of 16 channels 3.1).
 */
function pixelHalf(ctx: OpContext): CpuHalfSpec | undefined {
  if ((ctx.node.op !== "Pad" && ctx.node.op !== "Resize") || ctx.isConst(0)) return undefined;
  const x = ctx.tensor(0);
  if (x === undefined) return undefined;
  const gen = new ElementGen(ctx.node, ctx.elementInputs(), ctx.out.shape, { load: () => "", loadFlat: () => "", konst: () => "" });
  const src = gen.pixelSource();
  if (src === undefined) return undefined;
  const d = ctx.out.dims;
  const xd = x.dims;
  const range = ctx.op.cpu!;
  const [c0, c1] = ctx.op.dim === "OC" ? range : [0, d.c];
  const act = (v: string) => activationExpr(ctx.node.activation, v);
  const copy = ctx.node.activation === undefined ? channelCopy(c0, c1) : `for (int c = ${I(c0)}; c < ${I(c1)}; c++) dst[c] = ${act("src[c]")};`;
  const fill = `for (int c = ${I(c0)}; c < ${I(c1)}; c++) dst[c] = ${act(src.fill ?? "0.0f")};`;
  // The column table: source column times C (its offset in a row), or −1 where a constant Pad fills.
  const columns = [
    `  int col[${I(d.w)}];`,
    `  for (int x = 0; x < ${I(d.w)}; x++) {`,
    ...src.x.stmts.map((l) => `    ${l}`),
    `    col[x] = ${src.x.inside === undefined ? "" : `!(${src.x.inside}) ? -1 : `}${src.x.source} * ${I(xd.c)};`,
    "  }",
  ];
  const pixel =
    src.fill === undefined
      ? [`const float* src = row + col[x];`, copy]
      : // Marked likely: in a branch GCC took for cold it expanded the copy as `rep movsl`, 1.8× slower (34×44×32).
        [`if (__builtin_expect(inRow && col[x] >= 0, 1)) {`, `  const float* src = row + col[x];`, `  ${copy}`, "} else {", `  ${fill}`, "}"];
  const name = `cpu_${ctx.label()}`;
  const code = [
    `// ${ctx.label()}: ${ctx.node.op}; CPU ${cpuPart(ctx)}: one source pixel per output pixel, its channels in a row`,
    `void ${name}(const CpuCall& call) {`,
    "  const float* in = call.inputs[0];",
    "  float* out = call.output;",
    ...rowBounds(ctx),
    ...columns,
    `  for (int n = 0; n < ${I(d.n)}; n++)`,
    `    for (int y = y0; y < y1; y++) {`,
    ...src.y.stmts.map((l) => `      ${l}`),
    ...(src.fill === undefined ? [] : [`      const bool inRow = ${src.y.inside ?? "true"};`]),
    `      const float* row = in + (n * ${I(xd.h)} + ${src.y.source}${src.fill === undefined ? "" : ` * inRow`}) * ${I(xd.w * xd.c)};`,
    `      for (int x = 0; x < ${I(d.w)}; x++) {`,
    `        float* dst = out + ((n * ${I(d.h)} + y) * ${I(d.w)} + x) * ${I(d.c)};`,
    ...pixel.map((l) => `        ${l}`),
    "      }",
    "    }",
    "}",
  ].join("\n");
  return { kind: "kCustom", inputs: [{ tensor: x.id, row0: 0, rows: 0, ch0: 0, chs: 0 }], output: cpuOutputView(ctx), fields: { weights: -1, bias: -1 }, custom: { name, code } };
}

/** What the CPU half computes, for a kernel's comment. */
function cpuPart(ctx: OpContext): string {
  const [a, b] = ctx.op.cpu!;
  if (ctx.op.dim === "OC") return `channels [${a}, ${b})`;
  return ctx.op.dim === "H" ? "rows: its output view's (a rebalancing variant moves them)" : `rows [${a}, ${b})`;
}

/** y0, y1: the output rows of a custom kernel; an H split's come from its view at run time, so every variant shares the code. */
function rowBounds(ctx: OpContext): string[] {
  if (ctx.op.dim === "H") return ["  const int y0 = call.op->cpu.output.row0, y1 = y0 + call.op->cpu.output.rows;"];
  const [y0, y1] = ctx.op.dim === "OC" ? [0, ctx.out.dims.h] : ctx.op.cpu!;
  return [`  const int y0 = ${I(y0)}, y1 = ${I(y1)};`];
}

export function customHalf(ctx: OpContext): CpuHalfSpec {
  const d = ctx.out.dims;
  const range = ctx.op.cpu!;
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
    `// ${ctx.label()}: ${ctx.node.op}; CPU ${cpuPart(ctx)}`,
    `void ${name}(const CpuCall& call) {`,
    ...lines,
    "  float* out = call.output;",
    ...rowBounds(ctx),
    `  for (int n = 0; n < ${I(d.n)}; n++)`,
    `    for (int y = y0; y < y1; y++)`,
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
