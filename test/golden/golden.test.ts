/**
 * Golden plans and explain text: every fixture (full size) × every shipped
 * profile. `npm run test:update` (CODL_UPDATE_GOLDEN=1) rewrites them, so a
 * review diff shows what a change did to every decision. Also the acceptance
 * criteria of the planner on the paper's five models.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildFixture, FIXTURES, type FixtureName, fixtureInputShapes } from "../../fixtures/index.js";
import { jsonText } from "../../src/bundle/bundle.js";
import { compileModel } from "../../src/bundle/compile.js";
import { listProfileIds, loadProfile } from "../../src/device/load-profile.js";
import { buildExplainReport } from "../../src/explain/report.js";
import { formatExplainText } from "../../src/explain/text.js";
import type { Plan } from "../../src/plan/schema.js";

const UPDATE = process.env.CODL_UPDATE_GOLDEN === "1";
const dir = path.resolve(__dirname, "expected");
const profileDir = path.resolve("profiles");
// Measured machine profiles (host-*, x86-*) are refitted by codl profile; goldens cover the phone profiles.
const profileIds = listProfileIds(profileDir).filter((id) => !/^(host|x86)-/.test(id));
const PAPER: readonly FixtureName[] = ["yolov2", "vgg16", "posenet", "fst", "retinaface"];
const plans = new Map<string, Plan>();

function check(file: string, actual: string): void {
  const full = path.join(dir, file);
  if (UPDATE) {
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, actual);
  }
  expect(fs.existsSync(full), `${file} is missing: run npm run test:update`).toBe(true);
  expect(actual, `${file} differs: run npm run test:update and review the diff`).toBe(fs.readFileSync(full, "utf8"));
}

beforeAll(() => {
  for (const name of FIXTURES) {
    const bytes = buildFixture(name, "full").bytes;
    const inputShapes = Object.fromEntries(Object.entries(fixtureInputShapes(name, "full")).map(([k, v]) => [k, [...v]]));
    for (const id of profileIds) {
      const plan = compileModel(bytes, loadProfile(id, profileDir), { inputShapes, toolVersion: "golden", modelName: `${name}.onnx` }).plan;
      plans.set(`${name}/${id}`, plan);
    }
  }
});

describe("golden plans", () => {
  it("ships the four profiles", () => {
    expect(profileIds).toEqual(["kirin990", "sd855", "sd865", "sd888"]);
  });

  for (const name of FIXTURES) {
    it(`${name}: plan.json and explain text for every profile`, () => {
      for (const id of profileIds) {
        const plan = plans.get(`${name}/${id}`)!;
        check(`${name}/${id}.plan.json`, jsonText(plan));
        check(`${name}/${id}.explain.txt`, formatExplainText(buildExplainReport(plan)));
      }
    });
  }
});

describe("acceptance on the paper's five models", () => {
  it("predicted codl ≤ codl-greedy ≤ min(cpu, gpu) for every model and profile", () => {
    for (const name of PAPER) {
      for (const id of profileIds) {
        const b = plans.get(`${name}/${id}`)!.totals.baselines;
        expect(b.codl, `${name} on ${id}`).toBeLessThanOrEqual(b["codl-greedy"]);
        expect(b["codl-greedy"], `${name} on ${id}`).toBeLessThanOrEqual(Math.min(b.cpu, b.gpu));
      }
    }
  });

  it("both dimensions appear and chains are formed on every profile", () => {
    for (const id of profileIds) {
      let h = 0;
      let oc = 0;
      let chains = 0;
      for (const name of PAPER) {
        const t = plans.get(`${name}/${id}`)!.totals;
        h += t.splits.H;
        oc += t.splits.OC;
        chains += t.chains.count;
      }
      expect(h, id).toBeGreaterThan(0);
      expect(oc, id).toBeGreaterThan(0);
      expect(chains, id).toBeGreaterThan(0);
    }
  });

  it("codl's own search wins: it never falls back to another strategy's plan on these models", () => {
    for (const name of PAPER) for (const id of profileIds) expect(plans.get(`${name}/${id}`)!.keptFrom, `${name} on ${id}`).toBeNull();
  });
});
