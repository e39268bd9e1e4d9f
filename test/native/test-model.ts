/**
 * The weights and the reference of codegen/test-model (its graph is drawn in
 * src/model.cc). Seeded random weights are arranged per processor the way the
 * emitter will arrange them, written to one 64-byte-aligned weights.bin, and
 * described in src/weights_table.inc (ids, offsets, size, CRC-32). The
 * reference runs the same graph with plain NCHW loops.
 */

import * as zlib from "node:zlib";

export interface Tensor {
  readonly shape: readonly [number, number, number, number];
  readonly data: Float32Array;
}

interface ConvParams {
  readonly w: Float32Array; // OIHW
  readonly b: Float32Array;
  readonly oc: number;
  readonly ic: number;
  readonly k: number;
}

export interface TestWeights {
  readonly op0: ConvParams;
  readonly op1: ConvParams;
  readonly op2: ConvParams;
  readonly op3: ConvParams;
  readonly op5: ConvParams;
  readonly op10: ConvParams; // fully connected 8→10: a 1×1 "conv" with OI layout
}

export function seededFloats(count: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (((s >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

function convParams(oc: number, ic: number, k: number, seed: number): ConvParams {
  const scale = 1 / Math.sqrt(ic * k * k);
  return { w: seededFloats(oc * ic * k * k, seed, 2 * scale), b: seededFloats(oc, seed + 1, 0.2), oc, ic, k };
}

export function makeWeights(seed = 7): TestWeights {
  return {
    op0: convParams(8, 3, 3, seed),
    op1: convParams(12, 8, 3, seed + 10),
    op2: convParams(8, 12, 3, seed + 20),
    op3: convParams(8, 8, 3, seed + 30),
    op5: convParams(8, 8, 1, seed + 40),
    op10: convParams(10, 8, 1, seed + 50),
  };
}

// ---- arrangement per processor ----

/** GPU conv kernels read float4 blocks of 4 output channels: [ocb][kh][kw][icb][input lane] → float4. */
function gpuConvWeights(p: ConvParams, ocb0: number, ocbs: number): Float32Array {
  const icb = Math.ceil(p.ic / 4);
  const out = new Float32Array(ocbs * p.k * p.k * icb * 16);
  for (let ocl = 0; ocl < ocbs; ocl++)
    for (let kh = 0; kh < p.k; kh++)
      for (let kw = 0; kw < p.k; kw++)
        for (let cb = 0; cb < icb; cb++)
          for (let lane = 0; lane < 4; lane++)
            for (let ol = 0; ol < 4; ol++) {
              const oc = 4 * (ocb0 + ocl) + ol;
              const ic = 4 * cb + lane;
              if (oc >= p.oc || ic >= p.ic) continue;
              out[((((ocl * p.k + kh) * p.k + kw) * icb + cb) * 4 + lane) * 4 + ol] = p.w[((oc * p.ic + ic) * p.k + kh) * p.k + kw]!;
            }
  return out;
}

function gpuBias(p: ConvParams, ocb0: number, ocbs: number): Float32Array {
  const out = new Float32Array(ocbs * 4);
  for (let i = 0; i < ocbs * 4; i++) out[i] = 4 * ocb0 + i < p.oc ? p.b[4 * ocb0 + i]! : 0;
  return out;
}

/** XNNPACK's convolution filter layout, OHWI, for output channels [oc0, oc1). */
function cpuConvWeights(p: ConvParams, oc0: number, oc1: number): Float32Array {
  const out = new Float32Array((oc1 - oc0) * p.k * p.k * p.ic);
  for (let oc = oc0; oc < oc1; oc++)
    for (let kh = 0; kh < p.k; kh++)
      for (let kw = 0; kw < p.k; kw++)
        for (let ic = 0; ic < p.ic; ic++) out[(((oc - oc0) * p.k + kh) * p.k + kw) * p.ic + ic] = p.w[((oc * p.ic + ic) * p.k + kh) * p.k + kw]!;
  return out;
}

type WeightsKind = "kHost" | "kGpuBuffer";

export interface WeightsFile {
  readonly bin: Uint8Array;
  readonly tableInc: string;
}

/** weights.bin and src/weights_table.inc; entries are 64-byte aligned. */
export function layoutWeights(w: TestWeights): WeightsFile {
  const entries: { name: string; kind: WeightsKind; data: Float32Array }[] = [];
  const add = (name: string, kind: WeightsKind, data: Float32Array) => entries.push({ name, kind, data });
  // H splits: both sides hold every output channel. OC split (op1): GPU [0, 8), CPU [8, 12).
  for (const [name, p, gpuBlocks, cpuRange] of [
    ["op0", w.op0, 2, [0, 8]],
    ["op1", w.op1, 2, [8, 12]],
    ["op2", w.op2, 2, [0, 8]],
    ["op3", w.op3, 2, [0, 8]],
  ] as const) {
    add(`${name}_gpu_w`, "kGpuBuffer", gpuConvWeights(p, 0, gpuBlocks));
    add(`${name}_gpu_b`, "kGpuBuffer", gpuBias(p, 0, gpuBlocks));
    add(`${name}_cpu_w`, "kHost", cpuConvWeights(p, cpuRange[0], cpuRange[1]));
    add(`${name}_cpu_b`, "kHost", p.b.slice(cpuRange[0], cpuRange[1]));
  }
  add("op5_gpu_w", "kGpuBuffer", gpuConvWeights(w.op5, 0, 2));
  add("op5_gpu_b", "kGpuBuffer", gpuBias(w.op5, 0, 2));
  // The CPU halves of the classifier head, and what src/model_cpu.cc needs besides.
  add("op10_cpu_w", "kHost", w.op10.w);
  add("op10_cpu_b", "kHost", w.op10.b);
  add("op1_cpu_full_w", "kHost", cpuConvWeights(w.op1, 0, 12));
  add("op1_cpu_full_b", "kHost", w.op1.b);
  add("op5_cpu_w", "kHost", cpuConvWeights(w.op5, 0, 8));
  add("op5_cpu_b", "kHost", w.op5.b);

  let size = 0;
  const offsets = entries.map((e) => {
    const at = size;
    size = Math.ceil((at + e.data.byteLength) / 64) * 64;
    return at;
  });
  const bin = new Uint8Array(size);
  entries.forEach((e, i) => {
    bin.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), offsets[i]);
  });
  const crc = zlib.crc32(bin) >>> 0;
  const lines = [
    "// Generated by test/native/test-model.ts: the weights table of codegen/test-model.",
    `enum WeightsId : int32_t { ${entries.map((e, i) => `W_${e.name} = ${i}`).join(", ")} };`,
    "const WeightsDesc kWeights[] = {",
    ...entries.map((e, i) => `    {${offsets[i]}, ${e.data.byteLength}, WeightsKind::${e.kind}, 0, 0},  // ${e.name}`),
    "};",
    `constexpr uint64_t kWeightsBytes = ${size};`,
    `constexpr uint32_t kWeightsCrc32 = 0x${crc.toString(16).padStart(8, "0")}u;`,
    "",
  ];
  return { bin, tableInc: lines.join("\n") };
}

// ---- reference (NCHW, plain loops) ----

function conv2d(x: Tensor, p: ConvParams, stride: number, pad: number, relu: boolean): Tensor {
  const [n, c, h, wd] = x.shape;
  if (c !== p.ic) throw new Error("conv2d: channel mismatch");
  const oh = Math.floor((h + 2 * pad - p.k) / stride) + 1;
  const ow = Math.floor((wd + 2 * pad - p.k) / stride) + 1;
  const out = new Float32Array(n * p.oc * oh * ow);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < p.oc; o++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let acc = p.b[o]!;
          for (let i = 0; i < c; i++)
            for (let kh = 0; kh < p.k; kh++) {
              const iy = y * stride - pad + kh;
              if (iy < 0 || iy >= h) continue;
              for (let kw = 0; kw < p.k; kw++) {
                const ix = xx * stride - pad + kw;
                if (ix < 0 || ix >= wd) continue;
                acc += x.data[((b * c + i) * h + iy) * wd + ix]! * p.w[((o * c + i) * p.k + kh) * p.k + kw]!;
              }
            }
          out[((b * p.oc + o) * oh + y) * ow + xx] = relu ? Math.max(acc, 0) : acc;
        }
  return { shape: [n, p.oc, oh, ow], data: out };
}

function maxPool(x: Tensor, k: number, s: number): Tensor {
  const [n, c, h, w] = x.shape;
  const oh = Math.floor((h - k) / s) + 1;
  const ow = Math.floor((w - k) / s) + 1;
  const out = new Float32Array(n * c * oh * ow);
  for (let b = 0; b < n * c; b++)
    for (let y = 0; y < oh; y++)
      for (let xx = 0; xx < ow; xx++) {
        let m = -Infinity;
        for (let kh = 0; kh < k; kh++) for (let kw = 0; kw < k; kw++) m = Math.max(m, x.data[(b * h + y * s + kh) * w + xx * s + kw]!);
        out[(b * oh + y) * ow + xx] = m;
      }
  return { shape: [n, c, oh, ow], data: out };
}

/** a + b, with b broadcast along any dimension of size 1. */
function add(a: Tensor, b: Tensor): Tensor {
  const [n, c, h, w] = a.shape;
  const [bn, bc, bh, bw] = b.shape;
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < c; j++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const bi = (((bn === 1 ? 0 : i) * bc + (bc === 1 ? 0 : j)) * bh + (bh === 1 ? 0 : y)) * bw + (bw === 1 ? 0 : x);
          out[((i * c + j) * h + y) * w + x] = a.data[((i * c + j) * h + y) * w + x]! + b.data[bi]!;
        }
  return { shape: a.shape, data: out };
}

