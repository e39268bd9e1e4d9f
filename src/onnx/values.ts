/**
 * Normalisation of protobuf scalars and tensors at the import boundary:
 * int64 Long → number (once, here), ONNX element types → IR dtypes, and
 * TensorProto → IR tensor with its data as a zero-copy view.
 */

import * as path from "node:path";
import { CompilerError } from "../diag/errors.js";
import { bytesPerElement, type DType } from "../ir/dtype.js";
import { ConstData, type Dim, encodeNumbers, type Tensor } from "../ir/tensor.js";
import { DataLocation, type TensorProto, type ValueInfoProto } from "./decode.js";

/** Reads external tensor data; `length` undefined means "to the end of the file". */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined) => Uint8Array;

export interface TensorContext {
  /** Where the model came from, for messages. */
  readonly path: string;
  readonly readExternal: ExternalDataReader | undefined;
  /** Refuse any single tensor larger than this before allocating. */
  readonly maxTensorBytes: number;
}

interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
}

function isLongLike(v: unknown): v is LongLike {
  return typeof v === "object" && v !== null && "low" in v && "high" in v;
}

/** Converts a protobuf int64 to a JS number, saturating beyond ±2^53 (INT64_MAX means "to the end"). */
export function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return saturate(v);
  if (isLongLike(v)) {
    const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return saturate(v.unsigned ? big : BigInt.asIntN(64, big));
  }
  if (typeof v === "string") return Number(v);
  return 0;
}

/** Exact conversion of a protobuf int64 to bigint. */
export function toBigInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(Math.trunc(v));
  if (isLongLike(v)) {
    const big = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return v.unsigned ? big : BigInt.asIntN(64, big);
  }
  return 0n;
}

