/**
 * Whether `--gpu-precision fp16` can keep a model's outputs within tolerance,
 * decided from the weights and the graph alone (no run).
 *
 * Storing a tensor or a weight as binary16 rounds it by up to u = 2⁻¹¹ of its
 * magnitude, and that error reaches the output at the scale of the values it
 * rides on. Where a graph output is a saturating function (Tanh, Sigmoid,
 * Softmax) of values far larger than the output can be, the error is measured
 * against the output's small range: Fast Style Transfer's Tanh reads values up
 * to about ±100 and writes at most ±1, so binary16 storage gives about 5e-2 of
 * the output's range however few layers stay fp32 (an emulation in ONNX
 * Runtime with binary16 rounding per tensor, 2026-11-27: no fp16 subset of its
 * layers reached 1e-2).
 *
 * The check propagates a per-channel mean and variance forward from inputs of
 * zero mean and unit variance (Conv and Gemm: Σw·m + b and Σw²·v; Relu: the
 * rectified Gaussian; Add: sums), bounds each saturating output's input by
 * max over channels of |mean| + 4·sd, and estimates the output error as
 * u · bound · slope (Tanh 1, Sigmoid 1/4, Softmax 1/2). Above the tolerance,
 * the compiler keeps the model fp32 and says why (plan options.fp16Refused).
 * Operators it cannot follow leave their outputs unestimated; an output with
 * no estimate does not refuse fp16.
 */

import type { Activation, Graph, Node } from "../ir/graph.js";
import { isStatic, readFloats, type Tensor } from "../ir/tensor.js";

/** binary16's unit roundoff. */
const HALF_ROUNDOFF = 2 ** -11;
/** Standard deviations above the mean that bound a channel's values. */
const SIGMAS = 4;

export const DEFAULT_FP16_TOLERANCE = 1e-2;

export interface HalfPrecisionRisk {
  /** The graph output, the node writing it and the saturating function. */
  readonly output: string;
  readonly node: string;
  readonly saturating: "tanh" | "sigmoid" | "softmax";
  /** Bound on the magnitude of the saturating function's input. */
  readonly inputBound: number;
  /** u · inputBound · slope: the expected error relative to the output's range. */
  readonly estimatedError: number;
  readonly tolerance: number;
}

/** Per-channel mean and variance; one entry stands for every channel. */
interface Stats {
  readonly m: Float64Array;
  readonly v: Float64Array;
}

const SLOPE = { tanh: 1, sigmoid: 0.25, softmax: 0.5 } as const;

function uniform(m: number, v: number): Stats {
  return { m: Float64Array.of(m), v: Float64Array.of(v) };
}

function channelsOf(t: Tensor | undefined): number {
  const s = t?.shape;
  return isStatic(s) && s.length >= 2 ? (s[1] as number) : 1;
}

/** One channel's stats: per-channel arrays index it, uniform ones repeat. */
const at = (s: Stats, c: number): [number, number] => (s.m.length === 1 ? [s.m[0]!, s.v[0]!] : [s.m[c]!, s.v[c]!]);

/** Every channel folded into one (the channel axis is lost): the mean of means, the spread of means added to the variance. */
function collapse(s: Stats): Stats {
  const n = s.m.length;
  let mean = 0;
  for (let c = 0; c < n; c++) mean += s.m[c]! / n;
  let v = 0;
  for (let c = 0; c < n; c++) v += (s.v[c]! + (s.m[c]! - mean) ** 2) / n;
  return uniform(mean, v);
}

const floats = (t: Tensor | undefined): Float32Array | undefined => (t?.data === undefined ? undefined : readFloats(t));

