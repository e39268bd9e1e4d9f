/**
 * An ONNX writer for synthetic single-operator models (`codl profile` sweeps
 * one operator configuration per model). It consumes a plain record, never
 * IR or protobuf types, and produces model bytes the importer reads back:
 * float32 NCHW inputs and outputs with static shapes, seeded weights as
 * initializers, opset 13. This file and decode.ts are the only protobuf users.
 *
 *   Conv          x[n,ic,ih,iw] ⊛ w[oc,ic/g,kh,kw] + b  (pads top,left,bottom,right), optional Relu
 *   MaxPool / AveragePool / GlobalAveragePool
 *   Gemm          x[n,k] · wᵀ + b
 *   Add           x + y, both graph inputs (element-wise, same shape)
 *   LeakyRelu     unary element-wise
 *   Concat        two inputs along channels
 *   Resize        integer scale on H and W, in the model's own mode and coordinate mode
 */

import onnxPkg from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";

const { onnx } = onnxPkg;
const T = onnx.AttributeProto.AttributeType;

export type SyntheticOp =
  | {
      readonly kind: "Conv";
      readonly n: number;
      readonly ic: number;
      readonly ih: number;
      readonly iw: number;
      readonly oc: number;
      readonly kh: number;
      readonly kw: number;
      readonly sh: number;
      readonly sw: number;
      /** [top, left, bottom, right] */
      readonly pads: readonly [number, number, number, number];
      readonly group: number;
      readonly dilation: number;
      readonly relu: boolean;
      /** An activation XNNPACK cannot fuse as a clamp, run after the conv (the model's own; absent: none). */
      readonly post?: "LeakyRelu" | "HardSwish" | "Sigmoid" | "Tanh";
    }
  | {
      readonly kind: "MaxPool" | "AveragePool";
      readonly n: number;
      readonly c: number;
      readonly ih: number;
      readonly iw: number;
      readonly kh: number;
      readonly kw: number;
      readonly sh: number;
      readonly sw: number;
      readonly pads: readonly [number, number, number, number];
    }
  | { readonly kind: "GlobalAveragePool"; readonly n: number; readonly c: number; readonly ih: number; readonly iw: number }
  | { readonly kind: "Gemm"; readonly n: number; readonly k: number; readonly oc: number }
  | { readonly kind: "Add"; readonly n: number; readonly c: number; readonly h: number; readonly w: number }
  | {
      readonly kind: "LeakyRelu";
      readonly n: number;
      readonly c: number;
      readonly h: number;
      readonly w: number;
      /** The model's own unary activation, when it is not LeakyRelu (absent: LeakyRelu). */
      readonly opType?: "Relu" | "Sigmoid" | "HardSigmoid" | "HardSwish" | "Tanh";
    }
  | {
      readonly kind: "Pad";
      readonly n: number;
      readonly c: number;
      readonly h: number;
      readonly w: number;
      /** [top, left, bottom, right] */
      readonly pads: readonly [number, number, number, number];
      readonly mode: "constant" | "reflect" | "edge";
    }
  | { readonly kind: "Concat"; readonly n: number; readonly c0: number; readonly c1: number; readonly h: number; readonly w: number }
  | {
      readonly kind: "Resize";
      readonly n: number;
      readonly c: number;
      readonly h: number;
      readonly w: number;
      readonly scale: number;
      /** The model's own: a linear Resize runs another CPU kernel than a nearest one (absent: nearest, asymmetric, floor). */
      readonly mode?: "nearest" | "linear";
      readonly coord?: string;
      readonly nearestMode?: string;
    }
  | {
      /** Softmax and the layout ops, with the model's own shapes: input shape, then the op's own attribute. */
      readonly kind: "Layout";
      readonly opType: "Transpose" | "Reshape" | "Flatten" | "Softmax";
      readonly inShape: readonly number[];
      /** Transpose: the permutation; Reshape: the output shape; Flatten and Softmax: [axis]. */
      readonly arg: readonly number[];
    };

