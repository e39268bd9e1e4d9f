/**
 * Loading device profiles by id (from the package's profiles/ folder) or by
 * path. Validation failures name the field path (CODL-E060).
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { CompilerError } from "../diag/errors.js";
import { type DeviceProfile, deviceProfileSchema } from "./profile-schema.js";

/** Validates parsed JSON as a profile; `where` names the file in errors. */
export function parseProfile(value: unknown, where: string): DeviceProfile {
  const result = deviceProfileSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? "(root)" : formatPath(issue.path);
  throw new CompilerError("CODL-E060", { path: where, field, cause: issue?.message ?? "invalid" });
}

function formatPath(p: readonly PropertyKey[]): string {
  let out = "";
  for (const part of p) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function parseProfileText(text: string, where: string): DeviceProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CompilerError("CODL-E064", { path: where, cause: e instanceof Error ? e.message : String(e) });
  }
  return parseProfile(value, where);
}

/** The profiles/ folder of the codl package, found by walking up from this module. */
export function builtinProfilesDir(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "profiles");
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve("profiles");
}

export function listProfileIds(dir: string = builtinProfilesDir()): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

function looksLikePath(ref: string): boolean {
  return ref.endsWith(".json") || ref.includes("/") || ref.includes(path.sep);
}

/** Loads `ref`, an id such as `sd855` or a path to a profile JSON file. */
export function loadProfile(ref: string, dir: string = builtinProfilesDir()): DeviceProfile {
  const file = looksLikePath(ref) ? ref : path.join(dir, `${ref}.json`);
  if (!looksLikePath(ref) && !fs.existsSync(file)) {
    throw new CompilerError("CODL-E061", { id: ref, known: listProfileIds(dir).join(", ") || "(none)" });
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new CompilerError("CODL-E001", { path: file, cause: (e as NodeJS.ErrnoException).code ?? String(e) }, { cause: e });
  }
  return parseProfileText(text, file);
}
