/**
 * Seeded random single-operator ONNX models for the end-to-end tier: random
 * shapes and attributes per operator kind, and a random placement (CPU, GPU,
 * forced H or OC split at a random ratio) on an image-storage profile (sd888)
 * or a buffer-storage one (kirin990). Sometimes an activation follows the
 * operator, so the fusion pass gives it a fused activation.
 */

import type { onnx as Onnx } from "onnx-proto";
import type { CaseSpec } from "./harness.js";
import { buildModel, floatTensor, int64Tensor, type NodeSpec } from "../helpers/onnx-model.js";
import type { DeviceProfile } from "../../src/device/profile-schema.js";

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    this.s ^= this.s << 13;
    this.s ^= this.s >>> 17;
    this.s ^= this.s << 5;
    return (this.s >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  floats(n: number, lo = -1, hi = 1): number[] {
    return Array.from({ length: n }, () => lo + (hi - lo) * this.next());
  }
  /** A permutation of `xs` (Fisher–Yates). */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

export const RANDOM_OPS = [
  "Conv",
  "ConvDepthwise",
  "ConvGrouped",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "GlobalMaxPool",
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Relu",
  "LeakyRelu",
  "PRelu",
  "Clip",
  "Sigmoid",
  "HardSigmoid",
  "HardSwish",
  "Tanh",
  "Concat",
  "Resize",
  "Pad",
  "Gemm",
  "MatMul",
  "Softmax",
  "ConvTranspose",
  "BatchNormalization",
  "Transpose",
  "Flatten",
] as const;

/**
 * Cases past RANDOM_OPS' 203 run on the CPU (whole, or the CPU half of a
 * forced split) through the paths that XNNPACK serves besides the common
 * ones: transposed convolution with groups, dilation and output padding,
 * softmax over each axis (opset 11 and 13 semantics), linear resize in every
 * coordinate mode, constant padding, PRelu, global max pooling,
 * ReduceMean over H and W, arithmetic with a constant operand, Transpose
 * of rank 2–5 and Reshape between ranks 2–5 (the layout loops, a copy when
 * the buffer keeps its order). Placements are CPU whole or a forced
 * split (the GPU half still runs), never GPU only.
 */
export const CPU_FOCUS_OPS = ["ConvTranspose", "Softmax", "Resize", "Pad", "LeakyRelu", "HardSwish", "PRelu", "GlobalMaxPool", "ReduceMean", "Sub", "Div", "Transpose", "Reshape"] as const;
export const RANDOM_CASES = 203;
export const CPU_FOCUS_CASES = 104;
type OpKind = (typeof RANDOM_OPS)[number] | (typeof CPU_FOCUS_OPS)[number];

interface Built {
  nodes: NodeSpec[];
  inputs: Array<{ name: string; shape: number[] }>;
  inits: Onnx.ITensorProto[];
  /** The activation node may follow (conv-like and element-wise ops). */
  fusable: boolean;
  opset?: number;
}

const ACTS = ["Relu", "Clip6", "LeakyRelu", "HardSwish", "Sigmoid"] as const;

function convOut(i: number, k: number, s: number, d: number, p0: number, p1: number): number {
  return Math.floor((i + p0 + p1 - ((k - 1) * d + 1)) / s) + 1;
}

/** `round`: which of its kind's focus cases this is (0 for the first), so a rare path can be drawn for sure. */
function build(kind: OpKind, r: Rng, focus = false, round = -1): Built {
  const n = r.pick([1, 1, 2]);
  const c = r.int(1, 10);
  const h = r.int(3, 14);
  const w = r.int(3, 14);
  const x = { name: "x", shape: [n, c, h, w] };
  const one = (op: string, attrs: NodeSpec["attrs"] = {}, extra: string[] = []): NodeSpec => ({ op, inputs: ["x", ...extra], outputs: ["y"], name: "op", attrs });
  switch (kind) {
    case "Conv":
    case "ConvDepthwise":
    case "ConvGrouped": {
      const k = r.pick([1, 2, 3, 3, 5]);
      const s = r.pick([1, 1, 2]);
      const d = k > 1 ? r.pick([1, 1, 2]) : 1;
      let pads = [r.int(0, k - 1), r.int(0, k - 1), r.int(0, k - 1), r.int(0, k - 1)];
      const ch = kind === "ConvGrouped" ? r.pick([2, 3]) * r.int(1, 3) : c;
      const group = kind === "Conv" ? 1 : kind === "ConvDepthwise" ? ch : ch / r.pick(ch % 3 === 0 ? [3] : [2]);
      const oc = kind === "Conv" ? r.int(1, 12) : kind === "ConvDepthwise" ? ch * r.pick([1, 1, 2]) : group * r.int(1, 3);
      const hh = Math.max(h, (k - 1) * d + 1);
      const ww = Math.max(w, (k - 1) * d + 1);
      if (convOut(hh, k, s, d, pads[0]!, pads[2]!) < 1 || convOut(ww, k, s, d, pads[1]!, pads[3]!) < 1) pads = [0, 0, 0, 0];
      const bias = r.next() < 0.7;
      return {
        nodes: [{ op: "Conv", inputs: ["x", "w", ...(bias ? ["b"] : [])], outputs: ["y"], name: "op", attrs: { kernel_shape: [k, k], strides: [s, s], dilations: [d, d], pads, group } }],
        inputs: [{ name: "x", shape: [n, ch, hh, ww] }],
        inits: [floatTensor("w", [oc, ch / group, k, k], r.floats(oc * (ch / group) * k * k, -0.5, 0.5)), ...(bias ? [floatTensor("b", [oc], r.floats(oc))] : [])],
        fusable: true,
      };
    }
    case "MaxPool":
    case "AveragePool": {
      const k = r.pick([1, 2, 2, 3]);
      const s = r.pick([1, 2, 2, 3]);
      const p = k > 1 ? r.int(0, Math.floor(k / 2)) : 0;
      const ceil = kind === "MaxPool" ? r.pick([0, 1]) : 0;
      const attrs: NodeSpec["attrs"] = { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], ceil_mode: ceil, ...(kind === "AveragePool" ? { count_include_pad: r.pick([0, 1]) } : {}) };
      return { nodes: [one(kind, attrs)], inputs: [x], inits: [], fusable: false };
    }
    case "GlobalAveragePool":
    case "GlobalMaxPool":
    case "ReduceMean": {
      // Focus cases have channels enough for a forced OC split to take.
      const input = focus ? { name: "x", shape: [n, r.int(8, 24), h, w] } : x;
      const attrs: NodeSpec["attrs"] = kind === "ReduceMean" ? { axes: r.pick([[2, 3], [-1, -2], [3, 2], [3], [1]]), keepdims: r.pick([1, 1, 0]) } : {};
      return { nodes: [one(kind, attrs)], inputs: [input], inits: [], fusable: false };
    }
    case "Add":
    case "Sub":
    case "Mul":
    case "Div": {
      const shapes = [[n, c, h, w], [1, c, 1, 1], [c, 1, 1], [1, 1, h, w], [w], [n, c, 1, w]];
      const bShape = r.pick(shapes);
      const constant = kind === "Div" || focus || r.next() < 0.3;
      const count = bShape.reduce((a, b) => a * b, 1);
      return {
        nodes: [one(kind, {}, ["b"])],
        inputs: constant ? [x] : [x, { name: "b", shape: bShape }],
        inits: constant ? [floatTensor("b", bShape, kind === "Div" ? r.floats(count, 0.5, 1.5) : r.floats(count))] : [],
        fusable: true,
      };
    }
    case "Relu":
    case "Sigmoid":
    case "HardSwish":
    case "Tanh":
      return { nodes: [one(kind)], inputs: [x], inits: [], fusable: false };
    case "LeakyRelu":
      return { nodes: [one(kind, { alpha: { float: r.pick([0.01, 0.1, 0.2]) } })], inputs: [x], inits: [], fusable: false };
    case "HardSigmoid":
      return { nodes: [one(kind, { alpha: { float: 0.25 }, beta: { float: 0.4 } })], inputs: [x], inits: [], fusable: false };
    case "PRelu": {
      const shape = focus ? r.pick([[c, 1, 1], [1], [1, 1, w]]) : [c, 1, 1];
      const count = shape.reduce((a, b) => a * b, 1);
      return { nodes: [one(kind, {}, ["slope"])], inputs: [x], inits: [floatTensor("slope", shape, r.floats(count, 0, 0.5))], fusable: false };
    }
    case "Clip":
      return { nodes: [one(kind, {}, ["lo", "hi"])], inputs: [x], inits: [floatTensor("lo", [], [-0.4]), floatTensor("hi", [], [0.6])], fusable: false };
    case "Concat": {
      const k = r.int(2, 3);
      // Mostly channels; also rows, columns, and -1 (emit/element.ts reads each input at shifted 4-D coordinates).
      const axis = r.pick([1, 1, 2, 3, -1]);
      const a = axis < 0 ? axis + 4 : axis;
      const ins = Array.from({ length: k }, (_, i) => ({ name: `x${i}`, shape: [n, c, h, w].map((d, j) => (j === a ? (a === 1 ? r.int(1, 7) : r.int(1, d)) : d)) }));
      return { nodes: [{ op: "Concat", inputs: ins.map((i) => i.name), outputs: ["y"], name: "op", attrs: { axis } }], inputs: ins, inits: [], fusable: false };
    }
    case "Resize": {
      const mode = focus ? "linear" : r.pick(["nearest", "linear"]);
      const ct = mode === "nearest" ? r.pick(["asymmetric", "half_pixel"]) : r.pick(["half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"]);
      const scale = r.pick([2, 2, 3]);
      return {
        nodes: [{ op: "Resize", inputs: ["x", "", "scales"], outputs: ["y"], name: "op", attrs: { mode, coordinate_transformation_mode: ct, ...(mode === "nearest" ? { nearest_mode: ct === "asymmetric" ? "floor" : "round_prefer_floor" } : {}) } }],
        inputs: [x],
        inits: [floatTensor("scales", [4], [1, 1, scale, scale])],
        fusable: false,
      };
    }
    case "Pad": {
      const mode = focus ? "constant" : r.pick(["constant", "reflect", "edge"]);
      const p = [0, 0, r.int(0, 2), r.int(0, 2), 0, 0, r.int(0, 2), r.int(0, 2)];
      return { nodes: [one("Pad", { mode }, ["pads", ...(mode === "constant" ? ["v"] : [])])], inputs: [x], inits: [int64Tensor("pads", p), ...(mode === "constant" ? [floatTensor("v", [], [0.25])] : [])], fusable: false };
    }
    case "Gemm": {
      const m = r.int(1, 4);
      const k = r.int(1, 40);
      const nOut = r.int(1, 24);
      const transB = r.pick([0, 1]);
      const withC = r.next() < 0.7;
      return {
        nodes: [{ op: "Gemm", inputs: ["a", "b", ...(withC ? ["cc"] : [])], outputs: ["y"], name: "op", attrs: { transB, alpha: { float: r.pick([1, 0.5]) }, beta: { float: r.pick([1, 2]) } } }],
        inputs: [{ name: "a", shape: [m, k] }],
        inits: [floatTensor("b", transB ? [nOut, k] : [k, nOut], r.floats(k * nOut)), ...(withC ? [floatTensor("cc", [nOut], r.floats(nOut))] : [])],
        fusable: true,
      };
    }
    case "MatMul": {
      const k = r.int(1, 30);
      const nOut = r.int(1, 20);
      const a = r.pick([[r.int(1, 4), k], [r.int(1, 3), r.int(1, 4), k]]);
      return { nodes: [{ op: "MatMul", inputs: ["a", "b"], outputs: ["y"], name: "op" }], inputs: [{ name: "a", shape: a }], inits: [floatTensor("b", [k, nOut], r.floats(k * nOut))], fusable: false };
    }
    case "Softmax": {
      if (focus) {
        const shape = r.pick([[n, r.int(2, 30)], [n, c + 1, h], [n, c + 1, h, w], [1, 1, h, w]]);
        const opset = r.pick([11, 13]);
        const axis = r.int(-1, shape.length - 1);
        return { nodes: [one("Softmax", { axis })], inputs: [{ name: "x", shape }], inits: [], fusable: false, opset };
      }
      const rank4 = r.next() < 0.5;
      return { nodes: [one("Softmax", { axis: rank4 ? 1 : -1 })], inputs: [rank4 ? x : { name: "x", shape: [n, r.int(2, 30)] }], inits: [], fusable: false };
    }
    case "ConvTranspose": {
      const k = r.pick(focus ? [1, 2, 3, 4] : [2, 3]);
      const s = r.pick(focus ? [1, 2, 2, 3] : [1, 2]);
      const d = focus && k > 1 ? r.pick([1, 1, 2]) : 1;
      const group = focus ? r.pick([1, 1, 2, 3]) : 1;
      const fEff = (k - 1) * d + 1;
      const ph = r.int(0, fEff - 1);
      const pw = focus ? r.int(0, fEff - 1) : ph;
      const op = s > 1 ? r.int(0, s - 1) : 0;
      const icg = focus ? r.int(1, 4) : c;
      const ocg = r.int(1, 8);
      const bias = !focus || r.next() < 0.7;
      return {
        nodes: [
          {
            op: "ConvTranspose",
            inputs: ["x", "w", ...(bias ? ["b"] : [])],
            outputs: ["y"],
            name: "op",
            attrs: { kernel_shape: [k, k], strides: [s, s], dilations: [d, d], pads: [ph, pw, ph, pw], output_padding: [op, op], group },
          },
        ],
        inputs: [{ name: "x", shape: [n, icg * group, h, w] }],
        inits: [floatTensor("w", [icg * group, ocg, k, k], r.floats(icg * group * ocg * k * k, -0.5, 0.5)), ...(bias ? [floatTensor("b", [ocg * group], r.floats(ocg * group))] : [])],
        fusable: focus,
      };
    }
    case "BatchNormalization":
      return {
        nodes: [one("BatchNormalization", { epsilon: { float: 1e-5 } }, ["s", "bb", "m", "v"])],
        inputs: [x],
        inits: [floatTensor("s", [c], r.floats(c)), floatTensor("bb", [c], r.floats(c)), floatTensor("m", [c], r.floats(c)), floatTensor("v", [c], r.floats(c, 0.5, 1.5))],
        fusable: false,
      };
    case "Transpose": {
      if (focus) {
        const shape = r.pick([[n, c + 1], [n, c, h], [n, c, h, w], [1, c, 1, 1], [n, 2, c, h, 3]]);
        const perm = r.shuffle([...shape.keys()]);
        if (shape.length <= 4) return { nodes: [one("Transpose", { perm })], inputs: [{ name: "x", shape }], inits: [], fusable: false };
        // Rank 5 inside the graph (its inputs and outputs have rank ≤ 4, CODL-E096): reshape in, transpose, reshape out.
        const t = perm.map((p) => shape[p]!);
        const nodes: NodeSpec[] = [
          { op: "Reshape", inputs: ["x", "s5"], outputs: ["x5"], name: "in5" },
          { op: "Transpose", inputs: ["x5"], outputs: ["t5"], name: "op", attrs: { perm } },
          { op: "Reshape", inputs: ["t5", "s4"], outputs: ["y"], name: "out4" },
        ];
        const inits = [int64Tensor("s5", shape), int64Tensor("s4", [t[0]!, t[1]!, t[2]!, t[3]! * t[4]!])];
        return { nodes, inputs: [{ name: "x", shape: [n, 2 * c, h, 3] }], inits, fusable: false };
      }
      const perm = r.pick([[0, 2, 3, 1], [0, 1, 3, 2], [0, 3, 1, 2], [1, 0, 2, 3]]);
      return { nodes: [one("Transpose", { perm })], inputs: [x], inits: [], fusable: false };
    }
    case "Reshape": {
      // A shape of the same elements: split or merge axes of [n, c, h, w], or a channel vector to 4-D and back.
      const pairs: number[][][] = [
        [[n, c, h, w], [n, c * h, w]],
        [[n, c, h, w], [n, c * h * w]],
        [[n, c, h, w], [n * c, h, w, 1]],
        [[n, c * h, w], [n, c, h, w]],
        [[n, c * h * w], [n, c, h * w]],
        [[1, c * 4], [1, c * 4, 1, 1]],
        [[1, c * 4, 1, 1], [1, c, 2, 2]],
        // No common refinement (4 × 6h against 3 × 8h): the odometer (always the first Reshape case).
        [[n, 4, 6 * h], [n, 3, 8 * h]],
      ];
      const [from, to] = round === 0 ? pairs[pairs.length - 1]! : r.pick(pairs);
      return { nodes: [one("Reshape", {}, ["shape"])], inputs: [{ name: "x", shape: from! }], inits: [int64Tensor("shape", to!)], fusable: false };
    }
    case "Flatten":
      return { nodes: [one("Flatten", { axis: 1 })], inputs: [x], inits: [], fusable: false };
  }
}

