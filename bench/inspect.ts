/**
 * `npm run bench:inspect [-- --runs N --models vgg16,yolov2]`: wall time and
 * peak RSS of `codl inspect` on full-size fixtures, each run a fresh process
 * (node start-up included), medians over N runs, models interleaved so that
 * machine noise hits them alike. Peak RSS is the process's own ru_maxrss.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildFixture, type FixtureName, isFixtureName } from "../fixtures/index.js";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const runs = Number(option("runs", "5"));
const models = option("models", "vgg16,yolov2").split(",").filter(isFixtureName) as FixtureName[];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const dir = path.join(root, "build", "fixtures");
fs.mkdirSync(dir, { recursive: true });
const files = new Map<FixtureName, string>();
for (const name of models) {
  const file = path.join(dir, `${name}.onnx`);
  // Fixtures are deterministic: an existing file is the same model. Building vgg16 takes 1.3 GB, so only when needed.
  if (!fs.existsSync(file)) fs.writeFileSync(file, buildFixture(name, "full").bytes);
  files.set(name, file);
}

const samples = new Map<FixtureName, { wall: number[]; rss: number[] }>(models.map((m) => [m, { wall: [], rss: [] }]));
for (let r = 0; r < runs; r++) {
  for (const name of models) {
    const file = files.get(name) as string;
    const start = performance.now();
    const child = spawnSync(process.execPath, ["--import", path.join(root, "bench", "rss-probe.js"), path.join(root, "bin", "codl.js"), "inspect", file, "--json"], {
      stdio: ["ignore", "ignore", "inherit", "pipe"],
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    const wall = performance.now() - start;
    if (child.status !== 0) throw new Error(`codl inspect ${name} exited ${child.status}`);
    const rssKiB = Number(String(child.output[3] ?? "").trim());
    samples.get(name)?.wall.push(wall);
    samples.get(name)?.rss.push(rssKiB / 1024);
  }
}

const mib = (bytes: number): number => bytes / 1024 / 1024;
console.log(`codl inspect, full-size fixtures, ${runs} runs each, medians (min–max)`);
console.log("| model | file MiB | wall s | peak RSS MiB | RSS / file |");
console.log("|---|---|---|---|---|");
for (const name of models) {
  const s = samples.get(name) as { wall: number[]; rss: number[] };
  const size = mib(fs.statSync(files.get(name) as string).size);
  const wall = `${(median(s.wall) / 1000).toFixed(2)} (${(Math.min(...s.wall) / 1000).toFixed(2)}–${(Math.max(...s.wall) / 1000).toFixed(2)})`;
  const rss = `${median(s.rss).toFixed(0)} (${Math.min(...s.rss).toFixed(0)}–${Math.max(...s.rss).toFixed(0)})`;
  console.log(`| ${name} | ${size.toFixed(1)} | ${wall} | ${rss} | ${(median(s.rss) / size).toFixed(2)} |`);
}
