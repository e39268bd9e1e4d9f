/**
 * Seeded synthetic IR graphs for the planner's property test and scaling
 * benchmark: random chains of conv and pool operators, and networks of
 * 100–2,000 operators made of conv chains, residual blocks, branches joined
 * by concatenation, and downsampling. Built straight as IR (weights as empty
 * constants) and passed through shape inference, so they are real lowered
 * graphs without any ONNX bytes.
 */

import type { Graph, Node } from "../src/ir/graph.js";
import type { ConvAttrs, PoolAttrs } from "../src/ir/ops/attrs.js";
import { ConstData, type Tensor } from "../src/ir/tensor.js";
import { runPipeline } from "../src/passes/pipeline.js";
import { mulberry32 } from "../src/predict/split.js";

class Builder {
  readonly tensors = new Map<string, Tensor>();
  readonly nodes: Node[] = [];
  private n = 0;

  input(name: string, shape: number[]): string {
    this.tensors.set(name, { name, dtype: "float32", shape, data: undefined });
    return name;
  }

  private fresh(prefix: string): string {
    this.n += 1;
    return `${prefix}${this.n}`;
  }

  private constant(shape: number[]): string {
    const name = this.fresh("w");
    this.tensors.set(name, { name, dtype: "float32", shape, data: ConstData.ofBytes(new Uint8Array(0)) });
    return name;
  }

  private out(): string {
    const name = this.fresh("t");
    this.tensors.set(name, { name, dtype: "float32", shape: undefined, data: undefined });
    return name;
  }

  conv(x: string, ic: number, oc: number, k: number, stride: number, pad: number, dilation = 1, group = 1): string {
    const y = this.out();
    const attrs: ConvAttrs = { kernelShape: [k, k], strides: [stride, stride], dilations: [dilation, dilation], pads: [pad, pad, pad, pad], autoPad: "NOTSET", group };
    this.nodes.push({ name: this.fresh("conv"), onnxOp: "Conv", domain: "", op: "Conv", attrs, inputs: [x, this.constant([oc, ic / group, k, k])], outputs: [y], fusedFrom: [], activation: { kind: "relu" } });
    return y;
  }

  pool(x: string, k: number, stride: number, pad: number, max = true): string {
    const y = this.out();
    const attrs: PoolAttrs = { kernelShape: [k, k], strides: [stride, stride], dilations: [1, 1], pads: [pad, pad, pad, pad], autoPad: "NOTSET", ceilMode: false, countIncludePad: false };
    const name = this.fresh("pool");
    if (max) this.nodes.push({ name, onnxOp: "MaxPool", domain: "", op: "MaxPool", attrs, inputs: [x], outputs: [y], fusedFrom: [], activation: undefined });
    else this.nodes.push({ name, onnxOp: "AveragePool", domain: "", op: "AveragePool", attrs, inputs: [x], outputs: [y], fusedFrom: [], activation: undefined });
    return y;
  }

  add(a: string, b: string): string {
    const y = this.out();
    this.nodes.push({ name: this.fresh("add"), onnxOp: "Add", domain: "", op: "Add", attrs: {}, inputs: [a, b], outputs: [y], fusedFrom: [], activation: undefined });
    return y;
  }

  concat(xs: string[]): string {
    const y = this.out();
    this.nodes.push({ name: this.fresh("concat"), onnxOp: "Concat", domain: "", op: "Concat", attrs: { axis: 1 }, inputs: xs, outputs: [y], fusedFrom: [], activation: undefined });
    return y;
  }

  finish(name: string, inputs: string[], outputs: string[]): Graph {
    const graph: Graph = { name, tensors: this.tensors, nodes: this.nodes, inputs, outputs, opsets: { "": 13 } };
    return runPipeline(graph).graph;
  }
}

export interface ChainLayer {
  readonly kind: "conv" | "pool";
  readonly k: number;
  readonly stride: number;
  readonly pad: number;
  readonly dilation: number;
}

