/**
 * ONNX models of small data-movement and element-wise operators, for sweeping
 * with `codl profile` the kernels the fixtures hold only a few configurations
 * of (BENCHMARKS.md, issue 6, ninth session): Concat, pooling, Resize
 * (nearest and linear), Pad, Softmax, Transpose/Reshape/Flatten and
 * element-wise arithmetic, over channel counts and extents that are and are
 * not powers of two. Each model applies one family of operators to its own
 * inputs, side by side; the profile harness measures every node alone.
 *
 *   npx tsc -p . && node dist/bench/small-op-models.js --out /tmp/small
 *   codl profile --models /tmp/small/small_*.onnx --ratios 0.25,0.5,0.75 --modes cpu,gpu --device … --out H
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { attr, GraphBuilder, type Value } from "../fixtures/builder.js";
import { outDirArg } from "./files.js";

type Family = (b: GraphBuilder, input: (shape: readonly number[]) => Value) => Value[];

const SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [4, 6, 6],
  [8, 10, 10],
  [12, 7, 9],
  [16, 12, 20],
  [24, 14, 14],
  [32, 8, 8],
  [48, 5, 5],
  [64, 16, 16],
];

const FAMILIES: Readonly<Record<string, Family>> = {
  concat: (b, input) => {
    const out: Value[] = [];
    const splits: ReadonlyArray<readonly number[]> = [[8, 8], [16, 16], [3, 13], [32, 64], [24, 24, 24], [5, 7, 9, 11], [64, 64], [12, 20]];
    splits.forEach((cs, i) => {
      const [, h, w] = SHAPES[i % SHAPES.length]!;
      out.push(b.concat(`concat_c${i}`, cs.map((c) => input([1, c, h, w])), 1));
    });
    out.push(b.concat("concat_h", [input([1, 8, 6, 10]), input([1, 8, 10, 10])], 2));
    out.push(b.concat("concat_w", [input([1, 8, 9, 4]), input([1, 8, 9, 12])], 3));
    return out;
  },
  pool: (b, input) =>
    SHAPES.flatMap(([c, h, w], i) => {
      const x = input([1, c, h, w]);
      const [k, s, p] = ([[2, 2, 0], [3, 2, 1], [3, 1, 1]] as const)[i % 3]!;
      const avg = b.op("AveragePool", `avgpool${i}`, [x], [attr.int("count_include_pad", 0), attr.ints("kernel_shape", [k, k]), attr.ints("pads", [p, p, p, p]), attr.ints("strides", [s, s])], [1, c, Math.floor((h + 2 * p - k) / s) + 1, Math.floor((w + 2 * p - k) / s) + 1]);
      return [b.maxPool(`maxpool${i}`, x, k, s, p), avg, b.globalAveragePool(`gap${i}`, x)];
    }),
  resize: (b, input) =>
    SHAPES.slice(0, 6).flatMap(([c, h, w], i) => {
      const x = input([1, c, h, w]);
      const scales = b.floats("Resize", [4], [1, 1, 2, 2]);
      const linear = b.op("Resize", `linear${i}`, [x, "", scales], [attr.string("coordinate_transformation_mode", i % 2 === 0 ? "half_pixel" : "asymmetric"), attr.string("mode", "linear")], [1, c, 2 * h, 2 * w]);
      return [b.resize(`nearest${i}`, x, 2, "absent"), linear];
    }),
  // Two larger shapes besides SHAPES: where XNNPACK's constant pad (row copies) may beat a generated loop.
  pad: (b, input) =>
    [...SHAPES, [16, 56, 56] as const, [32, 30, 40] as const].flatMap(([c, h, w], i) => {
      const x = input([1, c, h, w]);
      return [b.pad(`reflect${i}`, x, 1 + (i % 3), "reflect"), b.pad(`constant${i}`, x, 1 + (i % 2), "constant"), b.pad(`edge${i}`, x, 1 + ((i + 1) % 3), "edge")];
    }),
  softmax: (b, input) => [
    ...SHAPES.map(([c, h, w], i) => b.softmax(`softmax_c${i}`, input([1, c, h, w]), 1)),
    ...[
      [1, 64, 2],
      [1, 512, 2],
      [1, 1024, 4],
      [1, 200, 10],
      [1, 2000, 2],
      [1, 100, 20],
      [1, 32, 64],
      [1, 300, 3],
    ].map((s, i) => b.softmax(`softmax_l${i}`, input(s), 2)),
  ],
  layout: (b, input) =>
    SHAPES.flatMap(([c, h, w], i) => {
      const x = input([1, c, h, w]);
      return [b.transpose(`transpose${i}`, x, [0, 2, 3, 1]), b.reshape(`reshape${i}`, x, [1, c * h, w]), b.flatten(`flatten${i}`, input([1, c * 4, 1, 1]))];
    }),
  eltwise: (b, input) =>
    SHAPES.flatMap(([c, h, w], i) => {
      const x = input([1, c, h, w]);
      const y = input([1, c, h, w]);
      const ops = [b.add(`add${i}`, x, y), b.op("Mul", `mul${i}`, [x, y], [], [1, c, h, w]), b.relu(`relu${i}`, x), b.sigmoid(`sigmoid${i}`, y)];
      return i % 2 === 0 ? [...ops, b.clip(`clip${i}`, x, 0, 6)] : ops;
    }),
};

function main(argv: readonly string[]): void {
  const out = outDirArg(argv, "small-op-models");
  Object.entries(FAMILIES).forEach(([family, build], f) => {
    const b = new GraphBuilder({ seed: 1000 + f, weights: true });
    let k = 0;
    const input = (shape: readonly number[]): Value => b.input(`x${k++}`, shape);
    for (const [i, v] of build(b, input).entries()) b.output(v, `y${i}`);
    const name = `small_${family}`;
    fs.writeFileSync(path.join(out, `${name}.onnx`), b.encode({ graphName: name, opset: 13, irVersion: 8, docString: `small-operator sweep: ${family}` }));
  });
}

main(process.argv.slice(2));
