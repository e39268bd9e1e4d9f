import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runDevicesList, runDevicesShow } from "../../src/cli/devices.js";
import { CompilerError } from "../../src/diag/errors.js";

const PROFILES = path.resolve("profiles");

describe("codl devices", () => {
  it("lists every shipped profile with provenance and a CPU/GPU summary (exit 0)", async () => {
    const r = await runDevicesList({ dir: PROFILES });
    expect(r.exitCode).toBe(0);
    expect(r.devices.map((d) => d.id)).toEqual(["host-pocl", "kirin990", "sd855", "sd865", "sd888", "x86-balanced", "x86-nvidia"]);
    for (const id of ["kirin990", "sd855", "sd865", "sd888"]) expect(r.stdout).toContain(id);
    expect(r.stdout).toContain("provenance: ");
    expect(r.stdout).toMatch(/gpu: Adreno 640: 2 CU, wave 64/);
    expect(r.devices.find((d) => d.id === "sd855")?.provenance.gpuKernels).toBe("fitted-to-public-data");
  });

  it("--json prints the same summaries as JSON", async () => {
    const r = await runDevicesList({ dir: PROFILES, json: true });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(r.devices);
  });

  it("show prints one profile: provenance of every part and its kernel models", async () => {
    const r = await runDevicesShow("kirin990", { dir: PROFILES });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split("\n")[0]).toBe("kirin990: Kirin 990 (HiSilicon Kirin 990)");
    for (const part of ["cpu", "gpu", "sharing", "cpuKernels", "gpuKernels"]) expect(r.stdout).toContain(`  ${part}: `);
    expect(r.stdout).toContain("tflite.conv_generic_1x1");
    expect(r.stdout).toMatch(/held-out ±10%: \d+\.\d%/);
    const json = await runDevicesShow("sd855", { dir: PROFILES, json: true });
    expect(JSON.parse(json.stdout).id).toBe("sd855");
  });

  it("show prints the terms measured from whole runs where a profile has them", async () => {
    const r = await runDevicesShow("x86-balanced", { dir: PROFILES });
    expect(r.stdout).toMatch(/^ {2}buffer copy: [\d.]+ ms \+ [\d.e-]+ ms\/B$/m);
    expect(r.stdout).toMatch(/^ {2}contention while both run: CPU ×[\d.]+, GPU ×[\d.]+$/m);
    expect(r.stdout).toMatch(/^runtime: /m);
    expect(r.stdout).toMatch(/^calibration: \d+ measured operators/m);
    const phone = await runDevicesShow("sd855", { dir: PROFILES });
    expect(phone.stdout).not.toMatch(/contention|calibration:|buffer copy/);
  });

  it("show accepts a path", async () => {
    const r = await runDevicesShow(path.join(PROFILES, "sd888.json"));
    expect(r.profile.id).toBe("sd888");
  });

  it("an unknown id is CODL-E061 (exit 2) listing the known ones", async () => {
    const e = await runDevicesShow("pixel9000", { dir: PROFILES }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CompilerError);
    expect((e as CompilerError).code).toBe("CODL-E061");
    expect((e as CompilerError).exitCode).toBe(2);
    expect((e as CompilerError).hint).toContain("sd855");
  });
});
