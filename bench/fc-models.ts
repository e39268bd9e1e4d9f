/**
 * Single-Gemm ONNX models for sweeping fully connected shapes with `codl profile`
 * (BENCHMARKS.md, issue 6, run U): K × N for K in 1024 … 16384 and N in 1024, 4096,
 * torch's Linear layout, seeded random weights.
 *
 *   npx tsc -p . && node dist/bench/fc-models.js --out /tmp/fc
 *   codl profile --models /tmp/fc/fc_1024_1024.onnx,… --only Gemm --modes gpu --device profiles/x86-nvidia.json --out H
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GraphBuilder } from "../fixtures/builder.js";
import { outDirArg } from "./files.js";

const KS = [1024, 2048, 4096, 8192, 16384];
const NS = [1024, 4096];

function main(argv: readonly string[]): void {
  const out = outDirArg(argv, "fc-models");
  for (const k of KS) {
    for (const n of NS) {
      const b = new GraphBuilder({ seed: k * 7 + n, weights: true });
      b.output(b.gemm("fc", b.input("input", [1, k]), n), "output");
      const name = `fc_${k}_${n}`;
      fs.writeFileSync(path.join(out, `${name}.onnx`), b.encode({ graphName: name, opset: 13, irVersion: 8, docString: "FC sweep for x86-nvidia" }));
    }
  }
}

main(process.argv.slice(2));
