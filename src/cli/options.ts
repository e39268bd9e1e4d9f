/**
 * Option parsing shared by commands: zod schemas over commander's raw values,
 * turned into CODL errors that name the option.
 */

import { z } from "zod";
import { CompilerError } from "../diag/errors.js";
import { checkPassName, type PassName } from "../passes/pipeline.js";

const dims = z
  .string()
  .regex(/^\d+(x\d+)*$/, "dimensions must look like 1x3x224x224")
  .transform((s) => s.split("x").map(Number))
  .refine((d) => d.every((v) => Number.isSafeInteger(v) && v > 0), "dimensions must be positive integers");

/** Parses repeated `name=1x3x416x416` values (a value may also hold several, comma-separated). */
/** The command-line spelling of a schema key: poclThreads → --pocl-threads. */
export function optionFlag(key: PropertyKey | undefined): string {
  return `--${String(key ?? "?").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

export function parseInputShapes(values: readonly string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const value of values.flatMap((v) => v.split(","))) {
    const eq = value.lastIndexOf("=");
    if (eq <= 0) throw new CompilerError("CODL-E016", { value, cause: "expected name=dims" });
    const name = value.slice(0, eq);
    const parsed = dims.safeParse(value.slice(eq + 1));
    if (!parsed.success) throw new CompilerError("CODL-E016", { value, cause: parsed.error.issues[0]?.message ?? "invalid" });
    if (parsed.data.reduce((p, d) => p * d, 1) > Number.MAX_SAFE_INTEGER) throw new CompilerError("CODL-E016", { value, cause: "too many elements" });
    out[name] = parsed.data;
  }
  return out;
}

/**
 * The --input-shape values that apply to one model: unscoped ones
 * (name=dims) apply to every model, scoped ones (file.onnx:name=dims) only to
 * the model of that file name, so one sweep can fix a dynamic input of one
 * model without touching another's static input of the same name.
 */
export function inputShapesFor(values: readonly string[], file: string): string[] {
  const out: string[] = [];
  for (const value of values.flatMap((v) => v.split(","))) {
    const colon = value.indexOf(":");
    const eq = value.indexOf("=");
    if (colon > 0 && (eq < 0 || colon < eq)) {
      if (value.slice(0, colon) === file) out.push(value.slice(colon + 1));
    } else out.push(value);
  }
  return out;
}

export function parseDumpAfter(value: string | undefined): PassName | undefined {
  return value === undefined ? undefined : checkPassName(value);
}

export const commonModelOptionsSchema = z.object({
  json: z.boolean().default(false),
  inputShape: z.array(z.string()).default([]),
  dumpAfter: z.string().optional(),
});