/** Normal CDF and density. */
const phi = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
function Phi(z: number): number {
  // Abramowitz–Stegun 7.1.26 on erf, |error| < 1.5e-7.
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** max(x, 0) and α·min(x, 0) of a Gaussian: mean and variance. */
function leaky(m: number, v: number, alpha: number): [number, number] {
  const sd = Math.sqrt(Math.max(v, 0));
  if (sd === 0) {
    const y = m >= 0 ? m : alpha * m;
    return [y, 0];
  }
  const z = m / sd;
  const pos1 = m * Phi(z) + sd * phi(z);
  const pos2 = (m * m + v) * Phi(z) + m * sd * phi(z);
  const neg1 = m - pos1;
  const neg2 = m * m + v - pos2;
  const mean = pos1 + alpha * neg1;
  return [mean, Math.max(pos2 + alpha * alpha * neg2 - mean * mean, 0)];
}

function mapChannels(s: Stats, f: (m: number, v: number) => [number, number]): Stats {
  const m = new Float64Array(s.m.length);
  const v = new Float64Array(s.v.length);
  for (let c = 0; c < m.length; c++) [m[c], v[c]] = f(s.m[c]!, s.v[c]!);
  return { m, v };
}

/** Values bounded to [lo, hi]: the mean clamped, the variance at most that of the range's two ends. */
const bounded = (lo: number, hi: number) => (m: number, v: number): [number, number] => [Math.min(Math.max(m, lo), hi), Math.min(v, ((hi - lo) / 2) ** 2)];

function activate(s: Stats, a: Activation | undefined): Stats {
  if (a === undefined) return s;
  switch (a.kind) {
    case "relu":
      return mapChannels(s, (m, v) => leaky(m, v, 0));
    case "leakyRelu":
      return mapChannels(s, (m, v) => leaky(m, v, a.alpha));
    case "relu6":
      return mapChannels(mapChannels(s, (m, v) => leaky(m, v, 0)), bounded(0, 6));
    case "clip":
      return mapChannels(s, bounded(a.min, a.max));
    case "hardSwish":
      return mapChannels(s, (m, v) => leaky(m, v, 0));
    case "sigmoid":
      return mapChannels(s, bounded(0, 1));
    case "tanh":
      return mapChannels(s, bounded(-1, 1));
  }
}

/** Conv (any group count) with constant weights [O, C/g, kh, kw] and an optional bias. */
function conv(x: Stats, w: Float32Array, shape: readonly number[], group: number, bias: Float32Array | undefined): Stats {
  const [outC, inPerGroup] = shape as [number, number];
  const taps = w.length / (outC * inPerGroup);
  const outPerGroup = outC / group;
  const m = new Float64Array(outC);
  const v = new Float64Array(outC);
  for (let o = 0; o < outC; o++) {
    const g = Math.floor(o / outPerGroup);
    let mo = bias?.[o] ?? 0;
    let vo = 0;
    for (let ci = 0; ci < inPerGroup; ci++) {
      const [mc, vc] = at(x, g * inPerGroup + ci);
      const base = (o * inPerGroup + ci) * taps;
      for (let k = 0; k < taps; k++) {
        const wk = w[base + k]!;
        mo += wk * mc;
        vo += wk * wk * vc;
      }
    }
    m[o] = mo;
    v[o] = vo;
  }
  return { m, v };
}

/** y = alpha·x·B + beta·C over features: B [K, M] (or [M, K] transposed), x's stats per feature or folded. */
function dense(x: Stats, b: Float32Array, k: number, n: number, transB: boolean, alpha: number, c: Float32Array | undefined, beta: number): Stats {
  const xs = x.m.length === k || x.m.length === 1 ? x : collapse(x);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let mj = c === undefined ? 0 : beta * (c.length === 1 ? c[0]! : c[j]!);
    let vj = 0;
    for (let i = 0; i < k; i++) {
      const w = alpha * b[transB ? j * k + i : i * n + j]!;
      const [mi, vi] = at(xs, i);
      mj += w * mi;
      vj += w * w * vi;
    }
    m[j] = mj;
    v[j] = vj;
  }
  return { m, v };
}

