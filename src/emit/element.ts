/**
 * One output element of any operator, as C-like statements plus a value
 * expression. The same text serves both processors: the CPU's generated
 * C++ kernels (model.cc) and the GPU's generic OpenCL kernel wrap it in
 * their own loops and supply tensor access through an `ElementAccess`.
 *
 * In scope when the text runs: `n, c, y, x` (the output element in the
 * output tensor's N×C×H×W view, DESIGN.md's rank padding) and `of`, its
 * logical flat index ((n·C + c)·H + y)·W + x, which is also its row-major
 * index in the ONNX shape of any rank. Reading an input goes through
 *
 *   load(slot, n, c, y, x)   a data input in its own N×C×H×W view
 *   loadFlat(slot, f)        a data input by logical flat index
 *   konst(slot, f)           a constant input (weights.bin, ONNX order)
 *
 * so every kernel reads absolute input rows and channels: the caller only
 * chooses which output rows or channels to loop over.
 *
 * Numerics follow ONNX Runtime's CPU kernels (e.g. AveragePool's divisor,
 * Resize's coordinate modes), since that is what the tests compare against.
 */

import { CompilerError } from "../diag/errors.js";
import type { Activation, Node } from "../ir/graph.js";
import { elementCount, type StaticShape } from "../ir/tensor.js";
import { floatLit, intLit } from "./c-text.js";

export interface Dims4 {
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/**
 * The N×C×H×W view of a shape, as the runtime's TensorDesc pads ranks with
 * trailing 1s: rank 3 is N×C×L, rank 2 N×C, rank 1 N; rank > 4 folds the
 * tail into W.
 */
export function dims4(shape: StaticShape): Dims4 {
  const d = (i: number): number => shape[i] ?? 1;
  if (shape.length === 0) return { n: 1, c: 1, h: 1, w: 1 };
  if (shape.length === 1) return { n: d(0), c: 1, h: 1, w: 1 };
  if (shape.length <= 4) return { n: d(0), c: d(1), h: d(2), w: d(3) };
  return { n: d(0), c: d(1), h: d(2), w: elementCount(shape.slice(3)) };
}

export function sameDims(a: Dims4, b: Dims4): boolean {
  return a.n === b.n && a.c === b.c && a.h === b.h && a.w === b.w;
}

export interface ElementAccess {
  load(slot: number, n: string, c: string, y: string, x: string): string;
  loadFlat(slot: number, f: string): string;
  konst(slot: number, f: string): string;
}

export interface ElementInput {
  readonly shape: StaticShape;
  readonly constant: boolean;
}

/** One axis of a pixel-moving operator's source (ElementGen.pixelSource). */
export interface PixelAxis {
  /** Statements that use only the axis's output index. */
  readonly stmts: readonly string[];
  /** The source index they declare (or the output index itself). */
  readonly source: string;
  /** A constant Pad's test that the source index lies inside the input. */
  readonly inside?: string;
}

export interface ElementCode {
  readonly stmts: readonly string[];
  readonly value: string;
}

const I = intLit;
const F = floatLit;

function strides(shape: StaticShape): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = (s[i + 1] ?? 1) * (shape[i + 1] ?? 1);
  return s;
}

function unsupported(node: Node, cause: string): never {
  throw new CompilerError("CODL-E090", { op: node.op === "Unknown" ? node.onnxOp : node.op, node: node.name, cause });
}

/** A fused or standalone activation applied to a float expression. */
export function activationExpr(a: Activation | undefined, v: string): string {
  if (a === undefined) return v;
  switch (a.kind) {
    case "relu":
      return `fmax(${v}, 0.0f)`;
    case "relu6":
      return `fmin(fmax(${v}, 0.0f), 6.0f)`;
    case "clip":
      return `fmin(fmax(${v}, ${F(a.min)}), ${F(a.max)})`;
    case "leakyRelu":
      return `(${v} < 0.0f ? ${F(a.alpha)} * ${v} : ${v})`;
    case "hardSwish":
      return `(${v} * fmin(fmax(${v} + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f))`;
    case "sigmoid":
      return `(1.0f / (1.0f + exp(-${v})))`;
    case "tanh":
      return `tanh(${v})`;
  }
}

export class ElementGen {
  private counter = 0;
  readonly out: Dims4;
  readonly outShape: StaticShape;

  constructor(
    readonly node: Node,
    readonly inputs: readonly (ElementInput | undefined)[],
    outShape: StaticShape,
    readonly access: ElementAccess,
  ) {
    this.outShape = outShape;
    this.out = dims4(outShape);
  }

