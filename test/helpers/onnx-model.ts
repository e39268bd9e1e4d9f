/**
 * Hand-built ONNX models for unit tests: one node at a time, any attribute,
 * any opset, including the malformed structures the importer must refuse.
 * Fixture models use the layer-level builder in fixtures/; this one is for
 * cases no exporter would write on purpose.
 */

import onnxPkg from "onnx-proto";
import type { onnx as Onnx } from "onnx-proto";

const { onnx } = onnxPkg;

export type AttrValue = number | string | readonly number[] | { readonly floats: readonly number[] } | { readonly float: number } | Onnx.ITensorProto;

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

export interface ValueSpec {
  readonly name: string;
  readonly shape?: readonly (number | string)[];
  /** ONNX element type; 1 = float32, 7 = int64. */
  readonly elemType?: number;
}

export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: readonly Onnx.ITensorProto[];
  readonly opset?: number;
  readonly irVersion?: number;
  readonly valueInfo?: readonly ValueSpec[];
}

export function floatTensor(name: string, dims: readonly number[], values?: ArrayLike<number>): Onnx.ITensorProto {
  const count = dims.reduce((p, d) => p * d, 1);
  const data = values === undefined ? Float32Array.from({ length: count }, (_, i) => Math.sin(i * 12.9898 + dims.length) * 0.5) : Float32Array.from(values);
  return { name, dataType: 1, dims: [...dims], rawData: new Uint8Array(data.buffer) };
}

export function int64Tensor(name: string, values: readonly number[], dims: readonly number[] = [values.length]): Onnx.ITensorProto {
  return { name, dataType: 7, dims: [...dims], int64Data: [...values] };
}

function attribute(name: string, v: AttrValue): Onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === "number") return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === "string") return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: [...(v as number[])] };
  if ("floats" in v) return { name, type: T.FLOATS, floats: [...(v as { floats: number[] }).floats] };
  if ("float" in v) return { name, type: T.FLOAT, f: (v as { float: number }).float };
  return { name, type: T.TENSOR, t: v as Onnx.ITensorProto };
}

function valueInfo(v: ValueSpec): Onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType ?? 1,
        ...(v.shape === undefined
          ? {}
          : { shape: { dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } }),
      },
    },
  };
}

export function modelProto(spec: ModelSpec): Onnx.ModelProto {
  return onnx.ModelProto.create({
    irVersion: spec.irVersion ?? 8,
    producerName: "codl-tests",
    opsetImport: [{ domain: "", version: spec.opset ?? 13 }],
    graph: {
      name: "test",
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op}_${i}`,
        opType: n.op,
        domain: n.domain ?? "",
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: [...(spec.initializers ?? [])],
      valueInfo: (spec.valueInfo ?? []).map(valueInfo),
    },
  });
}

export function encodeModel(model: Onnx.ModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function buildModel(spec: ModelSpec): Uint8Array {
  return encodeModel(modelProto(spec));
}

export function decodeModelProto(bytes: Uint8Array): Onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** The same model with the given tensors added as float graph outputs (type only, no shape), so ORT reports their shapes. */
export function exposeOutputs(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const model = decodeModelProto(bytes);
  const graph = model.graph as Onnx.GraphProto;
  const declared = new Set(graph.output.map((o) => o.name));
  for (const name of names) if (!declared.has(name)) graph.output.push(valueInfo({ name, elemType: 1 }));
  return encodeModel(model);
}