/** The stats of a constant per channel (its own mean and spread over each channel's values). */
function constStats(t: Tensor): Stats | undefined {
  const f = floats(t);
  const s = t.shape;
  if (f === undefined || !isStatic(s)) return undefined;
  const channels = s.length >= 3 ? (s[s.length - 3] as number) : 1;
  const per = f.length / channels;
  const m = new Float64Array(channels);
  const v = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = 0; i < per; i++) sum += f[c * per + i]!;
    m[c] = sum / per;
    let sq = 0;
    for (let i = 0; i < per; i++) sq += (f[c * per + i]! - m[c]!) ** 2;
    v[c] = sq / per;
  }
  return { m, v };
}

function combine(a: Stats, b: Stats, f: (am: number, av: number, bm: number, bv: number) => [number, number]): Stats {
  const n = Math.max(a.m.length, b.m.length);
  if (a.m.length !== b.m.length && a.m.length !== 1 && b.m.length !== 1) return combine(collapse(a), collapse(b), f);
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const [am, av] = at(a, c);
    const [bm, bv] = at(b, c);
    [m[c], v[c]] = f(am, av, bm, bv);
  }
  return { m, v };
}

/** The linear part of a node (before its fused activation), or undefined where the check does not follow it. */
function linearStats(node: Node, graph: Graph, stats: Map<string, Stats>): Stats | undefined {
  const input = (i: number): Stats | undefined => {
    const name = node.inputs[i] ?? "";
    if (name === "") return undefined;
    const known = stats.get(name);
    if (known !== undefined) return known;
    const t = graph.tensors.get(name);
    return t?.data === undefined ? undefined : constStats(t);
  };
  const x = input(0);
  switch (node.op) {
    case "Conv": {
      const wt = graph.tensors.get(node.inputs[1] ?? "");
      const w = floats(wt);
      if (x === undefined || w === undefined || !isStatic(wt?.shape)) return undefined;
      return conv(x, w, wt.shape, node.attrs.group, floats(graph.tensors.get(node.inputs[2] ?? "")));
    }
    case "Gemm":
    case "MatMul": {
      const bt = graph.tensors.get(node.inputs[1] ?? "");
      const b = floats(bt);
      const s = bt?.shape;
      if (x === undefined || b === undefined || !isStatic(s) || s.length !== 2) return undefined;
      const gemm = node.op === "Gemm" ? node.attrs : { alpha: 1, beta: 1, transA: false, transB: false };
      if (gemm.transA) return undefined;
      const [k, n] = gemm.transB ? [s[1] as number, s[0] as number] : [s[0] as number, s[1] as number];
      return dense(x, b, k, n, gemm.transB, gemm.alpha, node.op === "Gemm" ? floats(graph.tensors.get(node.inputs[2] ?? "")) : undefined, gemm.beta);
    }
    case "BatchNormalization": {
      const [scale, shift, mean, variance] = [1, 2, 3, 4].map((i) => floats(graph.tensors.get(node.inputs[i] ?? "")));
      if (x === undefined || !scale || !shift || !mean || !variance) return undefined;
      const eps = node.attrs.epsilon;
      const m = new Float64Array(scale.length);
      const v = new Float64Array(scale.length);
      for (let c = 0; c < scale.length; c++) {
        const [mc, vc] = at(x, c);
        const s = scale[c]! / Math.sqrt(variance[c]! + eps);
        m[c] = s * (mc - mean[c]!) + shift[c]!;
        v[c] = s * s * vc;
      }
      return { m, v };
    }
    case "Add":
    case "Sub": {
      const y = input(1);
      if (x === undefined || y === undefined) return undefined;
      const sign = node.op === "Add" ? 1 : -1;
      return combine(x, y, (am, av, bm, bv) => [am + sign * bm, av + bv]);
    }
    case "Mul": {
      const y = input(1);
      if (x === undefined || y === undefined) return undefined;
      return combine(x, y, (am, av, bm, bv) => [am * bm, av * bv + av * bm * bm + bv * am * am]);
    }
    case "Relu":
      return x && activate(x, { kind: "relu" });
    case "LeakyRelu":
      return x && activate(x, { kind: "leakyRelu", alpha: node.attrs.alpha });
    case "Clip":
      return x && activate(x, { kind: "clip", min: node.attrs.min, max: node.attrs.max });
    case "HardSwish":
      return x && activate(x, { kind: "hardSwish" });
    case "Sigmoid":
    case "HardSigmoid":
      return x && activate(x, { kind: "sigmoid" });
    case "Tanh":
      return x && activate(x, { kind: "tanh" });
    case "Softmax":
      return x && mapChannels(collapse(x), bounded(0, 1));
    case "Pad":
    case "Resize":
    case "MaxPool":
    case "AveragePool":
    case "GlobalAveragePool":
    case "GlobalMaxPool":
      return x;
    case "Concat": {
      if (node.attrs.axis !== 1) {
        const all = node.inputs.map((_, i) => input(i));
        return all.every((s) => s !== undefined) ? all.map((s) => collapse(s!)).reduce((a, b) => combine(a, b, (am, av, bm, bv) => [(am + bm) / 2, Math.max(av, bv)])) : undefined;
      }
      const parts: Stats[] = [];
      for (let i = 0; i < node.inputs.length; i++) {
        const s = input(i);
        if (s === undefined) return undefined;
        const n = channelsOf(graph.tensors.get(node.inputs[i]!));
        const one = s.m.length === n ? undefined : collapse(s);
        parts.push(one === undefined ? s : { m: new Float64Array(n).fill(one.m[0]!), v: new Float64Array(n).fill(one.v[0]!) });
      }
      return { m: Float64Array.from(parts.flatMap((p) => [...p.m])), v: Float64Array.from(parts.flatMap((p) => [...p.v])) };
    }
    case "Flatten":
    case "Reshape":
    case "Transpose":
    case "Squeeze":
    case "Unsqueeze":
    case "ReduceMean":
      return x && collapse(x);
    default:
      return undefined;
  }
}