  private fresh(p: string): string {
    return `${p}${this.counter++}`;
  }

  private input(slot: number): ElementInput {
    const i = this.inputs[slot];
    if (i === undefined) unsupported(this.node, `input ${slot} is missing`);
    return i;
  }

  /** Input `slot` by logical flat index (data or constant). */
  flat(slot: number, f: string): string {
    return this.input(slot).constant ? this.access.konst(slot, f) : this.access.loadFlat(slot, f);
  }

  /** Input `slot` at 4-D coordinates of its own view. */
  at(slot: number, n: string, c: string, y: string, x: string): string {
    const inp = this.input(slot);
    if (!inp.constant) return this.access.load(slot, n, c, y, x);
    const d = dims4(inp.shape);
    return this.access.konst(slot, `((${n} * ${I(d.c)} + ${c}) * ${I(d.h)} + ${y}) * ${I(d.w)} + ${x}`);
  }

  /** Input `slot` broadcast (ONNX multidirectional rules) to the current output element. */
  broadcast(slot: number): string {
    const inp = this.input(slot);
    const r = this.outShape.length;
    if (inp.shape.length > r) unsupported(this.node, "an input has a higher rank than the output");
    const padded = [...new Array<number>(r - inp.shape.length).fill(1), ...inp.shape];
    if (r > 4) {
      if (padded.some((d, i) => d !== this.outShape[i])) unsupported(this.node, "broadcasting over more than 4 dimensions");
      return this.flat(slot, "of");
    }
    const d = dims4(padded);
    const o = this.out;
    const n = d.n === 1 && o.n !== 1 ? "0" : "n";
    const c = d.c === 1 && o.c !== 1 ? "0" : "c";
    const y = d.h === 1 && o.h !== 1 ? "0" : "y";
    const x = d.w === 1 && o.w !== 1 ? "0" : "x";
    if (!inp.constant && sameDims(d, dims4(inp.shape))) return this.access.load(slot, n, c, y, x);
    return this.flat(slot, `((${n} * ${I(d.c)} + ${c}) * ${I(d.h)} + ${y}) * ${I(d.w)} + ${x}`);
  }

  /**
   * Concat of rank ≤ 4, whose axis k is coordinate k of the N×C×H×W view: each
   * input is read at the output's coordinates, shifted along the axis. No
   * division or remainder per element, so the cost does not depend on whether
   * the extents are powers of two (a flat-index version ran 12 of 16 rows
   * 2× slower than all 16 on this VM).
   */
  private concat4(axis: number): string {
    const names = ["n", "c", "y", "x"] as const;
    const v = names[axis] ?? unsupported(this.node, `concat axis ${axis}`);
    let off = 0;
    const parts: Array<{ end: number; expr: string }> = [];
    this.node.inputs.forEach((_, slot) => {
      const ak = this.input(slot).shape[axis] ?? 1;
      const at = (k: number): string => (k === axis && off > 0 ? `(${v} - ${I(off)})` : (names[k] ?? "0"));
      parts.push({ end: off + ak, expr: this.at(slot, at(0), at(1), at(2), at(3)) });
      off += ak;
    });
    let value = parts[parts.length - 1]?.expr ?? "0.0f";
    for (let k = parts.length - 2; k >= 0; k--) value = `(${v} < ${I(parts[k]!.end)} ? ${parts[k]!.expr} : ${value})`;
    return value;
  }

  /** Declares the multi-index of `f` over `shape`; returns the index variable names. */
  private multiIndex(stmts: string[], shape: StaticShape, f: string): string[] {
    const st = strides(shape);
    return shape.map((d, i) => {
      const v = this.fresh("i");
      stmts.push(`const int ${v} = (${f} / ${I(st[i] ?? 1)}) % ${I(d)};`);
      return v;
    });
  }

  /** The element, with the node's fused activation applied. */
  generate(): ElementCode {
    const code = this.body();
    return { stmts: code.stmts, value: activationExpr(this.node.activation, code.value) };
  }

