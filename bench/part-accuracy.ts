/**
 * How well a profile prices the parts of split operators, with and without its measured parts
 * (profile.calibration.parts), against co-execution traces it was not calibrated on:
 *
 *   npx tsc -p . && node dist/bench/part-accuracy.js --profile P.json --fixtures DIR TRACE.json…
 *
 * Each trace is named <model>_<strategy>.json (bench/e2e.ts writes them so) and is read with
 * DIR/<model>.onnx. Every timed part of every split operator (over MIN_PART_MS, as the contention
 * fit) is priced as the
 * planner prices it (plan/cost.ts partMs, times sharing.contention) and compared with its
 * measurement. "Without": the same profile with calibration.parts removed, so each part is the
 * measured whole operator scaled by the kernel model. BENCHMARKS.md (issue 7, twelfth session)
 * has the numbers of closed-loop runs 4–6.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { loadProfile } from "../src/device/load-profile.js";
import type { DeviceProfile } from "../src/device/profile-schema.js";
import { loadModel } from "../src/index.js";
import type { Graph } from "../src/ir/graph.js";
import { CostModel } from "../src/plan/cost.js";
import { buildPlanGraph, type PlanGraph } from "../src/plan/ops.js";
import { MIN_PART_MS } from "../src/predict/coexec-fit.js";
import { median, parseTrace, type Trace } from "../src/profile/trace.js";
import { runScript } from "./files.js";

export interface PartAccuracy {
  readonly n: number;
  /** Share of parts priced within ±10 % and ±20 % of their measurement. */
  readonly within10: number;
  readonly within20: number;
  /** The same ±10 % share, each part weighted by its measured time. */
  readonly within10Weighted: number;
  readonly medianAbsErr: number;
}

function summary(rows: ReadonlyArray<{ readonly rel: number; readonly ms: number }>): PartAccuracy {
  const share = (ok: (r: { rel: number }) => boolean) => rows.filter(ok).length / rows.length;
  const total = rows.reduce((s, r) => s + r.ms, 0);
  return {
    n: rows.length,
    within10: share((r) => Math.abs(r.rel) <= 0.1),
    within20: share((r) => Math.abs(r.rel) <= 0.2),
    within10Weighted: rows.filter((r) => Math.abs(r.rel) <= 0.1).reduce((s, r) => s + r.ms, 0) / total,
    medianAbsErr: median(rows.map((r) => Math.abs(r.rel))),
  };
}

/** Predicted against measured for every timed split part of the traces, with and without the profile's measured parts. */
export function partAccuracy(profile: DeviceProfile, traces: ReadonlyArray<{ readonly trace: Trace; readonly graph: Graph }>): { withParts: PartAccuracy; withoutParts: PartAccuracy } {
  // Storage does not change a part's price (only transfers and the OC slice unit): the profile's own.
  const storage = { gpuStorage: profile.gpu.imageSupport && profile.gpu.preferredStorage === "image" ? "image" : "buffer" } as const;
  const stripped: DeviceProfile = profile.calibration === undefined ? profile : { ...profile, calibration: { source: profile.calibration.source, ops: profile.calibration.ops } };
  const models = { withParts: new CostModel(profile, storage), withoutParts: new CostModel(stripped, storage) };
  const rows = { withParts: [] as Array<{ rel: number; ms: number }>, withoutParts: [] as Array<{ rel: number; ms: number }> };
  const graphs = new Map<Graph, PlanGraph>();
  for (const { trace, graph } of traces) {
    let pg = graphs.get(graph);
    if (pg === undefined) {
      pg = buildPlanGraph(graph);
      graphs.set(graph, pg);
    }
    for (const o of trace.ops) {
      if (o.placement !== "split" || (o.dim !== "H" && o.dim !== "OC")) continue;
      const op = pg.ops[Number(o.id)];
      if (op === undefined) throw new Error(`trace ${trace.model}: operator ${o.id} is not in the model`);
      for (const side of ["cpu", "gpu"] as const) {
        const ms = side === "cpu" ? o.cpu_ms : o.gpu_ms;
        const [lo, hi] = side === "cpu" ? o.cpu_out : o.gpu_out;
        if (ms === null || !(ms > MIN_PART_MS) || hi <= lo) continue;
        const k = profile.sharing.contention?.[side] ?? 1;
        for (const which of ["withParts", "withoutParts"] as const) {
          const cm = models[which];
          const part = o.dim === "H" ? cm.sliceRows(op, lo, hi) : cm.sliceChannels(op, hi - lo);
          rows[which].push({ rel: (cm.partMs(op, side, part) * k) / ms - 1, ms });
        }
      }
    }
  }
  if (rows.withParts.length === 0) throw new Error("the traces have no timed split parts");
  return { withParts: summary(rows.withParts), withoutParts: summary(rows.withoutParts) };
}

function main(argv: readonly string[]): void {
  const opt = (name: string): string | undefined => {
    const at = argv.indexOf(`--${name}`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const profilePath = opt("profile");
  const fixtures = opt("fixtures");
  const files = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--profile" && argv[i - 1] !== "--fixtures");
  if (profilePath === undefined || fixtures === undefined || files.length === 0) {
    process.stderr.write("usage: node dist/bench/part-accuracy.js --profile P.json --fixtures DIR TRACE.json…\n");
    process.exit(2);
  }
  const graphs = new Map<string, Graph>();
  const traces = files.map((file) => {
    const model = path.basename(file, ".json").split("_")[0]!;
    let graph = graphs.get(model);
    if (graph === undefined) {
      const onnx = path.join(fixtures, `${model}.onnx`);
      graph = loadModel(fs.readFileSync(onnx), { path: onnx }).graph;
      graphs.set(model, graph);
    }
    return { trace: parseTrace(JSON.parse(fs.readFileSync(file, "utf8")), file), graph };
  });
  const r = partAccuracy(loadProfile(profilePath), traces);
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  for (const [label, a] of [["without measured parts", r.withoutParts], ["with measured parts", r.withParts]] as const) {
    process.stdout.write(`${label.padEnd(23)} ${a.n} parts: within ±10% ${pct(a.within10)} (time-weighted ${pct(a.within10Weighted)}), ±20% ${pct(a.within20)}, median |error| ${(100 * a.medianAbsErr).toFixed(1)}%\n`);
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  runScript("part-accuracy", () => main(process.argv.slice(2)));
}
