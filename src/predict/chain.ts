/**
 * Chain latency: consecutive operators run with the same H split and ratio,
 * each processor working only on rows it produced itself. Sharing is paid at
 * the chain's input and output only; the price is redundant rows, found by
 * propagating the halo backwards from the last operator:
 *
 *   op3 out rows:  GPU [0, g3)            CPU [g3, H3)
 *   op2 out rows:  GPU [0, need(g3))      CPU [first(g3), H2)      ← overlap = halo
 *   op1 out rows:  GPU [0, need(need(g3))) CPU [first(first(g3)), H1)
 *
 * need(g) is the end of the input rows that output rows [0, g) read;
 * first(g) the start of the input rows that output rows [g, H) read.
 * T = sharing(in) + sharing(out) + sync + max(Σ T_cpu(part), Σ T_gpu(part)), each part of an
 * operator both sides work on slowed by the profile's contention.
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import type { OpConfig } from "../kernels/op-config.js";
import { contended, inputRows, linearBytesMs, predictCpuMs, predictGpuMs, sliceRows } from "./coexec.js";

export interface ChainCost {
  readonly cpuMs: number;
  readonly gpuMs: number;
  readonly sharingMs: number;
  readonly totalMs: number;
  /** Output rows computed by each side, first operator first: [gpuEnd, cpuStart]. */
  readonly rows: ReadonlyArray<readonly [number, number]>;
}

export function predictChain(profile: DeviceProfile, ops: readonly OpConfig[], ratio: number): ChainCost {
  const n = ops.length;
  const rows: [number, number][] = new Array(n);
  const last = ops[n - 1];
  if (last === undefined) return { cpuMs: 0, gpuMs: 0, sharingMs: 0, totalMs: 0, rows: [] };
  let gpuEnd = Math.min(last.oh, Math.max(0, Math.round(ratio * last.oh)));
  let cpuStart = gpuEnd;
  for (let i = n - 1; i >= 0; i--) {
    const c = ops[i]!;
    rows[i] = [Math.min(gpuEnd, c.oh), Math.max(0, Math.min(cpuStart, c.oh))];
    if (i > 0) {
      const prev = ops[i - 1]!;
      gpuEnd = gpuEnd > 0 ? inputRows(c, 0, gpuEnd)[1] : 0;
      cpuStart = cpuStart < c.oh ? inputRows(c, cpuStart, c.oh)[0] : prev.oh;
    }
  }
  let cpuMs = 0;
  let gpuMs = 0;
  for (let i = 0; i < n; i++) {
    const c = ops[i]!;
    const [g, s] = rows[i]!;
    const parts = contended(profile, s < c.oh ? predictCpuMs(profile, s <= 0 ? c : sliceRows(c, s, c.oh)) : 0, g > 0 ? predictGpuMs(profile, g >= c.oh ? c : sliceRows(c, 0, g)) : 0);
    cpuMs += parts.cpuMs;
    gpuMs += parts.gpuMs;
  }
  let sharingMs = 0;
  const first = ops[0]!;
  const [, cpuStart0] = rows[0]!;
  const [gpuEndL, cpuStartL] = rows[n - 1]!;
  const split = gpuEndL > 0 && cpuStartL < last.oh;
  if (split) {
    const sh = profile.sharing;
    const [lo, hi] = inputRows(first, cpuStart0, first.oh);
    const inBytes = first.n * (hi - lo) * first.iw * first.ic * 4;
    const outBytes = last.n * (last.oh - cpuStartL) * last.ow * last.oc * 4;
    sharingMs =
      linearBytesMs(sh.transform, inBytes) + linearBytesMs(sh.map, inBytes) + linearBytesMs(sh.transform, outBytes) + linearBytesMs(sh.unmap, outBytes) + sh.syncMs;
  }
  return { cpuMs, gpuMs, sharingMs, totalMs: sharingMs + Math.max(cpuMs, gpuMs), rows };
}
