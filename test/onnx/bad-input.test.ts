/**
 * Bad input: each case ends in a CODL error with a stable code and exit
 * status 2, quickly, with no stack trace. In-process through the library,
 * and end to end through the `codl` binary for exit status and output.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CompilerError, type ErrorCode } from "../../src/diag/errors.js";
import { loadModel } from "../../src/index.js";
import { buildModel, floatTensor, modelProto, encodeModel } from "../helpers/onnx-model.js";

const relu = (input: string, output: string, name?: string) => ({ op: "Relu", inputs: [input], outputs: [output], ...(name ? { name } : {}) });
const good = buildModel({ nodes: [relu("x", "y")], inputs: [{ name: "x", shape: [1, 3, 4, 4] }], outputs: [{ name: "y" }] });

function externalModel(location: string, length?: number): Uint8Array {
  const model = modelProto({
    nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }],
    inputs: [{ name: "x", shape: [4] }],
    outputs: [{ name: "y" }],
    initializers: [
      {
        name: "w",
        dataType: 1,
        dims: [4],
        dataLocation: 1,
        externalData: [{ key: "location", value: location }, ...(length === undefined ? [] : [{ key: "length", value: String(length) }])],
      },
    ],
  });
  return encodeModel(model);
}

interface BadCase {
  readonly name: string;
  readonly code: ErrorCode;
  readonly bytes: () => Uint8Array;
  readonly file?: string;
}

const cases: BadCase[] = [
  { name: "empty file", code: "CODL-E005", bytes: () => new Uint8Array() },
  { name: "random bytes", code: "CODL-E002", bytes: () => Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24) },
  { name: "truncated model", code: "CODL-E003", bytes: () => good.subarray(0, Math.floor(good.length * 0.6)) },
  { name: "a JSON file", code: "CODL-E002", bytes: () => new TextEncoder().encode('{"graph": {"node": []}}') },
  {
    name: "a cycle",
    code: "CODL-E011",
    bytes: () => buildModel({ nodes: [{ op: "Add", inputs: ["x", "b"], outputs: ["a"] }, relu("a", "b")], inputs: [{ name: "x", shape: [2] }], outputs: [{ name: "b" }] }),
  },
  {
    name: "duplicate tensor producers",
    code: "CODL-E010",
    bytes: () => buildModel({ nodes: [relu("x", "y"), { op: "Sigmoid", inputs: ["x"], outputs: ["y"] }], inputs: [{ name: "x", shape: [2] }], outputs: [{ name: "y" }] }),
  },
  {
    name: "a missing initializer",
    code: "CODL-E012",
    bytes: () => buildModel({ nodes: [{ op: "Conv", inputs: ["x", "w"], outputs: ["y"] }], inputs: [{ name: "x", shape: [1, 3, 4, 4] }], outputs: [{ name: "y" }] }),
  },
  { name: "a zero dimension", code: "CODL-E013", bytes: () => buildModel({ nodes: [relu("x", "y")], inputs: [{ name: "x", shape: [1, 0, 4] }], outputs: [{ name: "y" }] }) },
  { name: "a negative dimension", code: "CODL-E013", bytes: () => buildModel({ nodes: [relu("x", "y")], inputs: [{ name: "x", shape: [1, -3, 4] }], outputs: [{ name: "y" }] }) },
  {
    name: "dimensions whose product overflows 2^53",
    code: "CODL-E014",
    bytes: () => buildModel({ nodes: [relu("x", "y")], inputs: [{ name: "x", shape: [2 ** 30, 2 ** 30, 2 ** 10] }], outputs: [{ name: "y" }] }),
  },
  {
    name: "an initializer whose dims overflow 2^53",
    code: "CODL-E014",
    bytes: () => buildModel({ nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }], inputs: [{ name: "x", shape: [2] }], outputs: [{ name: "y" }], initializers: [{ name: "w", dataType: 1, dims: [2 ** 27, 2 ** 27], rawData: new Uint8Array(8) }] }),
  },
  {
    name: "an absurdly large tensor, refused before allocating",
    code: "CODL-E023",
    bytes: () => buildModel({ nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }], inputs: [{ name: "x", shape: [2] }], outputs: [{ name: "y" }], initializers: [{ name: "w", dataType: 1, dims: [2 ** 20, 2 ** 20], rawData: new Uint8Array(8) }] }),
  },
  { name: "an external-data path that leaves the model's folder", code: "CODL-E020", bytes: () => externalModel("../../etc/passwd") },
  { name: "an absolute external-data path", code: "CODL-E020", bytes: () => externalModel("/etc/passwd") },
  { name: "a symlink that leaves the model's folder", code: "CODL-E020", bytes: () => externalModel("escape.bin"), file: "escape.bin" },
  { name: "external data shorter than the tensor", code: "CODL-E022", bytes: () => externalModel("short.bin"), file: "short.bin" },
  {
    name: "a tensor claiming more bytes than the file has",
    code: "CODL-E022",
    bytes: () => buildModel({ nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }], inputs: [{ name: "x", shape: [4] }], outputs: [{ name: "y" }], initializers: [{ name: "w", dataType: 1, dims: [1000, 1000], rawData: new Uint8Array(16) }] }),
  },
  {
    name: "typed data shorter than its dims",
    code: "CODL-E022",
    bytes: () => buildModel({ nodes: [{ op: "Add", inputs: ["x", "w"], outputs: ["y"] }], inputs: [{ name: "x", shape: [4] }], outputs: [{ name: "y" }], initializers: [{ name: "w", dataType: 1, dims: [4], floatData: [1, 2] }] }),
  },
  { name: "a dynamic input without --input-shape", code: "CODL-E015", bytes: () => buildModel({ nodes: [relu("x", "y")], inputs: [{ name: "x", shape: ["N", 3] }], outputs: [{ name: "y" }] }) },
  { name: "an opset older than 7", code: "CODL-E042", bytes: () => buildModel({ opset: 5, nodes: [relu("x", "y")], inputs: [{ name: "x", shape: [2] }], outputs: [{ name: "y" }] }) },
  {
    name: "channels that do not match the weight",
    code: "CODL-E030",
    bytes: () => buildModel({ nodes: [{ op: "Conv", inputs: ["x", "w"], outputs: ["y"] }], inputs: [{ name: "x", shape: [1, 3, 4, 4] }], outputs: [{ name: "y" }], initializers: [floatTensor("w", [2, 5, 3, 3])] }),
  },
];

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "codl-bad-"));
  fs.mkdirSync(path.join(dir, "models"));
  fs.writeFileSync(path.join(dir, "outside.bin"), Buffer.alloc(16));
  fs.symlinkSync(path.join(dir, "outside.bin"), path.join(dir, "models", "escape.bin"));
  fs.writeFileSync(path.join(dir, "models", "short.bin"), Buffer.alloc(6));
});

const codl = path.resolve(__dirname, "../../bin/codl.js");

describe("bad input gets a CODL error, exit 2 or 3, and no stack trace", () => {
  for (const c of cases) {
    it(c.name, () => {
      const file = path.join(dir, "models", `${c.name.replace(/\W+/g, "-")}.onnx`);
      fs.writeFileSync(file, c.bytes());
      const started = performance.now();
      const run = spawnSync(process.execPath, [codl, "inspect", file], { encoding: "utf8" });
      const elapsed = performance.now() - started;
      expect(run.stderr).toContain(`error ${c.code}:`);
      expect(run.status).toBe(c.code === "CODL-E042" ? 3 : 2);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stdout).toBe("");
      // Includes starting Node; the import itself takes milliseconds.
      expect(elapsed).toBeLessThan(5000);
    });
  }

  it("--debug adds the stack trace", () => {
    const file = path.join(dir, "models", "debug.onnx");
    fs.writeFileSync(file, new Uint8Array([0x08, 0x07, 0x12]));
    const run = spawnSync(process.execPath, [codl, "inspect", file, "--debug"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/\n\s+at /);
  });

  it("an unknown option is a CODL error with exit 2", () => {
    const run = spawnSync(process.execPath, [codl, "inspect", "--frobnicate"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("CODL-E050");
  });
});

describe("library calls fail fast with the same codes", () => {
  for (const c of cases.filter((x) => x.file === undefined)) {
    it(c.name, () => {
      const started = performance.now();
      let error: unknown;
      try {
        loadModel(c.bytes());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CompilerError);
      expect((error as CompilerError).code).toBe(c.code);
      expect(performance.now() - started).toBeLessThan(1000);
    });
  }
});