/** A random chain of 2–8 conv/pool layers over an input of 8–96 rows (every layer keeps ≥ 2 rows). */
export function randomChain(seed: number): { graph: Graph; layers: ChainLayer[]; height: number } {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const height = 8 + Math.floor(rnd() * 89);
  const count = 2 + Math.floor(rnd() * 7);
  const b = new Builder();
  let x = b.input("x", [1, 8, height, 16]);
  let h = height;
  let w = 16;
  const layers: ChainLayer[] = [];
  for (let i = 0; i < count; i++) {
    let kind: "conv" | "pool" = rnd() < 0.7 ? "conv" : "pool";
    let k = kind === "conv" ? pick([1, 3, 3, 5, 7]) : pick([2, 3]);
    let dilation = kind === "conv" && k > 1 && rnd() < 0.2 ? 2 : 1;
    let kEff = (k - 1) * dilation + 1;
    let stride = pick([1, 1, 2]);
    let pad = kind === "conv" ? Math.floor(rnd() * kEff) : Math.floor(rnd() * Math.ceil(k / 2));
    let outH = Math.floor((h + 2 * pad - kEff) / stride) + 1;
    let outW = Math.floor((w + 2 * pad - kEff) / stride) + 1;
    if (outH < 2 || outW < 1) {
      // The map is too small for this window: a 1×1 conv keeps it.
      [kind, k, dilation, kEff, stride, pad, outH, outW] = ["conv", 1, 1, 1, 1, 0, h, w];
    }
    x = kind === "conv" ? b.conv(x, 8, 8, k, stride, pad, dilation) : b.pool(x, k, stride, pad);
    layers.push({ kind, k, stride, pad, dilation });
    h = outH;
    w = outW;
  }
  return { graph: b.finish(`chain${seed}`, ["x"], [x]), layers, height };
}

/**
 * A network of about `ops` operators: stages of residual blocks (conv–conv–add),
 * inception-like branches (three convs joined by concat) and plain conv chains,
 * with a stride-2 conv every few blocks while the map is large enough.
 */
export function syntheticNetwork(ops: number, seed = 7): Graph {
  const rnd = mulberry32(seed);
  const b = new Builder();
  let x = b.input("x", [1, 16, 224, 224]);
  let c = 16;
  let h = 224;
  let count = 0;
  while (count < ops) {
    const r = rnd();
    if (h > 14 && count % 24 === 0 && count > 0) {
      const oc = Math.min(512, c * 2);
      x = b.conv(x, c, oc, 3, 2, 1);
      c = oc;
      h = Math.floor((h + 2 - 3) / 2) + 1;
      count += 1;
    } else if (r < 0.4) {
      const y = b.conv(b.conv(x, c, c, 3, 1, 1), c, c, 3, 1, 1);
      x = b.add(x, y);
      count += 3;
    } else if (r < 0.6) {
      const q = c / 4;
      const a = b.conv(x, c, q, 1, 1, 0);
      const m = b.conv(b.conv(x, c, q, 1, 1, 0), q, q * 2, 3, 1, 1);
      const p = b.conv(b.pool(x, 3, 1, 1), c, q, 1, 1, 0);
      x = b.concat([a, m, p]);
      count += 6;
    } else {
      x = b.conv(b.conv(b.conv(x, c, c, 1, 1, 0), c, c, 3, 1, 1, 1, c), c, c, 1, 1, 0);
      count += 3;
    }
  }
  return b.finish(`synthetic${ops}`, ["x"], [x]);
}

/** The DP's worst case: one linear path of `ops` 3×3 convs (every operator chainable). */
export function syntheticPlain(ops: number): Graph {
  const b = new Builder();
  let x = b.input("x", [1, 64, 56, 56]);
  for (let i = 0; i < ops; i++) x = b.conv(x, 64, 64, 3, 1, 1);
  return b.finish(`plain${ops}`, ["x"], [x]);
}
