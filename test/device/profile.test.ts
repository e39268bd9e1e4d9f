import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { deviceProfileJsonSchemaText } from "../../src/device/json-schema.js";
import { listProfileIds, loadProfile, parseProfile } from "../../src/device/load-profile.js";
import { CompilerError } from "../../src/diag/errors.js";

const SCHEMA = path.resolve("schemas/device-profile.schema.json");
const PROFILES = path.resolve("profiles");

describe("device profiles", () => {
  it("the committed JSON Schema matches the zod schema (CODL_UPDATE_GOLDEN=1 rewrites it)", () => {
    const text = deviceProfileJsonSchemaText();
    if (process.env.CODL_UPDATE_GOLDEN === "1") fs.writeFileSync(SCHEMA, text);
    expect(fs.readFileSync(SCHEMA, "utf8")).toBe(text);
  });

  it("loads every shipped profile by id, with honest provenance", () => {
    expect(listProfileIds(PROFILES)).toEqual(["host-pocl", "kirin990", "sd855", "sd865", "sd888", "x86-balanced", "x86-nvidia"]);
    for (const id of ["host-pocl", "x86-balanced", "x86-nvidia"]) expect(loadProfile(id, PROFILES).provenance.gpuKernels.kind).toBe("measured");
    const ids = ["kirin990", "sd855", "sd865", "sd888"];
    for (const id of ids) {
      const p = loadProfile(id, PROFILES);
      expect(p.id).toBe(id);
      expect(p.provenance.cpuKernels.kind).toBe("spec-derived");
      expect(p.kernelModels.some((m) => m.kernel === "gpu.conv2d_1x1")).toBe(true);
    }
    expect(loadProfile("sd855", PROFILES).provenance.gpuKernels.kind).toBe("fitted-to-public-data");
  });

  it("loads by path", () => {
    expect(loadProfile(path.join(PROFILES, "sd888.json")).gpu.computeUnits).toBe(3);
  });

  it("names the field path of a missing or ill-typed field", () => {
    const good = JSON.parse(fs.readFileSync(path.join(PROFILES, "sd855.json"), "utf8")) as Record<string, unknown>;
    const bad = { ...good, gpu: { ...(good.gpu as object), computeUnits: "two" } };
    try {
      parseProfile(bad, "bad.json");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CompilerError);
      const err = e as CompilerError;
      expect(err.code).toBe("CODL-E060");
      expect(err.exitCode).toBe(2);
      expect(err.details.field).toBe("gpu.computeUnits");
      expect(err.message).toContain("bad.json is invalid at gpu.computeUnits");
    }
    const models = good.kernelModels as Record<string, unknown>[];
    const noFeatures = { ...good, kernelModels: [{ ...models[0], features: undefined }] };
    expect(() => parseProfile(noFeatures, "x.json")).toThrow(/kernelModels\[0\]\.features/);
    // gpu.fcSplitK: a power of two (the local-memory sum halves it), positive.
    for (const k of [3, 0, 2.5]) expect(() => parseProfile({ ...good, gpu: { ...(good.gpu as object), fcSplitK: k } }, "k.json")).toThrow(/invalid at gpu\.fcSplitK/);
    expect(parseProfile({ ...good, gpu: { ...(good.gpu as object), fcSplitK: 64 } }, "k.json").gpu.fcSplitK).toBe(64);
  });

  it("reports unknown ids with the known ones", () => {
    expect(() => loadProfile("sd999", PROFILES)).toThrow(/unknown device profile 'sd999'/);
  });
});
