/**
 * File access for commands: reading a model with its external data (kept
 * inside the model's folder, symlinks included) and writing outputs.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { CompilerError } from "../diag/errors.js";
import type { ExternalDataReader } from "../onnx/values.js";

export function readModelFile(file: string): Uint8Array {
  try {
    const stat = fs.statSync(file);
    if (stat.isDirectory()) throw new CompilerError("CODL-E001", { path: file, cause: "it is a directory" });
    return fs.readFileSync(file);
  } catch (e) {
    if (e instanceof CompilerError) throw e;
    const cause = (e as NodeJS.ErrnoException).code ?? String(e);
    throw new CompilerError("CODL-E001", { path: file, cause }, { cause: e });
  }
}

/** Reads external data relative to the model, refusing anything that resolves outside its folder. */
export function externalDataReader(modelPath: string): ExternalDataReader {
  const folder = fs.realpathSync(path.dirname(path.resolve(modelPath)));
  return (location, offset, length) => {
    const target = path.resolve(folder, location);
    let real: string;
    try {
      real = fs.realpathSync(target);
    } catch (e) {
      throw new CompilerError("CODL-E021", { tensor: "?", location, cause: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
    if (real !== folder && !real.startsWith(folder + path.sep)) throw new CompilerError("CODL-E020", { tensor: "?", location });
    const fd = fs.openSync(real, "r");
    try {
      const size = fs.fstatSync(fd).size;
      const want = length ?? size - offset;
      if (offset + want > size) throw new CompilerError("CODL-E022", { tensor: location, claimed: offset + want, available: size });
      const buffer = Buffer.allocUnsafe(want);
      fs.readSync(fd, buffer, 0, want, offset);
      return buffer;
    } finally {
      fs.closeSync(fd);
    }
  };
}

/** The package version, found by walking up from this file to codl's package.json. */
export function packageVersion(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "codl") return pkg.version ?? "0.0.0";
    }
    dir = path.dirname(dir);
  }
  return "0.0.0";
}

/**
 * Writes one output file whole or not at all: into a temporary sibling, then
 * renamed over `file`. A failure is CODL-E094 and leaves no temporary behind.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const target = path.resolve(file);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new CompilerError("CODL-E094", { path: file, cause: (e as NodeJS.ErrnoException).code ?? String(e) }, { cause: e });
  }
}