/** The saturating function that writes a graph output, and the tensor it reads. */
function saturatingOutput(node: Node): { kind: "tanh" | "sigmoid" | "softmax"; fused: boolean } | undefined {
  if (node.activation?.kind === "tanh" || node.activation?.kind === "sigmoid") return { kind: node.activation.kind, fused: true };
  if (node.op === "Tanh") return { kind: "tanh", fused: false };
  if (node.op === "Sigmoid" || node.op === "HardSigmoid") return { kind: "sigmoid", fused: false };
  if (node.op === "Softmax") return { kind: "softmax", fused: false };
  return undefined;
}

/**
 * The graph outputs whose binary16 error is estimated above `tolerance`
 * (relative to the output's largest magnitude), worst first.
 */
export function halfPrecisionRisks(graph: Graph, tolerance = DEFAULT_FP16_TOLERANCE): HalfPrecisionRisk[] {
  const stats = new Map<string, Stats>();
  for (const name of graph.inputs) {
    if (graph.tensors.get(name)?.data === undefined) stats.set(name, uniform(0, 1));
  }
  const risks: HalfPrecisionRisk[] = [];
  for (const node of graph.nodes) {
    const linear = linearStats(node, graph, stats);
    if (linear === undefined) continue;
    const out = node.outputs[0] ?? "";
    stats.set(out, activate(linear, node.activation));
    const sat = graph.outputs.includes(out) ? saturatingOutput(node) : undefined;
    if (sat === undefined) continue;
    const before = sat.fused ? linear : stats.get(node.inputs[0] ?? "");
    if (before === undefined) continue;
    let bound = 0;
    for (let c = 0; c < before.m.length; c++) bound = Math.max(bound, Math.abs(before.m[c]!) + SIGMAS * Math.sqrt(before.v[c]!));
    const estimatedError = HALF_ROUNDOFF * bound * SLOPE[sat.kind];
    if (estimatedError > tolerance) risks.push({ output: out, node: node.name, saturating: sat.kind, inputBound: bound, estimatedError, tolerance });
  }
  return risks.sort((a, b) => b.estimatedError - a.estimatedError);
}