  private body(): ElementCode {
    const node = this.node;
    const stmts: string[] = [];
    const let_ = (expr: string, p = "v"): string => {
      const v = this.fresh(p);
      stmts.push(`const float ${v} = ${expr};`);
      return v;
    };
    switch (node.op) {
      case "Relu":
        return { stmts, value: `fmax(${this.broadcast(0)}, 0.0f)` };
      case "LeakyRelu": {
        const v = let_(this.broadcast(0));
        return { stmts, value: `(${v} < 0.0f ? ${F(node.attrs.alpha)} * ${v} : ${v})` };
      }
      case "Clip":
        return { stmts, value: `fmin(fmax(${this.broadcast(0)}, ${F(node.attrs.min)}), ${F(node.attrs.max)})` };
      case "Sigmoid":
        return { stmts, value: `(1.0f / (1.0f + exp(-${let_(this.broadcast(0))})))` };
      case "HardSigmoid":
        return { stmts, value: `fmin(fmax(${F(node.attrs.alpha)} * ${this.broadcast(0)} + ${F(node.attrs.beta)}, 0.0f), 1.0f)` };
      case "HardSwish": {
        const v = let_(this.broadcast(0));
        return { stmts, value: `(${v} * fmin(fmax(${v} + 3.0f, 0.0f), 6.0f) * (1.0f / 6.0f))` };
      }
      case "Tanh":
        return { stmts, value: `tanh(${this.broadcast(0)})` };
      case "PRelu": {
        const v = let_(this.broadcast(0));
        return { stmts, value: `(${v} < 0.0f ? ${this.broadcast(1)} * ${v} : ${v})` };
      }
      case "Add":
      case "Sub":
      case "Mul":
      case "Div": {
        const sym = { Add: "+", Sub: "-", Mul: "*", Div: "/" }[node.op];
        return { stmts, value: `(${this.broadcast(0)} ${sym} ${this.broadcast(1)})` };
      }
      case "BatchNormalization": {
        // y = (x − mean) · scale / sqrt(var + ε) + bias, per channel (axis 1 = c of the view).
        const k = (slot: number): string => this.flat(slot, "c");
        return { stmts, value: `((${this.at(0, "n", "c", "y", "x")} - ${k(3)}) * ${k(1)} / sqrt(${k(4)} + ${F(node.attrs.epsilon)}) + ${k(2)})` };
      }
      case "Reshape":
      case "Flatten":
      case "Squeeze":
      case "Unsqueeze":
        return { stmts, value: this.flat(0, "of") };
      case "Transpose": {
        const inShape = this.input(0).shape;
        const r = inShape.length;
        const perm = node.attrs.perm ?? [...Array(r).keys()].reverse();
        const j = this.multiIndex(stmts, this.outShape, "of");
        const st = strides(inShape);
        const terms = j.map((v, k) => `${v} * ${I(st[perm[k] ?? 0] ?? 1)}`);
        return { stmts, value: this.flat(0, terms.join(" + ") || "0") };
      }
      case "Concat": {
        const r = this.outShape.length;
        const axis = node.attrs.axis < 0 ? node.attrs.axis + r : node.attrs.axis;
        if (r <= 4) return { stmts, value: this.concat4(axis) };
        const inner = elementCount(this.outShape.slice(axis + 1));
        const A = this.outShape[axis] ?? 1;
        const outer = this.fresh("o");
        const ia = this.fresh("a");
        const ii = this.fresh("r");
        stmts.push(`const int ${outer} = of / ${I(A * inner)};`, `const int ${ia} = (of / ${I(inner)}) % ${I(A)};`, `const int ${ii} = of % ${I(inner)};`);
        let off = 0;
        const parts: Array<{ end: number; expr: string }> = [];
        node.inputs.forEach((_, slot) => {
          const ak = this.input(slot).shape[axis] ?? 1;
          parts.push({ end: off + ak, expr: this.flat(slot, `(${outer} * ${I(ak)} + (${ia} - ${I(off)})) * ${I(inner)} + ${ii}`) });
          off += ak;
        });
        let value = parts[parts.length - 1]?.expr ?? "0.0f";
        for (let k = parts.length - 2; k >= 0; k--) value = `(${ia} < ${I(parts[k]!.end)} ? ${parts[k]!.expr} : ${value})`;
        return { stmts, value };
      }
      case "Pad": {
        const inShape = this.input(0).shape;
        const r = inShape.length;
        const pads = node.attrs.pads ?? unsupported(node, "pads are not constant");
        // Rank 4: the output's own n, c, y, x (no division per element); other ranks: the multi-index of `of`.
        const four = r === 4;
        const j = four ? ["n", "c", "y", "x"] : this.multiIndex(stmts, this.outShape, "of");
        const st = strides(inShape);
        const src: string[] = [];
        const at: string[] = [];
        const inside: string[] = [];
        j.forEach((v, k) => {
          const len = inShape[k] ?? 1;
          if (four && (pads[k] ?? 0) === 0 && (pads[k + r] ?? 0) === 0) {
            // An axis without padding reads the same index in every mode.
            at.push(v);
            return;
          }
          const s = this.padSource(stmts, inside, v, pads[k] ?? 0, len);
          at.push(s);
          src.push(`${s} * ${I(st[k] ?? 1)}`);
        });
        const load = four ? this.at(0, at[0]!, at[1]!, at[2]!, at[3]!) : this.flat(0, src.join(" + ") || "0");
        if (r === 0 || inside.length === 0) return { stmts, value: load };
        return { stmts, value: `((${inside.join(" && ")}) ? ${load} : ${F(node.attrs.value)})` };
      }
      case "Resize":
        return this.resize(stmts);
      case "Softmax": {
        const r = this.outShape.length;
        const axis = node.attrs.axis < 0 ? node.attrs.axis + r : node.attrs.axis;
        const A = node.attrs.legacy ? elementCount(this.outShape.slice(axis)) : (this.outShape[axis] ?? 1);
        const inner = node.attrs.legacy ? 1 : elementCount(this.outShape.slice(axis + 1));
        const b = this.fresh("b");
        const m = this.fresh("m");
        const s = this.fresh("s");
        const t = this.fresh("t");
        const at = (idx: string) => this.flat(0, `${b} + ${idx} * ${I(inner)}`);
        stmts.push(
          `const int ${b} = (of / ${I(A * inner)}) * ${I(A * inner)} + of % ${I(inner)};`,
          `float ${m} = -INFINITY;`,
          `for (int ${t} = 0; ${t} < ${I(A)}; ${t}++) ${m} = fmax(${m}, ${at(t)});`,
          `float ${s} = 0.0f;`,
          `for (int ${t} = 0; ${t} < ${I(A)}; ${t}++) ${s} += exp(${at(t)} - ${m});`,
        );
        return { stmts, value: `(exp(${this.flat(0, "of")} - ${m}) / ${s})` };
      }
      case "GlobalAveragePool":
      case "GlobalMaxPool": {
        const d = dims4(this.input(0).shape);
        const acc = this.fresh("acc");
        const max = node.op === "GlobalMaxPool";
        stmts.push(`float ${acc} = ${max ? "-INFINITY" : "0.0f"};`);
        const ky = this.fresh("ky");
        const kx = this.fresh("kx");
        const v = this.at(0, "n", "c", ky, kx);
        stmts.push(`for (int ${ky} = 0; ${ky} < ${I(d.h)}; ${ky}++) for (int ${kx} = 0; ${kx} < ${I(d.w)}; ${kx}++) ${max ? `${acc} = fmax(${acc}, ${v})` : `${acc} += ${v}`};`);
        return { stmts, value: max ? acc : `(${acc} * ${F(1 / (d.h * d.w))})` };
      }
      case "ReduceMean": {
        const inShape = this.input(0).shape;
        const r = inShape.length;
        const axes = (node.attrs.axes ?? [...Array(r).keys()]).map((a) => (a < 0 ? a + r : a));
        const j = this.multiIndex(stmts, this.outShape, "of");
        const st = strides(inShape);
        const acc = this.fresh("acc");
        stmts.push(`float ${acc} = 0.0f;`);
        let jk = 0;
        const loops: string[] = [];
        const terms: string[] = [];
        let count = 1;
        for (let k = 0; k < r; k++) {
          if (axes.includes(k)) {
            const t = this.fresh("t");
            loops.push(`for (int ${t} = 0; ${t} < ${I(inShape[k] ?? 1)}; ${t}++)`);
            terms.push(`${t} * ${I(st[k] ?? 1)}`);
            count *= inShape[k] ?? 1;
            if (node.attrs.keepdims) jk++;
          } else {
            terms.push(`${j[jk++] ?? "0"} * ${I(st[k] ?? 1)}`);
          }
        }
        stmts.push(`${loops.join(" ")} ${acc} += ${this.flat(0, terms.join(" + ") || "0")};`);
        return { stmts, value: `(${acc} * ${F(1 / count)})` };
      }
      case "MaxPool":
      case "AveragePool":
        return this.pool(stmts);
      case "Conv":
        return this.conv(stmts);
      case "ConvTranspose":
        return this.convTranspose(stmts);
      case "Gemm":
        return this.gemm(stmts);
      case "MatMul":
        return this.matmul(stmts);
      default:
        return unsupported(node, "no generated kernel for this operator");
    }
  }

