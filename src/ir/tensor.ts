/**
 * IR tensors: a name, an element type, a shape, and for constants their data.
 *
 * Constant data is kept as little-endian bytes and never copied on import:
 * a weight is a view into the model file's buffer. Passes that rewrite
 * weights (Conv+BatchNormalization folding) attach a lazy producer instead,
 * so `codl inspect` of a 500 MB model never materialises a second copy.
 */

import { CompilerError } from "../diag/errors.js";
import { bytesPerElement, type DType } from "./dtype.js";

/** A dimension is a positive integer once static, or a symbolic name before shape inference. */
export type Dim = number | string;
export type Shape = readonly Dim[];
export type StaticShape = readonly number[];

export class ConstData {
  private cached: Uint8Array | undefined;
  private readonly produce: (() => Uint8Array) | undefined;

  private constructor(bytes: Uint8Array | undefined, produce: (() => Uint8Array) | undefined) {
    this.cached = bytes;
    this.produce = produce;
  }

  /** Wraps little-endian bytes without copying them. */
  static ofBytes(bytes: Uint8Array): ConstData {
    return new ConstData(bytes, undefined);
  }

  /** Data computed on first use (for example folded weights). */
  static lazy(produce: () => Uint8Array): ConstData {
    return new ConstData(undefined, produce);
  }

  static ofFloat32(values: ArrayLike<number>): ConstData {
    const array = Float32Array.from(values);
    return ConstData.ofBytes(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }

  static ofInt64(values: readonly (number | bigint)[]): ConstData {
    const array = BigInt64Array.from(values, (v) => BigInt(v));
    return ConstData.ofBytes(new Uint8Array(array.buffer));
  }

  get materialised(): boolean {
    return this.cached !== undefined;
  }

  bytes(): Uint8Array {
    if (this.cached === undefined) {
      if (this.produce === undefined) throw new CompilerError("CODL-E100", { cause: "ConstData without bytes" });
      this.cached = this.produce();
    }
    return this.cached;
  }
}

export interface Tensor {
  readonly name: string;
  dtype: DType;
  /** Undefined until shape inference when the model does not declare it. */
  shape: Shape | undefined;
  /** Present for initializers and folded constants. */
  data: ConstData | undefined;
}

export function isStatic(shape: Shape | undefined): shape is StaticShape {
  return shape?.every((d) => typeof d === "number") === true;
}

export function elementCount(shape: StaticShape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: Shape | undefined): string {
  if (shape === undefined) return "?";
  if (shape.length === 0) return "scalar";
  return shape.join("x");
}

/** Reads constant data as numbers, whatever the integer or float dtype. */
export function readNumbers(tensor: Tensor): number[] {
  if (tensor.data === undefined) throw new CompilerError("CODL-E024", { tensor: tensor.name, cause: "not a constant" });
  const bytes = tensor.data.bytes();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytesPerElement(tensor.dtype);
  if (size === 0) throw new CompilerError("CODL-E043", { tensor: tensor.name, dtype: tensor.dtype });
  const count = Math.floor(bytes.byteLength / size);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = readElement(view, i * size, tensor.dtype);
  return out;
}

/**
 * Constant data as a fresh Float32Array, whatever the dtype: float32 copied bytewise
 * (little-endian, as every codl host and target is), other dtypes converted element by element.
 */
export function readFloats(tensor: Tensor): Float32Array {
  if (tensor.data !== undefined && tensor.dtype === "float32") {
    const bytes = tensor.data.bytes();
    return new Float32Array(new Uint8Array(bytes).buffer, 0, Math.floor(bytes.byteLength / 4));
  }
  return Float32Array.from(readNumbers(tensor));
}

function readElement(view: DataView, offset: number, dtype: DType): number {
  switch (dtype) {
    case "float32":
      return view.getFloat32(offset, true);
    case "float64":
      return view.getFloat64(offset, true);
    case "float16":
      return halfToFloat(view.getUint16(offset, true));
    case "bfloat16":
      return new Float32Array(new Uint32Array([view.getUint16(offset, true) << 16]).buffer)[0] ?? 0;
    case "int8":
      return view.getInt8(offset);
    case "uint8":
    case "bool":
      return view.getUint8(offset);
    case "int16":
      return view.getInt16(offset, true);
    case "uint16":
      return view.getUint16(offset, true);
    case "int32":
      return view.getInt32(offset, true);
    case "uint32":
      return view.getUint32(offset, true);
    case "int64":
      return clampBig(view.getBigInt64(offset, true));
    case "uint64":
      return clampBig(view.getBigUint64(offset, true));
    case "string":
      return Number.NaN;
  }
}

/** int64 constants like INT64_MAX (torch's "to the end") saturate to ±MAX_SAFE_INTEGER. */
function clampBig(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (v < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(v);
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Writes numbers as constant bytes of the given dtype. */
export function encodeNumbers(values: readonly number[], dtype: DType): Uint8Array {
  const size = bytesPerElement(dtype);
  const bytes = new Uint8Array(values.length * size);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    const o = i * size;
    switch (dtype) {
      case "float32":
        view.setFloat32(o, v, true);
        break;
      case "float64":
        view.setFloat64(o, v, true);
        break;
      case "int64":
        view.setBigInt64(o, BigInt(Math.trunc(v)), true);
        break;
      case "uint64":
        view.setBigUint64(o, BigInt(Math.trunc(v)), true);
        break;
      case "int32":
        view.setInt32(o, v, true);
        break;
      case "uint32":
        view.setUint32(o, v, true);
        break;
      case "int16":
        view.setInt16(o, v, true);
        break;
      case "uint16":
        view.setUint16(o, v, true);
        break;
      case "int8":
        view.setInt8(o, v);
        break;
      case "uint8":
      case "bool":
        view.setUint8(o, v);
        break;
      default:
        throw new CompilerError("CODL-E043", { tensor: "(folded constant)", dtype });
    }
  });
  return bytes;
}