/** A small deterministic generator (mulberry32): the same model bytes for the same op. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function floats(count: number, scale: number, rand: () => number): Uint8Array {
  const v = new Float32Array(count);
  for (let i = 0; i < count; i++) v[i] = (rand() * 2 - 1) * scale;
  return new Uint8Array(v.buffer);
}

const ints = (name: string, v: readonly number[]): Onnx.IAttributeProto => ({ name, type: T.INTS, ints: [...v] });
const int = (name: string, v: number): Onnx.IAttributeProto => ({ name, type: T.INT, i: v });
const float = (name: string, v: number): Onnx.IAttributeProto => ({ name, type: T.FLOAT, f: v });
const str = (name: string, v: string): Onnx.IAttributeProto => ({ name, type: T.STRING, s: new TextEncoder().encode(v) });

function value(name: string, shape: readonly number[]): Onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function outSize(i: number, k: number, s: number, d: number, padA: number, padB: number): number {
  return Math.floor((i + padA + padB - ((k - 1) * d + 1)) / s) + 1;
}

/** Output shape NCHW of a synthetic op. */
export function syntheticOutputShape(op: SyntheticOp): number[] {
  switch (op.kind) {
    case "Conv":
      return [op.n, op.oc, outSize(op.ih, op.kh, op.sh, op.dilation, op.pads[0], op.pads[2]), outSize(op.iw, op.kw, op.sw, op.dilation, op.pads[1], op.pads[3])];
    case "MaxPool":
    case "AveragePool":
      return [op.n, op.c, outSize(op.ih, op.kh, op.sh, 1, op.pads[0], op.pads[2]), outSize(op.iw, op.kw, op.sw, 1, op.pads[1], op.pads[3])];
    case "GlobalAveragePool":
      return [op.n, op.c, 1, 1];
    case "Gemm":
      return [op.n, op.oc];
    case "Add":
    case "LeakyRelu":
      return [op.n, op.c, op.h, op.w];
    case "Concat":
      return [op.n, op.c0 + op.c1, op.h, op.w];
    case "Resize":
      return [op.n, op.c, op.h * op.scale, op.w * op.scale];
    case "Pad":
      return [op.n, op.c, op.h + op.pads[0] + op.pads[2], op.w + op.pads[1] + op.pads[3]];
    case "Layout":
      return layoutOutputShape(op);
  }
}

function layoutOutputShape(op: Extract<SyntheticOp, { kind: "Layout" }>): number[] {
  const x = op.inShape;
  switch (op.opType) {
    case "Transpose":
      return op.arg.map((a) => x[a]!);
    case "Reshape":
      return [...op.arg];
    case "Flatten": {
      const axis = op.arg[0]! < 0 ? op.arg[0]! + x.length : op.arg[0]!;
      return [x.slice(0, axis).reduce((a, b) => a * b, 1), x.slice(axis).reduce((a, b) => a * b, 1)];
    }
    case "Softmax":
      return [...x];
  }
}

