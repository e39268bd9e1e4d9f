/**
 * Element types of IR tensors. The names follow ONNX's TensorProto.DataType;
 * the numeric ONNX codes are mapped in onnx/, not here.
 */

export const DTYPES = [
  "float32",
  "float16",
  "bfloat16",
  "float64",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "bool",
  "string",
] as const;

export type DType = (typeof DTYPES)[number];

const BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  bool: 1,
  string: 0,
};

export function bytesPerElement(dtype: DType): number {
  return BYTES[dtype];
}

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float16" || dtype === "bfloat16" || dtype === "float64";
}

export function isInteger(dtype: DType): boolean {
  return !isFloat(dtype) && dtype !== "bool" && dtype !== "string";
}
