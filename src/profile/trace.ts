/**
 * The runtime's trace JSON (`codl_run --trace`, codegen/runtime/runtime.cc
 * trace_json) and the profile runner's rounds file (codegen/profile), read
 * with zod; plus the statistics every consumer takes of them. Shared by
 * `codl profile --collect`, `codl explain --trace` and `codl train --from-trace`.
 */

import { z } from "zod";

const msOrNull = z.number().nullable();

export const traceOpSchema = z.object({
  id: z.string(),
  kind: z.string(),
  chain: z.string(),
  placement: z.enum(["cpu", "gpu", "split"]),
  dim: z.enum(["H", "OC", "none"]),
  gpu_out: z.tuple([z.number(), z.number()]),
  cpu_out: z.tuple([z.number(), z.number()]),
  cpu_ms: msOrNull,
  gpu_ms: msOrNull,
});

export const traceChainSchema = z.object({
  id: z.string(),
  ops: z.array(z.string()),
  dim: z.string(),
  ratio: msOrNull,
  transform_in_ms: msOrNull,
  map_ms: msOrNull,
  transform_out_ms: msOrNull,
  wall_ms: msOrNull,
  /** Bundles with rebalancing variants: the cut the plan compiled (`ratio` is the cut the last traced run used), and how many cuts the chain has. */
  compiled_ratio: z.number().optional(),
  variants: z.number().optional(),
  /** What the chain's transforms move (traces since 2026-11-27c; older ones lack it). */
  transfers: z.array(z.object({ when: z.enum(["in", "out"]), storage: z.enum(["image", "buffer"]), bytes: z.number() })).optional(),
});

export const traceSchema = z.object({
  format: z.literal("codl-trace"),
  version: z.literal(1),
  model: z.string(),
  device: z.string(),
  threads: z.number(),
  iterations: z.number(),
  latency_ms: z.object({ median: msOrNull, all: z.array(msOrNull) }),
  ops: z.array(traceOpSchema),
  chains: z.array(traceChainSchema),
});
export type Trace = z.infer<typeof traceSchema>;
export type TraceOp = z.infer<typeof traceOpSchema>;

export const roundsSchema = z.object({
  format: z.literal("codl-profile-rounds"),
  version: z.literal(1),
  device: z.string(),
  warmup: z.number(),
  threads: z.number(),
  wall_ms: z.array(z.number()),
  rounds: z.array(traceSchema).min(1),
});
export type Rounds = z.infer<typeof roundsSchema>;

/** Parses a trace; `where` names the file in the error text. Throws a plain Error with the first issue. */
export function parseTrace(value: unknown, where: string): Trace {
  const r = traceSchema.safeParse(value);
  if (!r.success) throw new Error(`${where}: not a codl trace: ${issueText(r.error)}`);
  return r.data;
}

export function parseRounds(value: unknown, where: string): Rounds {
  const r = roundsSchema.safeParse(value);
  if (!r.success) throw new Error(`${where}: not a codl profile rounds file: ${issueText(r.error)}`);
  return r.data;
}

function issueText(e: z.ZodError): string {
  const i = e.issues[0];
  return i === undefined ? "invalid" : `${i.path.join(".") || "(root)"}: ${i.message}`;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Sample standard deviation (0 for one value). */
export function stdev(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
}

/** Sum of the trace's chain field over every chain (null counts as 0). */
export function chainSum(t: Trace, field: "transform_in_ms" | "map_ms" | "transform_out_ms" | "wall_ms"): number {
  return t.chains.reduce((s, c) => s + (c[field] ?? 0), 0);
}