/** Encodes `op` as an ONNX model named `name`; weights are seeded by `seed`. */
export function encodeSyntheticModel(op: SyntheticOp, name: string, seed = 1): Uint8Array {
  const rand = seeded(seed);
  const init: Onnx.ITensorProto[] = [];
  const inputs: Onnx.IValueInfoProto[] = [];
  const nodes: Onnx.INodeProto[] = [];
  const tensor = (tname: string, dims: number[], raw: Uint8Array, dataType = 1): string => {
    init.push({ name: tname, dataType, dims, rawData: raw });
    return tname;
  };
  const out = "y";
  switch (op.kind) {
    case "Conv": {
      inputs.push(value("x", [op.n, op.ic, op.ih, op.iw]));
      const fanIn = (op.ic / op.group) * op.kh * op.kw;
      const w = tensor("w", [op.oc, op.ic / op.group, op.kh, op.kw], floats(op.oc * fanIn, 1 / Math.sqrt(fanIn), rand));
      const b = tensor("b", [op.oc], floats(op.oc, 0.05, rand));
      const attrs = [ints("kernel_shape", [op.kh, op.kw]), ints("strides", [op.sh, op.sw]), ints("dilations", [op.dilation, op.dilation]), ints("pads", [op.pads[0], op.pads[1], op.pads[2], op.pads[3]]), int("group", op.group)];
      if (op.post !== undefined) {
        nodes.push({ name: "conv", opType: "Conv", input: ["x", w, b], output: ["pre"], attribute: attrs });
        nodes.push({ name: "act", opType: op.post, input: ["pre"], output: [out], attribute: op.post === "LeakyRelu" ? [float("alpha", 0.1)] : [] });
      } else if (op.relu) {
        nodes.push({ name: "conv", opType: "Conv", input: ["x", w, b], output: ["pre"], attribute: attrs });
        nodes.push({ name: "relu", opType: "Relu", input: ["pre"], output: [out] });
      } else nodes.push({ name: "conv", opType: "Conv", input: ["x", w, b], output: [out], attribute: attrs });
      break;
    }
    case "MaxPool":
    case "AveragePool":
      inputs.push(value("x", [op.n, op.c, op.ih, op.iw]));
      nodes.push({
        name: "pool",
        opType: op.kind,
        input: ["x"],
        output: [out],
        attribute: [ints("kernel_shape", [op.kh, op.kw]), ints("strides", [op.sh, op.sw]), ints("pads", [op.pads[0], op.pads[1], op.pads[2], op.pads[3]])],
      });
      break;
    case "GlobalAveragePool":
      inputs.push(value("x", [op.n, op.c, op.ih, op.iw]));
      nodes.push({ name: "gap", opType: "GlobalAveragePool", input: ["x"], output: [out] });
      break;
    case "Gemm": {
      inputs.push(value("x", [op.n, op.k]));
      const w = tensor("w", [op.oc, op.k], floats(op.oc * op.k, 1 / Math.sqrt(op.k), rand));
      const b = tensor("b", [op.oc], floats(op.oc, 0.05, rand));
      nodes.push({ name: "fc", opType: "Gemm", input: ["x", w, b], output: [out], attribute: [int("transB", 1)] });
      break;
    }
    case "Add":
      inputs.push(value("x", [op.n, op.c, op.h, op.w]), value("x2", [op.n, op.c, op.h, op.w]));
      nodes.push({ name: "add", opType: "Add", input: ["x", "x2"], output: [out] });
      break;
    case "LeakyRelu":
      inputs.push(value("x", [op.n, op.c, op.h, op.w]));
      nodes.push({ name: "act", opType: op.opType ?? "LeakyRelu", input: ["x"], output: [out], attribute: op.opType === undefined ? [float("alpha", 0.1)] : [] });
      break;
    case "Pad": {
      const pads = tensor("pads", [8], new Uint8Array(new BigInt64Array([0, 0, op.pads[0], op.pads[1], 0, 0, op.pads[2], op.pads[3]].map(BigInt)).buffer), 7);
      inputs.push(value("x", [op.n, op.c, op.h, op.w]));
      nodes.push({ name: "pad", opType: "Pad", input: ["x", pads], output: [out], attribute: [str("mode", op.mode)] });
      break;
    }
    case "Concat":
      inputs.push(value("x", [op.n, op.c0, op.h, op.w]), value("x2", [op.n, op.c1, op.h, op.w]));
      nodes.push({ name: "concat", opType: "Concat", input: ["x", "x2"], output: [out], attribute: [int("axis", 1)] });
      break;
    case "Resize": {
      const scales = tensor("scales", [4], new Uint8Array(new Float32Array([1, 1, op.scale, op.scale]).buffer));
      inputs.push(value("x", [op.n, op.c, op.h, op.w]));
      const mode = op.mode ?? "nearest";
      const attribute = [str("mode", mode), str("coordinate_transformation_mode", op.coord ?? "asymmetric"), ...(mode === "nearest" ? [str("nearest_mode", op.nearestMode ?? "floor")] : [])];
      nodes.push({ name: "resize", opType: "Resize", input: ["x", "", scales], output: [out], attribute });
      break;
    }
    case "Layout": {
      inputs.push(value("x", op.inShape));
      if (op.opType === "Reshape") {
        const shape = tensor("shape", [op.arg.length], new Uint8Array(new BigInt64Array(op.arg.map(BigInt)).buffer), 7);
        nodes.push({ name: "reshape", opType: "Reshape", input: ["x", shape], output: [out] });
      } else {
        const attribute = op.opType === "Transpose" ? [ints("perm", op.arg)] : [int("axis", op.arg[0]!)];
        nodes.push({ name: op.opType.toLowerCase(), opType: op.opType, input: ["x"], output: [out], attribute });
      }
      break;
    }
  }
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "codl profile",
    opsetImport: [{ domain: "", version: 13 }],
    graph: { name, node: nodes, initializer: init, input: inputs, output: [value(out, syntheticOutputShape(op))] },
  });
  return onnx.ModelProto.encode(model).finish();
}