  private pool(stmts: string[]): ElementCode {
    const node = this.node;
    if (node.op !== "MaxPool" && node.op !== "AveragePool") throw new Error("pool");
    const a = node.attrs;
    if (a.kernelShape.length !== 2) unsupported(node, "only 2-D pooling is supported");
    const d = dims4(this.input(0).shape);
    const [kh, kw] = [a.kernelShape[0] ?? 1, a.kernelShape[1] ?? 1];
    const [sh, sw] = [a.strides?.[0] ?? 1, a.strides?.[1] ?? 1];
    const [dh, dw] = [a.dilations?.[0] ?? 1, a.dilations?.[1] ?? 1];
    const [pt, pl] = [a.pads?.[0] ?? 0, a.pads?.[1] ?? 0];
    const max = node.op === "MaxPool";
    const acc = this.fresh("acc");
    const cnt = this.fresh("cnt");
    const ky = this.fresh("ky");
    const kx = this.fresh("kx");
    const iy = this.fresh("iy");
    const ix = this.fresh("ix");
    stmts.push(`float ${acc} = ${max ? "-INFINITY" : "0.0f"};`, `int ${cnt} = 0;`);
    stmts.push(
      `for (int ${ky} = 0; ${ky} < ${I(kh)}; ${ky}++) {`,
      `  const int ${iy} = y * ${I(sh)} - ${I(pt)} + ${ky} * ${I(dh)};`,
      `  if (${iy} < 0 || ${iy} >= ${I(d.h)}) continue;`,
      `  for (int ${kx} = 0; ${kx} < ${I(kw)}; ${kx}++) {`,
      `    const int ${ix} = x * ${I(sw)} - ${I(pl)} + ${kx} * ${I(dw)};`,
      `    if (${ix} < 0 || ${ix} >= ${I(d.w)}) continue;`,
      `    ${max ? `${acc} = fmax(${acc}, ${this.at(0, "n", "c", iy, ix)})` : `${acc} += ${this.at(0, "n", "c", iy, ix)}`};`,
      `    ${cnt}++;`,
      "  }",
      "}",
    );
    if (max) return { stmts, value: acc };
    if (a.countIncludePad) return { stmts, value: `(${acc} * ${F(1 / (kh * kw))})` };
    return { stmts, value: `(${acc} / (float)(${cnt} > 0 ? ${cnt} : 1))` };
  }

