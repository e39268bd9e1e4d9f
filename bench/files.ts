/** Small file helpers shared by the bench scripts. */

import * as fs from "node:fs";
import * as path from "node:path";

/** The folder a model-writing script was given (`--out DIR`), created; without one, usage and exit 2. */
export function outDirArg(argv: readonly string[], script: string): string {
  const at = argv.indexOf("--out");
  const out = at >= 0 ? argv[at + 1] : undefined;
  if (out === undefined) {
    process.stderr.write(`usage: node dist/bench/${script}.js --out DIR\n`);
    process.exit(2);
  }
  fs.mkdirSync(out, { recursive: true });
  return out;
}

/** Writes the file unless it already holds these bytes (so rebuilds stay incremental). */
export function writeIfChanged(file: string, bytes: Uint8Array | string): void {
  const next = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fs.existsSync(file) && fs.readFileSync(file).equals(next)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, next);
}

/** A float32 array as a .npy file (format 1.0, C order). */
export function npyBytes(shape: readonly number[], data: Float32Array): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += " ";
  header += "\n";
  const head = Buffer.alloc(10);
  head.write("\x93NUMPY", 0, "latin1");
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  return Buffer.concat([head, Buffer.from(header, "latin1"), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** Runs a bench script's main: a failure (a missing file, a bad CSV) is one line on stderr and exit 2, no stack trace. */
export function runScript(script: string, main: () => void): void {
  try {
    main();
  } catch (e) {
    process.stderr.write(`${script}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}
