/**
 * The runtime sources (codegen/runtime/ of the codl package) that every
 * bundle carries verbatim in src/runtime/. Read once per process.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { CompilerError } from "../diag/errors.js";

let cached: ReadonlyMap<string, Uint8Array> | undefined;

/** codegen/runtime of the codl package, found by walking up from this module. */
export function runtimeDir(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "codegen", "runtime");
    if (fs.existsSync(path.join(dir, "package.json")) && fs.existsSync(path.join(candidate, "model_desc.h"))) return candidate;
    dir = path.dirname(dir);
  }
  return path.resolve("codegen/runtime");
}

/** Every file under codegen/runtime, by POSIX path relative to it, in sorted order. */
export function readRuntimeSources(dir: string = runtimeDir()): ReadonlyMap<string, Uint8Array> {
  if (cached !== undefined && dir === runtimeDir()) return cached;
  if (!fs.existsSync(path.join(dir, "model_desc.h"))) throw new CompilerError("CODL-E092", { path: dir });
  const files = new Map<string, Uint8Array>();
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) files.set(r, new Uint8Array(fs.readFileSync(path.join(dir, r))));
    }
  };
  walk("");
  cached = files;
  return files;
}