function saturate(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

const ELEM_TYPES: Readonly<Record<number, DType>> = {
  1: "float32",
  2: "uint8",
  3: "int8",
  4: "uint16",
  5: "int16",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "float64",
  12: "uint32",
  13: "uint64",
  16: "bfloat16",
};

export function dtypeOf(elemType: number | null | undefined, tensor: string): DType {
  const dtype = ELEM_TYPES[elemType ?? 0];
  if (dtype === undefined) throw new CompilerError("CODL-E043", { tensor, dtype: `ONNX element type ${elemType ?? "unset"}` });
  return dtype;
}

/** The declared type of a graph input, output or value_info entry. */
export function tensorFromValueInfo(info: ValueInfoProto): Tensor {
  const name = info.name ?? "";
  const tensorType = info.type?.tensorType;
  if (!tensorType) throw new CompilerError("CODL-E018", { tensor: name, cause: "only tensor types are supported" });
  const dtype = dtypeOf(tensorType.elemType, name);
  let shape: Dim[] | undefined;
  if (tensorType.shape) {
    shape = (tensorType.shape.dim ?? []).map((d, axis) => {
      if (d.dimParam) return d.dimParam;
      if (d.dimValue === undefined || d.dimValue === null) return `?${axis}`;
      const value = toNumber(d.dimValue);
      if (!Number.isSafeInteger(value) || value <= 0) throw new CompilerError("CODL-E013", { tensor: name, dim: value, axis });
      return value;
    });
    checkElementCount(name, shape);
  }
  return { name, dtype, shape, data: undefined };
}

function checkElementCount(tensor: string, shape: readonly Dim[]): number {
  let n = 1;
  for (const d of shape) if (typeof d === "number") n *= d;
  if (n > Number.MAX_SAFE_INTEGER) throw new CompilerError("CODL-E014", { tensor, elements: n.toExponential(3) });
  return n;
}

/** An initializer or Constant value, with its data as a view (raw and external) or decoded from typed fields. */
export function tensorFromProto(proto: TensorProto, fallbackName: string, ctx: TensorContext): Tensor {
  const name = proto.name || fallbackName;
  const dtype = dtypeOf(proto.dataType, name);
  const dims = (proto.dims ?? []).map((d, axis) => {
    const value = toNumber(d);
    // Empty initializers (a Resize roi of shape [0]) are legal; negative sizes are not.
    if (!Number.isSafeInteger(value) || value < 0) throw new CompilerError("CODL-E013", { tensor: name, dim: value, axis });
    return value;
  });
  const count = checkElementCount(name, dims);
  if (dtype === "string") return { name, dtype, shape: dims, data: undefined };
  const expected = count * bytesPerElement(dtype);
  if (expected > ctx.maxTensorBytes) throw new CompilerError("CODL-E023", { tensor: name, bytes: expected, limit: ctx.maxTensorBytes });
  const bytes = dataBytes(proto, name, dtype, count, expected, ctx);
  return { name, dtype, shape: dims, data: ConstData.ofBytes(bytes) };
}

function dataBytes(proto: TensorProto, name: string, dtype: DType, count: number, expected: number, ctx: TensorContext): Uint8Array {
  if (proto.dataLocation === DataLocation.EXTERNAL) return externalBytes(proto, name, expected, ctx);
  const raw = proto.rawData;
  if (raw && raw.byteLength > 0) {
    if (raw.byteLength < expected) throw new CompilerError("CODL-E022", { tensor: name, claimed: expected, available: raw.byteLength });
    return raw.byteLength === expected ? raw : raw.subarray(0, expected);
  }
  const values = typedValues(proto, dtype);
  if (values.length < count) {
    throw new CompilerError("CODL-E022", { tensor: name, claimed: expected, available: values.length * bytesPerElement(dtype) });
  }
  if (dtype === "float16" || dtype === "bfloat16") {
    // int32_data holds the 16-bit patterns.
    return encodeNumbers(values.slice(0, count), "uint16");
  }
  return encodeNumbers(values.slice(0, count), dtype);
}

function typedValues(proto: TensorProto, dtype: DType): number[] {
  switch (dtype) {
    case "float32":
      return proto.floatData ?? [];
    case "float64":
      return proto.doubleData ?? [];
    case "int64":
      return (proto.int64Data ?? []).map(toNumber);
    case "uint32":
    case "uint64":
      return (proto.uint64Data ?? []).map(toNumber);
    default:
      return proto.int32Data ?? [];
  }
}

function externalBytes(proto: TensorProto, name: string, expected: number, ctx: TensorContext): Uint8Array {
  const entries = new Map((proto.externalData ?? []).map((e) => [e.key ?? "", e.value ?? ""]));
  const location = entries.get("location") ?? "";
  if (!isInsideModelFolder(location)) throw new CompilerError("CODL-E020", { tensor: name, location });
  const offset = Number(entries.get("offset") ?? "0");
  const lengthText = entries.get("length");
  const length = lengthText === undefined ? undefined : Number(lengthText);
  if (!Number.isSafeInteger(offset) || offset < 0 || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
    throw new CompilerError("CODL-E021", { tensor: name, location, cause: "bad offset or length" });
  }
  if (length !== undefined && length < expected) {
    throw new CompilerError("CODL-E022", { tensor: name, claimed: expected, available: length });
  }
  if (ctx.readExternal === undefined) {
    throw new CompilerError("CODL-E021", { tensor: name, location, cause: "no model folder to read it from" });
  }
  const bytes = ctx.readExternal(location, offset, length ?? expected);
  if (bytes.byteLength < expected) throw new CompilerError("CODL-E022", { tensor: name, claimed: expected, available: bytes.byteLength });
  return bytes.subarray(0, expected);
}

/** A relative location that stays inside the model's folder once normalised (symlinks are checked by the reader). */
export function isInsideModelFolder(location: string): boolean {
  if (location === "" || location.includes("\0")) return false;
  if (path.isAbsolute(location) || path.win32.isAbsolute(location)) return false;
  const normal = path.posix.normalize(location.replaceAll("\\", "/"));
  return normal !== ".." && !normal.startsWith("../") && normal !== ".";
}
