/**
 * `codl devices` lists the built-in profiles; `codl devices show <id|path>`
 * shows one; `codl devices schema [--write <file>]` prints or writes the JSON
 * Schema generated from the zod profile schema (schemas/device-profile.schema.json).
 */

import { deviceProfileJsonSchemaText } from "../device/json-schema.js";
import { builtinProfilesDir, listProfileIds, loadProfile } from "../device/load-profile.js";
import type { DeviceProfile } from "../device/profile-schema.js";
import { writeFileAtomic } from "./io.js";
import type { CommandResult } from "./result.js";

export interface DeviceSummary {
  readonly id: string;
  readonly name: string;
  readonly soc: string;
  readonly provenance: Record<string, string>;
  readonly cpu: string;
  readonly gpu: string;
  readonly kernelModels: number;
}

export function summariseProfile(p: DeviceProfile): DeviceSummary {
  const v = p.provenance;
  return {
    id: p.id,
    name: p.name,
    soc: p.soc,
    provenance: { cpu: v.cpu.kind, gpu: v.gpu.kind, sharing: v.sharing.kind, cpuKernels: v.cpuKernels.kind, gpuKernels: v.gpuKernels.kind },
    cpu: `${p.cpu.name}: ${p.cpu.threads} threads @ ${p.cpu.clockGHz} GHz, ${p.cpu.simd}, XNNPACK ${p.cpu.xnnpack.mr}×${p.cpu.xnnpack.nr}`,
    gpu: `${p.gpu.name}: ${p.gpu.computeUnits} CU, wave ${p.gpu.waveSize}, max work-group ${p.gpu.maxWorkGroupSize}, ${p.gpu.globalMemCacheBytes / 1024} KiB cache, ${p.gpu.preferredStorage}${p.gpu.fp16 ? ", fp16" : ""}${p.gpu.fcSplitK === undefined ? "" : `, FC split-K ${p.gpu.fcSplitK}`}`,
    kernelModels: p.kernelModels.length,
  };
}

export async function runDevicesList(options: { json?: boolean; dir?: string } = {}): Promise<CommandResult & { devices: DeviceSummary[] }> {
  const dir = options.dir ?? builtinProfilesDir();
  const devices = listProfileIds(dir).map((id) => summariseProfile(loadProfile(id, dir)));
  if (options.json === true) return { exitCode: 0, stdout: `${JSON.stringify(devices, null, 2)}\n`, devices };
  const lines = devices.map((d) => `${d.id.padEnd(10)} ${d.name}\n  cpu: ${d.cpu}\n  gpu: ${d.gpu}\n  provenance: ${formatProvenance(d.provenance)}`);
  return { exitCode: 0, stdout: `${lines.join("\n")}\n`, devices };
}

function formatProvenance(p: Record<string, string>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

export async function runDevicesShow(ref: string, options: { json?: boolean; dir?: string } = {}): Promise<CommandResult & { profile: DeviceProfile }> {
  const profile = loadProfile(ref, options.dir ?? builtinProfilesDir());
  if (options.json === true) return { exitCode: 0, stdout: `${JSON.stringify(profile, null, 2)}\n`, profile };
  const s = summariseProfile(profile);
  const v = profile.provenance;
  const lines = [
    `${s.id}: ${s.name} (${s.soc})`,
    `cpu: ${s.cpu}`,
    `gpu: ${s.gpu}`,
    `sharing: transform ${profile.sharing.transform.interceptMs} ms + ${profile.sharing.transform.perByteMs} ms/B, map ${profile.sharing.map.interceptMs} ms + ${profile.sharing.map.perByteMs} ms/B, sync ${profile.sharing.syncMs} ms`,
    ...(profile.sharing.copy === undefined ? [] : [`  buffer copy: ${profile.sharing.copy.interceptMs} ms + ${profile.sharing.copy.perByteMs} ms/B`]),
    ...(profile.sharing.contention === undefined ? [] : [`  contention while both run: CPU ×${profile.sharing.contention.cpu}, GPU ×${profile.sharing.contention.gpu}`]),
    ...(profile.runtime === undefined ? [] : [`runtime: ${profile.runtime.perRunMs} ms a run + ${profile.runtime.perCpuOpMs} ms a CPU operator + ${profile.runtime.perGpuOpMs} ms a GPU operator`]),
    ...(profile.calibration === undefined ? [] : [`calibration: ${profile.calibration.ops.length} measured operators (${profile.calibration.source})`]),
    `provenance (${v.date}, ${v.toolVersion}, driver ${v.driver}):`,
    ...(["cpu", "gpu", "sharing", "cpuKernels", "gpuKernels"] as const).map((k) => `  ${k}: ${v[k].kind}: ${v[k].source}`),
    ...(v.notes === undefined ? [] : [`  notes: ${v.notes}`]),
    "kernel models:",
    ...profile.kernelModels.map(
      (m) => `  ${m.kernel.padEnd(28)} ${m.processor} ${String(m.features.length).padStart(2)} features${m.maxWith === undefined ? "" : ` (max with ${m.maxWith.features.length})`}, n=${m.nSamples}, held-out ±10%: ${m.heldOutAcc10 === null ? "-" : `${(100 * m.heldOutAcc10).toFixed(1)}%`}`,
    ),
  ];
  return { exitCode: 0, stdout: `${lines.join("\n")}\n`, profile };
}

/** Prints the generated JSON Schema, or writes it to `write` (e.g. schemas/device-profile.schema.json). */
export async function runDevicesSchema(options: { write?: string } = {}): Promise<CommandResult> {
  const text = deviceProfileJsonSchemaText();
  if (options.write === undefined) return { exitCode: 0, stdout: text };
  writeFileAtomic(options.write, text);
  return { exitCode: 0, stdout: `wrote ${options.write}\n` };
}
