/**
 * Decodes ONNX bytes into a ModelProto and classifies failures: an empty
 * file, something that is not protobuf at all (JSON, text, random bytes), a
 * truncated message, or a message with no graph. This file and import.ts are
 * the only places that see protobuf types.
 */

import onnxPkg from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";
import { CompilerError } from "../diag/errors.js";

const { onnx } = onnxPkg;

export type ModelProto = OnnxTypes.ModelProto;
export type GraphProto = OnnxTypes.IGraphProto;
export type NodeProto = OnnxTypes.INodeProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type AttributeProto = OnnxTypes.IAttributeProto;
export type ValueInfoProto = OnnxTypes.IValueInfoProto;
export const AttributeType = onnx.AttributeProto.AttributeType;
export const DataLocation = onnx.TensorProto.DataLocation;

export function decodeModel(bytes: Uint8Array, path: string): ModelProto {
  if (bytes.byteLength === 0) throw new CompilerError("CODL-E005", { path });
  const first = bytes[0] ?? 0;
  // A protobuf message starts with a field key; '{', '[' and text are not ONNX.
  if (first === 0x7b || first === 0x5b || first === 0x3c) {
    throw new CompilerError("CODL-E002", { path, cause: "it looks like JSON, XML or text" });
  }
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // protobufjs reports running off the end of the buffer as "index out of range".
    const truncated = /index out of range|premature|truncated/i.test(message);
    throw new CompilerError(truncated ? "CODL-E003" : "CODL-E002", { path, cause: message }, { cause: e });
  }
  const hasOpset = model.opsetImport !== undefined && model.opsetImport.length > 0;
  if (!model.graph) {
    if (!hasOpset && !model.irVersion) throw new CompilerError("CODL-E002", { path, cause: "no ir_version, opset_import or graph" });
    throw new CompilerError("CODL-E004", { path });
  }
  if (!hasOpset && !model.irVersion) {
    throw new CompilerError("CODL-E002", { path, cause: "no ir_version or opset_import" });
  }
  return model;
}