  private conv(stmts: string[]): ElementCode {
    const node = this.node;
    if (node.op !== "Conv") throw new Error("conv");
    const a = node.attrs;
    const w = this.input(1).shape;
    if (w.length !== 4) unsupported(node, "only 2-D convolution is supported");
    const d = dims4(this.input(0).shape);
    const [oc, icg, kh, kw] = [w[0] ?? 1, w[1] ?? 1, w[2] ?? 1, w[3] ?? 1];
    const ocg = oc / a.group;
    const [sh, sw] = [a.strides?.[0] ?? 1, a.strides?.[1] ?? 1];
    const [dh, dw] = [a.dilations?.[0] ?? 1, a.dilations?.[1] ?? 1];
    const [pt, pl] = [a.pads?.[0] ?? 0, a.pads?.[1] ?? 0];
    const acc = this.fresh("acc");
    const t = this.fresh("t");
    const ky = this.fresh("ky");
    const kx = this.fresh("kx");
    const iy = this.fresh("iy");
    const ix = this.fresh("ix");
    const bias = this.inputs[2] === undefined ? "0.0f" : this.flat(2, "c");
    stmts.push(
      `float ${acc} = ${bias};`,
      `for (int ${t} = 0; ${t} < ${I(icg)}; ${t}++) {`,
      `  for (int ${ky} = 0; ${ky} < ${I(kh)}; ${ky}++) {`,
      `    const int ${iy} = y * ${I(sh)} - ${I(pt)} + ${ky} * ${I(dh)};`,
      `    if (${iy} < 0 || ${iy} >= ${I(d.h)}) continue;`,
      `    for (int ${kx} = 0; ${kx} < ${I(kw)}; ${kx}++) {`,
      `      const int ${ix} = x * ${I(sw)} - ${I(pl)} + ${kx} * ${I(dw)};`,
      `      if (${ix} < 0 || ${ix} >= ${I(d.w)}) continue;`,
      `      ${acc} += ${this.at(0, "n", `(c / ${I(ocg)}) * ${I(icg)} + ${t}`, iy, ix)} * ${this.flat(1, `((c * ${I(icg)} + ${t}) * ${I(kh)} + ${ky}) * ${I(kw)} + ${kx}`)};`,
      "    }",
      "  }",
      "}",
    );
    return { stmts, value: acc };
  }

