/**
 * Every fixture, tiny and full size: the shape of every tensor codl infers
 * (graph outputs and every intermediate, taken right after infer-shapes,
 * before fusion renames anything) equals what ONNX Runtime computes, and the
 * operator counts codl reads equal what the builder wrote.
 */

import { describe, expect, it } from "vitest";
import { buildFixture, describeFixture, FIXTURES, type FixtureName, type FixtureSize } from "../../fixtures/index.js";
import { loadModel } from "../../src/index.js";
import { exposeOutputs } from "../helpers/onnx-model.js";
import { runOrt } from "../helpers/ort.js";

async function check(name: FixtureName, size: FixtureSize): Promise<void> {
  const fixture = buildFixture(name, size);
  const { inputShapes } = describeFixture(name, size);
  const inferred = new Map<string, readonly (number | string)[] | undefined>();
  const model = loadModel(fixture.bytes, {
    inputShapes,
    afterPass: (pass, graph) => {
      if (pass !== "infer-shapes") return;
      for (const node of graph.nodes) for (const out of node.outputs) if (out !== "") inferred.set(out, graph.tensors.get(out)?.shape);
    },
  });
  expect(model.info.onnxOpCounts).toEqual(Object.fromEntries(Object.entries(fixture.opCounts).sort(([a], [b]) => (a < b ? -1 : 1))));
  expect(model.graph.nodes.filter((n) => n.op === "Unknown")).toEqual([]);

  const names = [...inferred.keys()];
  const reference = await runOrt(exposeOutputs(fixture.bytes, names), inputShapes);
  let compared = 0;
  for (const tensor of names) {
    const ort = reference[tensor];
    expect(ort, `ORT reports ${tensor}`).toBeDefined();
    expect(inferred.get(tensor), tensor).toEqual(ort?.dims);
    compared++;
  }
  for (const out of fixture.outputs) {
    expect(model.graph.tensors.get(out.name)?.shape, out.name).toEqual(reference[out.name]?.dims);
  }
  expect(compared).toBeGreaterThan(10);
}

describe("tiny fixtures: inferred shapes equal ONNX Runtime's, op counts equal the builder's", () => {
  for (const name of FIXTURES) it(name, () => check(name, "tiny"));
});

describe("full-size fixtures: inferred shapes equal ONNX Runtime's", () => {
  for (const name of FIXTURES) it(name, () => check(name, "full"), 300_000);
});
