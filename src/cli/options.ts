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

export function parseDumpAfter(value: string | undefined): PassName | undefined {
  return value === undefined ? undefined : checkPassName(value);
}

export const commonModelOptionsSchema = z.object({
  json: z.boolean().default(false),
  inputShape: z.array(z.string()).default([]),
  dumpAfter: z.string().optional(),
});
