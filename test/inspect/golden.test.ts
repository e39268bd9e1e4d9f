/**
 * Golden inspect reports and lowered IR dumps for every tiny fixture. A
 * change to import, folding or fusion shows up here as a reviewable diff;
 * `npm run test:update` (CODL_UPDATE_GOLDEN=1) rewrites the files.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildFixture, describeFixture, FIXTURES } from "../../fixtures/index.js";
import { inspectModel, loadModel, printGraph } from "../../src/index.js";
import { formatInspectText } from "../../src/inspect/report.js";

const dir = path.join(__dirname, "golden");
const update = process.env.CODL_UPDATE_GOLDEN === "1";

function golden(file: string, actual: string): void {
  const target = path.join(dir, file);
  if (update || !fs.existsSync(target)) {
    if (!update && process.env.CI) throw new Error(`missing golden file ${file}: run npm run test:update and commit it`);
    fs.writeFileSync(target, actual);
  }
  expect(actual).toBe(fs.readFileSync(target, "utf8"));
}

describe("golden inspect reports (tiny fixtures)", () => {
  for (const name of FIXTURES) {
    it(name, () => {
      const { bytes } = buildFixture(name, "tiny");
      const { inputShapes } = describeFixture(name, "tiny");
      golden(`${name}.inspect.txt`, formatInspectText(inspectModel(bytes, { inputShapes })));
      golden(`${name}.ir.txt`, printGraph(loadModel(bytes, { inputShapes }).graph));
    });
  }
});