  private convTranspose(stmts: string[]): ElementCode {
    const node = this.node;
    if (node.op !== "ConvTranspose") throw new Error("convTranspose");
    const a = node.attrs;
    const w = this.input(1).shape;
    if (w.length !== 4) unsupported(node, "only 2-D transposed convolution is supported");
    const d = dims4(this.input(0).shape);
    const [ic, ocg, kh, kw] = [w[0] ?? 1, w[1] ?? 1, w[2] ?? 1, w[3] ?? 1];
    const icg = ic / a.group;
    const [sh, sw] = [a.strides?.[0] ?? 1, a.strides?.[1] ?? 1];
    const [dh, dw] = [a.dilations?.[0] ?? 1, a.dilations?.[1] ?? 1];
    const [pt, pl] = [a.pads?.[0] ?? 0, a.pads?.[1] ?? 0];
    const acc = this.fresh("acc");
    const t = this.fresh("t");
    const ky = this.fresh("ky");
    const kx = this.fresh("kx");
    const ty = this.fresh("ty");
    const tx = this.fresh("tx");
    const bias = this.inputs[2] === undefined ? "0.0f" : this.flat(2, "c");
    const icv = `(c / ${I(ocg)}) * ${I(icg)} + ${t}`;
    stmts.push(
      `float ${acc} = ${bias};`,
      `for (int ${t} = 0; ${t} < ${I(icg)}; ${t}++) {`,
      `  for (int ${ky} = 0; ${ky} < ${I(kh)}; ${ky}++) {`,
      `    const int ${ty} = y + ${I(pt)} - ${ky} * ${I(dh)};`,
      `    if (${ty} < 0 || ${ty} % ${I(sh)} != 0 || ${ty} / ${I(sh)} >= ${I(d.h)}) continue;`,
      `    for (int ${kx} = 0; ${kx} < ${I(kw)}; ${kx}++) {`,
      `      const int ${tx} = x + ${I(pl)} - ${kx} * ${I(dw)};`,
      `      if (${tx} < 0 || ${tx} % ${I(sw)} != 0 || ${tx} / ${I(sw)} >= ${I(d.w)}) continue;`,
      `      ${acc} += ${this.at(0, "n", icv, `${ty} / ${I(sh)}`, `${tx} / ${I(sw)}`)} * ${this.flat(1, `(((${icv}) * ${I(ocg)} + c % ${I(ocg)}) * ${I(kh)} + ${ky}) * ${I(kw)} + ${kx}`)};`,
      "    }",
      "  }",
      "}",
    );
    return { stmts, value: acc };
  }

  private gemm(stmts: string[]): ElementCode {
    const node = this.node;
    if (node.op !== "Gemm") throw new Error("gemm");
    const { alpha, beta, transA, transB } = node.attrs;
    const [M, N] = [this.outShape[0] ?? 1, this.outShape[1] ?? 1];
    const aShape = this.input(0).shape;
    const K = transA ? (aShape[0] ?? 1) : (aShape[1] ?? 1);
    const i = this.fresh("i");
    const j = this.fresh("j");
    const acc = this.fresh("acc");
    const k = this.fresh("k");
    stmts.push(`const int ${i} = of / ${I(N)};`, `const int ${j} = of % ${I(N)};`, `float ${acc} = 0.0f;`);
    const av = this.flat(0, transA ? `${k} * ${I(M)} + ${i}` : `${i} * ${I(K)} + ${k}`);
    const bv = this.flat(1, transB ? `${j} * ${I(K)} + ${k}` : `${k} * ${I(N)} + ${j}`);
    stmts.push(`for (int ${k} = 0; ${k} < ${I(K)}; ${k}++) ${acc} += ${av} * ${bv};`);
    let value = alpha === 1 ? acc : `${F(alpha)} * ${acc}`;
    const cIn = this.inputs[2];
    if (cIn !== undefined && beta !== 0) {
      const cs = cIn.shape;
      const padded = [...new Array<number>(2 - cs.length).fill(1), ...cs];
      const ci = (padded[0] ?? 1) === 1 ? "0" : i;
      const cj = (padded[1] ?? 1) === 1 ? "0" : j;
      const cv = this.flat(2, `${ci} * ${I(padded[1] ?? 1)} + ${cj}`);
      value = `${value} + ${beta === 1 ? cv : `${F(beta)} * ${cv}`}`;
    }
    return { stmts, value: `(${value})` };
  }