export interface RandomCase {
  readonly spec: CaseSpec;
  readonly kind: string;
  readonly placement: string;
}

export function randomCase(index: number, profiles: { image: DeviceProfile; buffer: DeviceProfile; oneThread: DeviceProfile }): RandomCase {
  const r = new Rng(0xc0d1 + index * 7919);
  const focus = index >= RANDOM_CASES;
  const kind = focus ? CPU_FOCUS_OPS[(index - RANDOM_CASES) % CPU_FOCUS_OPS.length]! : RANDOM_OPS[index % RANDOM_OPS.length]!;
  const b = build(kind, r, focus, focus ? Math.floor((index - RANDOM_CASES) / CPU_FOCUS_OPS.length) : -1);
  const nodes = [...b.nodes];
  const inits = [...b.inits];
  let act = "";
  if (b.fusable && r.next() < 0.4) {
    act = r.pick(ACTS);
    nodes[nodes.length - 1] = { ...nodes[nodes.length - 1]!, outputs: ["t"] };
    if (act === "Clip6") {
      nodes.push({ op: "Clip", inputs: ["t", "lo6", "hi6"], outputs: ["y"], name: "act" });
      inits.push(floatTensor("lo6", [], [0]), floatTensor("hi6", [], [6]));
    } else nodes.push({ op: act, inputs: ["t"], outputs: ["y"], name: "act", attrs: act === "LeakyRelu" ? { alpha: { float: 0.1 } } : {} });
  }
  const model = buildModel({ nodes, inputs: b.inputs, outputs: [{ name: "y" }], initializers: inits, opset: b.opset ?? 14 });
  // A forced OC split of an operator that splits only along H would leave it on the GPU.
  const placements: Partial<Record<OpKind, string[]>> = { ConvTranspose: ["cpu", "H", "OC"], GlobalMaxPool: ["cpu", "cpu", "OC"], ReduceMean: ["cpu", "cpu", "OC"], Transpose: ["cpu"], Reshape: ["cpu"], Softmax: ["cpu"] };
  const placement = r.pick(!focus ? ["cpu", "gpu", "H", "H", "OC", "OC"] : (placements[kind] ?? ["cpu", "H"]));
  const ratio = r.pick([0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
  const buffer = r.next() < 0.3;
  // Every other constant Pad on a one-thread CPU profile, where the generated pixel loop replaces XNNPACK's pad.
  const oneThread = focus && kind === "Pad" && Math.floor((index - RANDOM_CASES) / CPU_FOCUS_OPS.length) % 2 === 0;
  const profile = oneThread ? profiles.oneThread : buffer ? profiles.buffer : profiles.image;
  const options = placement === "cpu" || placement === "gpu" ? { strategy: placement } : { strategy: "codl", force: { dim: placement as "H" | "OC", ratio } };
  const name = `r${String(index).padStart(3, "0")}_${kind.toLowerCase()}`;
  return { spec: { name, model, profile, options }, kind: `${kind}${act ? `+${act}` : ""}`, placement: `${placement}${placement === "H" || placement === "OC" ? ` ${ratio}` : ""} ${oneThread ? profile.id : buffer ? "buffer" : "image"}` };
}

/**
 * Convolutions with more than 16 MB of weights, which a profile with host-pocl's convChunks rule runs as
 * chunks of output channels (codegen/runtime/cpu_ops.cc create_conv), each followed by a fused LeakyRelu as in YOLOv2: whole on
 * the CPU (16 chunks of 64), the CPU part of an OC split (500 channels in chunks of 32, the last one
 * 20), and the CPU rows of an H split with stride 2 and padding (640 channels in chunks of 48, the last 16).
 */
export function chunkedConvCases(profile: DeviceProfile): RandomCase[] {
  const shapes = [
    { placement: "cpu", cin: 512, cout: 1024, h: 6, w: 5, s: 1 },
    { placement: "OC", cin: 1024, cout: 1000, h: 5, w: 6, s: 1 },
    { placement: "H", cin: 1024, cout: 640, h: 9, w: 7, s: 2 },
  ] as const;
  return shapes.map((c, i) => {
    const r = new Rng(0xb16 + i);
    const model = buildModel({
      nodes: [
        { op: "Conv", inputs: ["x", "w", "b"], outputs: ["t"], name: "op", attrs: { kernel_shape: [3, 3], strides: [c.s, c.s], pads: [1, 1, 1, 1] } },
        { op: "LeakyRelu", inputs: ["t"], outputs: ["y"], name: "act", attrs: { alpha: { float: 0.1 } } },
      ],
      inputs: [{ name: "x", shape: [1, c.cin, c.h, c.w] }],
      outputs: [{ name: "y" }],
      initializers: [floatTensor("w", [c.cout, c.cin, 3, 3], r.floats(c.cout * c.cin * 9, -0.05, 0.05)), floatTensor("b", [c.cout], r.floats(c.cout))],
      opset: 14,
    });
    const options = c.placement === "cpu" ? { strategy: "cpu" } : { strategy: "codl", force: { dim: c.placement, ratio: 0.5 } };
    const name = `chunked_conv_${c.placement.toLowerCase()}`;
    return { spec: { name, model, profile, options }, kind: `Conv ${c.cin}→${c.cout} 3×3/${c.s}+LeakyRelu`, placement: c.placement === "cpu" ? "cpu" : `${c.placement} 0.5` };
  });
}
