/**
 * Public per-operator GPU latencies (qed-usc/mobile-ml-benchmark, shaped like
 * datasets/mobile-gpu-ops/tflite_cnn_ops_gpu.csv) → training samples.
 * The algorithm comes from the `<dev>|gpu|kernel` column; a `_linked_` suffix
 * marks a fused activation. Latencies are µs in the file, ms here.
 */

import { CompilerError } from "../src/diag/errors.js";
import type { GpuSpec } from "../src/kernels/gpu-blocking.js";
import { configKey, type OpConfig } from "../src/kernels/op-config.js";
import { tfliteKernelId } from "../src/kernels/tflite-gpu.js";
import { parseCsv } from "../src/predict/csv.js";
import { gpuWork } from "../src/predict/features.js";
import type { TrainSample } from "../src/predict/train.js";
import { tfliteLaunch } from "../src/kernels/tflite-gpu.js";
import { flops } from "../src/kernels/op-config.js";

/** GPUs of the phones such files cover; other prefixes take a profile's GPU (--profile). */
export const KNOWN_GPUS: Readonly<Record<string, GpuSpec & { name: string }>> = {
  pixel4: { name: "Adreno 640 (Pixel 4, Snapdragon 855)", vendor: "adreno", computeUnits: 2, waveSize: 64, maxWorkGroupSize: 1024, constantMemoryBytes: 3584 },
  s10: { name: "Mali-G76 MP12 (Galaxy S10, Exynos 9820)", vendor: "mali", computeUnits: 12, waveSize: 8, maxWorkGroupSize: 384, constantMemoryBytes: 1024 },
};

export interface PublicRow {
  readonly line: number;
  readonly model: string;
  readonly operation: string;
  readonly algorithm: string;
  readonly fused: boolean;
  readonly config: OpConfig;
  /** The configuration exactly as the file states it (a depthwise row's `Filter` is its multiplier): the split's unit. */
  readonly fileConfig: OpConfig;
  readonly latencyUs: number;
}

export interface PublicSample extends TrainSample {
  readonly row: PublicRow;
}

function parseFeatureDict(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/'(\w+)':\s*'?([^',}]*)'?/g)) out.set(m[1]!, m[2]!.trim());
  return out;
}

function int(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n > 0 ? n : fallback;
}

const OPS = new Set(["CONV_2D", "CONV_2D_GROUP", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN"]);

export function readPublicRows(text: string, path: string, device: string): PublicRow[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (header === undefined) throw new CompilerError("CODL-E062", { path, line: 1, column: "(header)", cause: "the file is empty" });
  const col = (name: string): number => {
    const i = header.cells.indexOf(name);
    if (i < 0) throw new CompilerError("CODL-E062", { path, line: header.line, column: name, cause: "required column is missing" });
    return i;
  };
  const iModel = col("model");
  const iOp = col("operation");
  const iFeat = col("feature");
  const iLat = col(`${device}|gpu|float`);
  const iKernel = col(`${device}|gpu|kernel`);
  const out: PublicRow[] = [];
  for (const r of rows.slice(1)) {
    const operation = r.cells[iOp] ?? "";
    if (!OPS.has(operation)) continue;
    const latencyUs = Number(r.cells[iLat]);
    if (!Number.isFinite(latencyUs) || latencyUs <= 0) {
      throw new CompilerError("CODL-E062", { path, line: r.line, column: `${device}|gpu|float`, cause: `expected a positive latency, got '${r.cells[iLat] ?? ""}'` });
    }
    const kernelCell = r.cells[iKernel] ?? "";
    const fused = kernelCell.includes("_linked_");
    const algorithm = kernelCell.replace(/_linked_.*$/, "").replace(/_\d+$/, "");
    const f = parseFeatureDict(r.cells[iFeat] ?? "");
    const ih = int(f.get("Input_shape"), 1);
    const ic = int(f.get("Input_channel"), 1);
    const k = int(f.get("Kernel"), 1);
    const s = int(f.get("Stride"), 1);
    let config: OpConfig;
    let fileConfig: OpConfig | undefined;
    const base = { n: 1, ih, iw: ih, ic, sh: s, sw: s, activation: fused ? ("relu" as const) : ("none" as const) };
    if (operation === "FULLY_CONNECTED") {
      config = { ...base, op: "fc", ih: 1, iw: 1, oh: 1, ow: 1, oc: int(f.get("Filter"), 1), kh: 1, kw: 1, sh: 1, sw: 1, groups: 1 };
    } else if (operation === "MEAN") {
      config = { ...base, op: "pool", oh: 1, ow: 1, oc: ic, kh: ih, kw: ih, sh: 1, sw: 1, groups: ic };
    } else {
      const oh = int(f.get("Output_shape"), 1);
      const pooling = operation === "MAX_POOL_2D" || operation === "AVERAGE_POOL_2D";
      const depthwise = operation === "DEPTHWISE_CONV_2D";
      // A depthwise row's Filter is the depth multiplier: it has ic·multiplier outputs.
      const oc = pooling ? ic : depthwise ? ic * int(f.get("Filter"), 1) : int(f.get("Filter"), ic);
      const groups = depthwise ? ic : operation === "CONV_2D_GROUP" ? int(f.get("Group"), 1) : pooling ? ic : 1;
      config = { ...base, op: pooling ? "pool" : depthwise ? "depthwise_conv2d" : "conv2d", oh, ow: oh, oc, kh: k, kw: k, groups };
      if (depthwise) fileConfig = { ...config, oc: int(f.get("Filter"), ic) };
    }
    out.push({ line: r.line, model: r.cells[iModel] ?? "", operation, algorithm, fused, config, fileConfig: fileConfig ?? config, latencyUs });
  }
  return out;
}

/**
 * The unit of the 70/30 split: the operation, the algorithm and the
 * configuration as the file states it, tagged with the reference family the
 * first bench used (1×1 filters apart, constant-memory convolutions apart).
 * It is frozen: model changes (kernel families, shape fixes) never move a
 * configuration between the training and the test part.
 */
export function splitKey(row: PublicRow, gpu: GpuSpec): string {
  const c = row.fileConfig;
  let tag = tfliteKernelId(c, row.algorithm, gpu);
  if (tag === "tflite.conv_generic" && c.kh === 1 && c.kw === 1) tag = "tflite.conv_generic_1x1";
  return `${row.operation}|${row.algorithm}|${configKey(c, tag)}`;
}

export function toSamples(rows: readonly PublicRow[], gpu: GpuSpec): PublicSample[] {
  return rows.map((row) => {
    const kernel = tfliteKernelId(row.config, row.algorithm, gpu);
    return {
      row,
      key: splitKey(row, gpu),
      kernel,
      processor: "gpu" as const,
      work: gpuWork(tfliteLaunch(kernel, row.config, gpu), flops(row.config), { taps: row.config.kh * row.config.kw }),
      latencyMs: row.latencyUs / 1000,
    };
  });
}
