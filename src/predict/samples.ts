/**
 * The samples CSV of DESIGN.md §3 (`codl profile` output, `codl train`
 * input): one measurement per row. Bad input is reported with its line and
 * column (CODL-E062).
 */

import { CompilerError } from "../diag/errors.js";
import { ACTIVATIONS, type Activation, OP_KINDS, OP_MODES, type OpConfig, type OpKind } from "../kernels/op-config.js";
import { parseCsv } from "./csv.js";

export interface Sample {
  readonly line: number;
  readonly processor: "cpu" | "gpu";
  readonly kernel: string;
  readonly config: OpConfig;
  readonly latencyMs: number;
  /** Spread over the measured rounds (the optional `stdev_ms` column); undefined when absent. */
  readonly stdevMs?: number;
}

const INT_COLUMNS = ["n", "ih", "iw", "ic", "oh", "ow", "oc", "kh", "kw", "sh", "sw", "groups"] as const;
export const REQUIRED_COLUMNS = ["processor", "op", "kernel", ...INT_COLUMNS, "latency_ms"] as const;

export function parseSamplesCsv(text: string, path: string): Sample[] {
  const rows = parseCsv(text);
  const header = rows[0];
  if (header === undefined) throw new CompilerError("CODL-E062", { path, line: 1, column: "(header)", cause: "the file is empty" });
  const index = new Map<string, number>();
  header.cells.forEach((name, i) => {
    index.set(name.trim(), i);
  });
  for (const col of REQUIRED_COLUMNS) {
    if (!index.has(col)) throw new CompilerError("CODL-E062", { path, line: header.line, column: col, cause: "required column is missing" });
  }
  const samples: Sample[] = [];
  for (const row of rows.slice(1)) {
    const cell = (col: string): string => {
      const v = row.cells[index.get(col) ?? -1];
      if (v === undefined) throw new CompilerError("CODL-E062", { path, line: row.line, column: col, cause: "the row is too short" });
      return v.trim();
    };
    const processor = cell("processor");
    if (processor !== "cpu" && processor !== "gpu") {
      throw new CompilerError("CODL-E062", { path, line: row.line, column: "processor", cause: `expected cpu or gpu, got '${processor}'` });
    }
    const op = cell("op");
    if (!(OP_KINDS as readonly string[]).includes(op)) {
      throw new CompilerError("CODL-E062", { path, line: row.line, column: "op", cause: `unknown op '${op}'` });
    }
    const kernel = cell("kernel");
    if (kernel === "") throw new CompilerError("CODL-E062", { path, line: row.line, column: "kernel", cause: "empty kernel id" });
    const ints: Record<string, number> = {};
    for (const col of INT_COLUMNS) {
      const text = cell(col);
      const v = Number(text);
      if (text === "" || !Number.isInteger(v) || v <= 0) {
        throw new CompilerError("CODL-E062", { path, line: row.line, column: col, cause: `expected a positive integer, got '${text}'` });
      }
      ints[col] = v;
    }
    const latText = cell("latency_ms");
    const latencyMs = Number(latText);
    if (latText === "" || !Number.isFinite(latencyMs)) {
      throw new CompilerError("CODL-E062", { path, line: row.line, column: "latency_ms", cause: `expected a number, got '${latText}'` });
    }
    if (latencyMs <= 0) throw new CompilerError("CODL-E062", { path, line: row.line, column: "latency_ms", cause: `latency must be positive, got ${latText}` });
    const activation = index.has("activation") ? cell("activation") : "";
    if (activation !== "" && !(ACTIVATIONS as readonly string[]).includes(activation)) {
      throw new CompilerError("CODL-E062", { path, line: row.line, column: "activation", cause: `expected one of ${ACTIVATIONS.join(", ")}, got '${activation}'` });
    }
    const optionalInt = (col: string, min: number): number | undefined => {
      const text = index.has(col) ? cell(col) : "";
      if (text === "") return undefined;
      const v = Number(text);
      if (!Number.isInteger(v) || v < min) throw new CompilerError("CODL-E062", { path, line: row.line, column: col, cause: `expected an integer of at least ${min}, got '${text}'` });
      return v;
    };
    const padTop = optionalInt("pad_top", 0);
    const dilation = optionalInt("dilation", 1);
    const onnxOp = index.has("onnx_op") ? cell("onnx_op") : "";
    const mode = index.has("mode") ? cell("mode") : "";
    if (mode !== "" && !(OP_MODES as readonly string[]).includes(mode)) {
      throw new CompilerError("CODL-E062", { path, line: row.line, column: "mode", cause: `expected one of ${OP_MODES.join(", ")} (the kernel's variant) or nothing, got '${mode}'` });
    }
    const config: OpConfig = {
      op: op as OpKind,
      n: ints.n!,
      ih: ints.ih!,
      iw: ints.iw!,
      ic: ints.ic!,
      oh: ints.oh!,
      ow: ints.ow!,
      oc: ints.oc!,
      kh: ints.kh!,
      kw: ints.kw!,
      sh: ints.sh!,
      sw: ints.sw!,
      groups: ints.groups!,
      ...(activation === "" ? {} : { activation: activation as Activation }),
      ...(padTop === undefined ? {} : { padTop }),
      ...(dilation === undefined ? {} : { dilation }),
      ...(onnxOp === "" ? {} : { onnxOp }),
      ...(mode === "" ? {} : { mode }),
    };
    const sdText = index.has("stdev_ms") ? cell("stdev_ms") : "";
    const stdevMs = sdText === "" ? Number.NaN : Number(sdText);
    if (sdText !== "" && !(stdevMs >= 0)) throw new CompilerError("CODL-E062", { path, line: row.line, column: "stdev_ms", cause: `expected a non-negative number, got '${sdText}'` });
    samples.push({ line: row.line, processor, kernel, config, latencyMs, ...(sdText === "" ? {} : { stdevMs }) });
  }
  return samples;
}

/** Writes samples back as CSV (the bench uses it to hand public data to `codl train`). */
export function formatSamplesCsv(samples: readonly Sample[]): string {
  const lines = [REQUIRED_COLUMNS.join(",")];
  for (const s of samples) {
    const c = s.config;
    lines.push([s.processor, c.op, s.kernel, c.n, c.ih, c.iw, c.ic, c.oh, c.ow, c.oc, c.kh, c.kw, c.sh, c.sw, c.groups, s.latencyMs].join(","));
  }
  return `${lines.join("\n")}\n`;
}
