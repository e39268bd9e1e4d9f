/**
 * `codl diff <bundleA> <bundleB> [--json]`: the operators whose decision
 * changed and the predicted latency delta (src/explain/diff.ts). Exit 0
 * whether or not anything changed; CI gates on the JSON.
 */

import { z } from "zod";
import { diffPlans, formatDiffText, type PlanDiff } from "../explain/diff.js";
import { readBundle } from "./explain.js";
import type { CommandResult } from "./result.js";

export const diffOptionsSchema = z.object({ json: z.boolean().default(false) });

export async function runDiff(a: string, b: string, rawOptions: unknown): Promise<CommandResult & { diff: PlanDiff }> {
  const options = diffOptionsSchema.parse(rawOptions);
  const diff = diffPlans(readBundle(a), readBundle(b));
  return { exitCode: 0, stdout: options.json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiffText(diff), diff };
}
