/**
 * ONNX Runtime (onnxruntime-node, CPU) as the reference: run a model on
 * seeded random inputs and return every output's dims and data.
 */

import ort from "onnxruntime-node";

export interface OrtOutput {
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export function seededFloats(count: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export async function runOrt(bytes: Uint8Array, inputs: Readonly<Record<string, readonly number[]>>, seed = 1): Promise<Record<string, OrtOutput>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: "disabled", logSeverityLevel: 3 });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    let k = seed;
    for (const [name, shape] of Object.entries(inputs)) {
      const count = shape.reduce((p, d) => p * d, 1);
      feeds[name] = new ort.Tensor("float32", seededFloats(count, k++), [...shape]);
    }
    const results = await session.run(feeds);
    const out: Record<string, OrtOutput> = {};
    for (const [name, tensor] of Object.entries(results)) {
      out[name] = { dims: tensor.dims.map(Number), data: tensor.data as OrtOutput["data"] };
    }
    return out;
  } finally {
    await session.release();
  }
}
