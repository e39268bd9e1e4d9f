/**
 * Planner benchmark (npm run bench:plan): prints markdown for
 * BENCHMARKS.md ("Planner").
 *
 *  1. Predicted latency of every strategy, the paper's five models (full size) × shipped profiles.
 *  2. Planning time per model: `planGraph` on the lowered graph — every strategy (cpu, gpu,
 *     mulayer, codl-greedy, codl), the ideal bound and the plan document — excluding model
 *     import and weight I/O. Median of 7 runs after one warm-up; each run starts with an empty
 *     prediction cache.
 *  3. Scaling on synthetic networks of 100–2,000 operators (bench/plan-synthetic.ts).
 */

import * as os from "node:os";
import * as path from "node:path";
import { buildFixture, type FixtureName, fixtureInputShapes } from "../fixtures/index.js";
import { listProfileIds, loadProfile } from "../src/device/load-profile.js";
import type { DeviceProfile } from "../src/device/profile-schema.js";
import type { Graph } from "../src/ir/graph.js";
import { loadModel } from "../src/index.js";
import { planGraph } from "../src/plan/index.js";
import { buildPlanGraph } from "../src/plan/ops.js";
import { syntheticNetwork, syntheticPlain } from "./plan-synthetic.js";

const PAPER: readonly FixtureName[] = ["yolov2", "vgg16", "posenet", "fst", "retinaface"];
const OTHERS: readonly FixtureName[] = ["resnet50", "mobilenetv2"];
const meta = { toolVersion: "bench", modelName: "m", modelSha256: "0".repeat(64), profileSha256: "0".repeat(64) };
const profileDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../profiles");

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timePlan(graph: Graph, profile: DeviceProfile, runs: number): number {
  planGraph(graph, profile, meta);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(planGraph(graph, profile, meta).millis);
  return median(times);
}

function load(name: FixtureName): Graph {
  const shapes = Object.fromEntries(Object.entries(fixtureInputShapes(name, "full")).map(([k, v]) => [k, [...v]]));
  return loadModel(buildFixture(name, "full").bytes, { inputShapes: shapes }).graph;
}

const profiles = listProfileIds(profileDir).map((id) => loadProfile(id, profileDir));
const f = (x: number): string => x.toFixed(1);
const out: string[] = [];
out.push(`machine: ${os.cpus()[0]?.model ?? "?"} (${os.cpus().length} CPUs), Node ${process.version}`);
out.push("");
out.push("### Predicted latency (ms), full-size models");
out.push("");
out.push("| model | device | cpu | gpu | mulayer | codl-greedy | codl | ideal | codl vs best single | H / OC splits | chains (lengths) |");
out.push("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|");
const graphs = new Map<FixtureName, Graph>();
for (const name of [...PAPER, ...OTHERS]) graphs.set(name, load(name));
for (const name of PAPER) {
  for (const p of profiles) {
    const plan = planGraph(graphs.get(name)!, p, meta).plan;
    const b = plan.totals.baselines;
    const t = plan.totals;
    out.push(
      `| ${name} | ${p.id} | ${f(b.cpu)} | ${f(b.gpu)} | ${f(b.mulayer)} | ${f(b["codl-greedy"])} | ${f(b.codl)} | ${f(b.ideal)} | ${(Math.min(b.cpu, b.gpu) / b.codl).toFixed(2)}× | ${t.splits.H} / ${t.splits.OC} | ${t.chains.count} (${t.chains.lengths.join(", ")}) |`,
    );
  }
}
out.push("");
out.push("### Planning time per model (ms, median of 7; all strategies + document; no import or weight I/O)");
out.push("");
out.push(`| model | operators | ${profiles.map((p) => p.id).join(" | ")} |`);
out.push(`|---|---:|${profiles.map(() => "---:").join("|")}|`);
for (const name of [...PAPER, ...OTHERS]) {
  const g = graphs.get(name)!;
  out.push(`| ${name} | ${g.nodes.length} | ${profiles.map((p) => f(timePlan(g, p, 7))).join(" | ")} |`);
}
out.push("");
out.push("### Scaling on synthetic networks (sd855; ms, median of 3)");
out.push("");
out.push("| network | operators | paths | longest path | plan time (ms) | ms / operator | codl chains |");
out.push("|---|---:|---:|---:|---:|---:|---:|");
const sd855 = profiles.find((p) => p.id === "sd855") ?? profiles[0]!;
for (const [kind, n] of [100, 250, 500, 1000, 2000].flatMap((n) => [["mixed", n], ["linear", n]] as const)) {
  const g = kind === "mixed" ? syntheticNetwork(n) : syntheticPlain(n);
  const pg = buildPlanGraph(g);
  const ms = timePlan(g, sd855, 3);
  const chains = planGraph(g, sd855, meta).plan.chains.length;
  out.push(`| ${kind} | ${g.nodes.length} | ${pg.paths.length} | ${Math.max(...pg.paths.map((p) => p.length))} | ${f(ms)} | ${(ms / g.nodes.length).toFixed(3)} | ${chains} |`);
}
process.stdout.write(`${out.join("\n")}\n`);
