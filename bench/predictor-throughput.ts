/**
 * In-process prediction throughput: conv co-execution costs per second.
 *
 *   npm run -s build && node dist/bench/predictor-throughput.js [--device sd855] [--seconds 2]
 */

import { loadProfile } from "../src/device/load-profile.js";
import type { OpConfig } from "../src/kernels/op-config.js";
import { predictCoexec, RATIOS } from "../src/predict/coexec.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const profile = loadProfile(arg("device", "sd855"));
const seconds = Number(arg("seconds", "2"));
const configs: OpConfig[] = [];
for (const [h, c, k] of [
  [104, 64, 3],
  [52, 128, 3],
  [26, 256, 1],
  [13, 1024, 3],
  [56, 64, 1],
  [14, 320, 1],
  [7, 512, 3],
] as const) {
  const oc = k === 1 ? c * 2 : c;
  configs.push({ op: "conv2d", n: 1, ih: h, iw: h, ic: c, oh: h, ow: h, oc, kh: k, kw: k, sh: 1, sw: 1, groups: 1, padTop: (k - 1) / 2 });
}
let sink = 0;
let count = 0;
const start = performance.now();
const deadline = start + seconds * 1000;
while (performance.now() < deadline) {
  for (const c of configs) {
    for (const dim of ["H", "OC"] as const) {
      for (const r of RATIOS) {
        sink += predictCoexec(profile, c, dim, r).totalMs;
        count++;
      }
    }
  }
}
const elapsed = (performance.now() - start) / 1000;
console.log(`${count} conv co-execution predictions in ${elapsed.toFixed(2)} s on ${profile.id}: ${Math.round(count / elapsed).toLocaleString("en-US")} predictions/s (checksum ${sink.toFixed(3)})`);