  private matmul(stmts: string[]): ElementCode {
    const a = this.input(0).shape;
    const b = this.input(1).shape;
    const o = this.outShape;
    const K = a[a.length - 1] ?? 1;
    const aRank2 = a.length >= 2;
    const bRank2 = b.length >= 2;
    const j = this.multiIndex(stmts, o, "of");
    // Output axes: batch…, [M if A has it], [N if B has it].
    const nAxis = bRank2 ? j[j.length - 1] : undefined;
    const mAxis = aRank2 ? j[j.length - (bRank2 ? 2 : 1)] : undefined;
    const batch = j.slice(0, j.length - (aRank2 ? 1 : 0) - (bRank2 ? 1 : 0));
    const index = (shape: StaticShape, tailRank: number, tail: string[]): string => {
      const st = strides(shape);
      const bs = shape.slice(0, shape.length - tailRank);
      const terms: string[] = [];
      bs.forEach((d, q) => {
        const outIdx = batch[batch.length - bs.length + q];
        if (d !== 1 && outIdx !== undefined) terms.push(`${outIdx} * ${I(st[q] ?? 1)}`);
      });
      tail.forEach((t, q) => {
        terms.push(`${t} * ${I(st[shape.length - tailRank + q] ?? 1)}`);
      });
      return terms.join(" + ") || "0";
    };
    const k = this.fresh("k");
    const acc = this.fresh("acc");
    const av = this.flat(0, aRank2 ? index(a, 2, [mAxis ?? "0", k]) : k);
    const bv = this.flat(1, bRank2 ? index(b, 2, [k, nAxis ?? "0"]) : k);
    stmts.push(`float ${acc} = 0.0f;`, `for (int ${k} = 0; ${k} < ${I(K)}; ${k}++) ${acc} += ${av} * ${bv};`);
    return { stmts, value: acc };
  }

  private resize(stmts: string[]): ElementCode {
    const node = this.node;
    if (node.op !== "Resize") throw new Error("resize");
    const inShape = this.input(0).shape;
    if (inShape.length !== 4 || inShape[0] !== this.outShape[0] || inShape[1] !== this.outShape[1]) unsupported(node, "only spatial 4-D resizing is supported");
    const a = node.attrs;
    if (a.mode === "cubic") unsupported(node, "cubic resizing");
    const d = dims4(inShape);
    const o = this.out;
    if (a.mode === "nearest") {
      const sy = this.nearestSource(stmts, "y", 2);
      const sx = this.nearestSource(stmts, "x", 3);
      return { stmts, value: this.at(0, "n", "c", sy, sx) };
    }
    const fy = this.fresh("fy");
    const fx = this.fresh("fx");
    stmts.push(`const float ${fy} = ${this.resizeCoord(2, "y", d.h, o.h)};`, `const float ${fx} = ${this.resizeCoord(3, "x", d.w, o.w)};`);
    const axisTaps = (f: string, len: number): [string, string, string] => {
      const cl = this.fresh("cl");
      const i0 = this.fresh("p");
      const i1 = this.fresh("q");
      const t = this.fresh("w");
      stmts.push(
        `const float ${cl} = fmin(fmax(${f}, 0.0f), ${F(len - 1)});`,
        `const int ${i0} = (int)${cl};`,
        `const int ${i1} = ${i0} + 1 < ${I(len)} ? ${i0} + 1 : ${I(len - 1)};`,
        `const float ${t} = ${cl} - (float)${i0};`,
      );
      return [i0, i1, t];
    };
    const [y0, y1, ty] = axisTaps(fy, d.h);
    const [x0, x1, tx] = axisTaps(fx, d.w);
    const at = (yy: string, xx: string) => this.at(0, "n", "c", yy, xx);
    const top = `(${at(y0, x0)} * (1.0f - ${tx}) + ${at(y0, x1)} * ${tx})`;
    const bottom = `(${at(y1, x0)} * (1.0f - ${tx}) + ${at(y1, x1)} * ${tx})`;
    return { stmts, value: `(${top} * (1.0f - ${ty}) + ${bottom} * ${ty})` };
  }

  /** Resize's source coordinate (float) along axis 2 (y) or 3 (x) of output index `v`, in ONNX's coordinate mode. */
  private resizeCoord(axis: 2 | 3, v: string, lenIn: number, lenOut: number): string {
    const a = (this.node as Extract<Node, { op: "Resize" }>).attrs;
    const scale = a.scales?.[axis] ?? lenOut / lenIn;
    switch (a.coordinateTransformationMode) {
      case "asymmetric":
        return `(float)${v} * ${F(1 / scale)}`;
      case "align_corners":
        return lenOut === 1 ? "0.0f" : `(float)${v} * ${F((lenIn - 1) / (lenOut - 1))}`;
      case "pytorch_half_pixel":
        return lenOut > 1 ? `((float)${v} + 0.5f) * ${F(1 / scale)} - 0.5f` : "0.0f";
      case "tf_half_pixel_for_nn":
        return `((float)${v} + 0.5f) * ${F(1 / scale)}`;
      default:
        return `((float)${v} + 0.5f) * ${F(1 / scale)} - 0.5f`;
    }
  }