function silu(x: Tensor): Tensor {
  return { shape: x.shape, data: x.data.map((v) => v / (1 + Math.exp(-v))) };
}

function globalAvgPool(x: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  const out = new Float32Array(n * c);
  for (let i = 0; i < n * c; i++) {
    let s = 0;
    for (let j = 0; j < h * w; j++) s += x.data[i * h * w + j]!;
    out[i] = s / (h * w);
  }
  return { shape: [n, c, 1, 1], data: out };
}

function sigmoid(x: Tensor): Tensor {
  return { shape: x.shape, data: x.data.map((v) => 1 / (1 + Math.exp(-v))) };
}

export type OutputName = "t2" | "silu" | "out" | "prob";

/** Every graph output; prob is [N, 10] (rank 2), the rest NCHW. */
export function reference(w: TestWeights, x: Tensor, y: Tensor): Record<OutputName, { shape: readonly number[]; data: Float32Array }> {
  const t1 = conv2d(x, w.op0, 1, 1, true);
  const t2 = conv2d(t1, w.op1, 2, 1, true);
  const t3 = conv2d(t2, w.op2, 1, 1, true);
  const t4 = conv2d(t3, w.op3, 1, 1, false);
  const t5 = maxPool(t4, 2, 2);
  const t6 = conv2d(t5, w.op5, 1, 0, false);
  const t7 = add(t6, y);
  const s = silu(t7);
  const out = add(s, t5);
  const f = conv2d(globalAvgPool(out), w.op10, 1, 0, false);
  const prob = sigmoid(f);
  return { t2, silu: s, out, prob: { shape: [x.shape[0], 10], data: prob.data } };
}
