/**
 * The bundle in memory: file paths (POSIX, relative) → bytes, plus
 * manifest.json with the SHA-256 and size of every other file. Code
 * generation will add kernels/, src/, weights.bin and CMakeLists.txt; until
 * then a bundle holds the plan. Writing it to disk atomically is the CLI's
 * job (src/cli/compile.ts); reading one back is `readBundleFiles` +
 * `parseBundle`, which checks the manifest and the plan schema.
 */

import { createHash } from "node:crypto";
import { CompilerError } from "../diag/errors.js";
import { type GpuPrecision, type Plan, planSchema } from "../plan/schema.js";

export const PLAN_FILE = "plan.json";
export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT_VERSION = 1;

export interface Bundle {
  /** Sorted by path; every file but the manifest is listed in it. */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

export interface Manifest {
  readonly formatVersion: number;
  readonly tool: { readonly name: "codl"; readonly version: string };
  /** Storage precision of GPU tensors and weights, as plan.json's options say. */
  readonly gpuPrecision: GpuPrecision;
  readonly files: ReadonlyArray<{ readonly path: string; readonly bytes: number; readonly sha256: string }>;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Stable JSON text: two-space indent and a final newline (key order is the producer's). */
export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

const encoder = new TextEncoder();

export function buildBundle(plan: Plan, toolVersion: string, extra: ReadonlyMap<string, Uint8Array> = new Map()): Bundle {
  const files = new Map<string, Uint8Array>([[PLAN_FILE, encoder.encode(jsonText(plan))], ...extra]);
  const paths = [...files.keys()].sort();
  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    tool: { name: "codl", version: toolVersion },
    gpuPrecision: plan.options.gpuPrecision,
    files: paths.map((p) => {
      const bytes = files.get(p)!;
      return { path: p, bytes: bytes.byteLength, sha256: sha256Hex(bytes) };
    }),
  };
  files.set(MANIFEST_FILE, encoder.encode(jsonText(manifest)));
  return { files: new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) };
}

/** Checks a bundle read from `where` (manifest hashes, plan schema) and returns its plan. */
export function parseBundle(where: string, read: (relative: string) => Uint8Array | undefined): { plan: Plan; manifest: Manifest } {
  const fail = (cause: string): never => {
    throw new CompilerError("CODL-E086", { path: where, cause });
  };
  const manifestBytes = read(MANIFEST_FILE) ?? fail(`${MANIFEST_FILE} is missing`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest;
  } catch (e) {
    return fail(`${MANIFEST_FILE} is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!Array.isArray(manifest.files)) fail(`${MANIFEST_FILE} has no file list`);
  for (const f of manifest.files) {
    const bytes = read(f.path) ?? fail(`${f.path} is listed in the manifest but missing`);
    if (sha256Hex(bytes) !== f.sha256) fail(`${f.path} does not match its SHA-256 in the manifest`);
  }
  const planBytes = read(PLAN_FILE) ?? fail(`${PLAN_FILE} is missing`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(planBytes));
  } catch (e) {
    return fail(`${PLAN_FILE} is not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = planSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`${PLAN_FILE} does not match the plan schema at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return { plan: parsed.data, manifest };
}