  /** A nearest Resize's source row (axis 2, from `y`) or column (axis 3, from `x`), clamped to the input; declares it in `stmts`. */
  private nearestSource(stmts: string[], v: "y" | "x", axis: 2 | 3): string {
    const a = (this.node as Extract<Node, { op: "Resize" }>).attrs;
    const d = dims4(this.input(0).shape);
    const len = axis === 2 ? d.h : d.w;
    const f = this.resizeCoord(axis, v, len, axis === 2 ? this.out.h : this.out.w);
    const rounded = { floor: `floor(${f})`, ceil: `ceil(${f})`, round_prefer_ceil: `floor(${f} + 0.5f)` }[a.nearestMode] ?? `ceil(${f} - 0.5f)`;
    const s = this.fresh(`s${v}`);
    stmts.push(`int ${s} = (int)${rounded};`, `${s} = ${s} < 0 ? 0 : ${s} > ${I(len - 1)} ? ${I(len - 1)} : ${s};`);
    return s;
  }

  /**
   * For operators that move whole pixels, the input pixel output pixel (n, y, x) reads: a rank-4 Pad that pads
   * neither N nor C, and a nearest Resize that scales only H and W. One part per axis: statements that use only
   * `y` (or only `x`), the source row (column) they declare, and for a constant Pad the test that it lies inside
   * the input (else the pixel is `fill`). A caller can so work out every column once and every row once, and copy
   * each pixel's channels in one contiguous move. Undefined for any other operator.
   */
  pixelSource(): { y: PixelAxis; x: PixelAxis; fill?: string } | undefined {
    const node = this.node;
    if (node.op === "Resize") {
      const inShape = this.input(0).shape;
      if (node.attrs.mode !== "nearest" || inShape.length !== 4 || inShape[0] !== this.outShape[0] || inShape[1] !== this.outShape[1]) return undefined;
      const axis = (v: "y" | "x", k: 2 | 3): PixelAxis => {
        const stmts: string[] = [];
        return { stmts, source: this.nearestSource(stmts, v, k) };
      };
      return { y: axis("y", 2), x: axis("x", 3) };
    }
    if (node.op !== "Pad") return undefined;
    const inShape = this.input(0).shape;
    const pads = node.attrs.pads;
    if (pads === undefined || inShape.length !== 4 || [0, 1, 4, 5].some((i) => (pads[i] ?? 0) !== 0)) return undefined;
    const axis = (v: "y" | "x", k: 2 | 3): PixelAxis => {
      if ((pads[k] ?? 0) === 0 && (pads[k + 4] ?? 0) === 0) return { stmts: [], source: v };
      const stmts: string[] = [];
      const inside: string[] = [];
      const source = this.padSource(stmts, inside, v, pads[k] ?? 0, inShape[k] ?? 1);
      return inside.length === 0 ? { stmts, source } : { stmts, source, inside: inside.join(" && ") };
    };
    const y = axis("y", 2);
    const x = axis("x", 3);
    return y.inside === undefined && x.inside === undefined ? { y, x } : { y, x, fill: F(node.attrs.value) };
  }

  /**
   * Pad's source index along one axis of input length `len` for output index `v` shifted by `begin`, in the
   * node's mode (declared in `stmts`); a constant pad adds its in-range test to `inside` instead.
   */
  private padSource(stmts: string[], inside: string[], v: string, begin: number, len: number): string {
    const node = this.node as Extract<Node, { op: "Pad" }>;
    const s = this.fresh("s");
    stmts.push(`int ${s} = ${v} - ${I(begin)};`);
    const mode = node.attrs.mode;
    if (mode === "constant") inside.push(`${s} >= 0 && ${s} < ${I(len)}`);
    else if (mode === "edge") stmts.push(`${s} = ${s} < 0 ? 0 : ${s} >= ${I(len)} ? ${I(len - 1)} : ${s};`);
    else if (mode === "wrap") stmts.push(`${s} = ((${s} % ${I(len)}) + ${I(len)}) % ${I(len)};`);
    else if (len > 1) {
      const period = 2 * (len - 1);
      stmts.push(`${s} = ((${s} % ${I(period)}) + ${I(period)}) % ${I(period)};`, `if (${s} >= ${I(len)}) ${s} = ${I(period)} - ${s};`);
    } else stmts.push(`${s} = 0;`);
    return s;
  }
}
