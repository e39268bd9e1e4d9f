/**
 * Text renderings: the explain table (one row per operator, then chains and
 * totals) and the summary `codl compile` prints. Plain fixed-width text,
 * byte-identical for the same plan.
 */

import type { RebalancingReport } from "../emit/variants.js";
import type { Plan } from "../plan/schema.js";
import { type ExplainReport, REASON_TEXT } from "./report.js";

const ms = (x: number): string => x.toFixed(3);
const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number): string => (s.length >= n ? s : " ".repeat(n - s.length) + s);

function alt(a: { ratio: number; deltaMs: number } | null): string {
  if (a === null) return "-";
  return `${a.ratio.toFixed(1)} ${a.deltaMs >= 0 ? "+" : ""}${a.deltaMs.toFixed(3)}`;
}

const STRATEGY_ORDER = ["codl", "codl-greedy", "mulayer", "gpu", "cpu", "ideal"] as const;

export function formatBaselines(b: Plan["totals"]["baselines"], chosen: string): string[] {
  const best1 = Math.min(b.cpu, b.gpu);
  return STRATEGY_ORDER.map((s) => {
    const v = b[s];
    const note = s === chosen ? "  (chosen)" : s === "ideal" ? "  (bound: zero sharing, not emitted)" : "";
    return `  ${pad(s, 12)} ${lpad(ms(v), 10)} ms  ${lpad((best1 / v).toFixed(2), 5)}× vs best single processor${note}`;
  });
}

export function formatChainLengths(lengths: readonly number[]): string {
  if (lengths.length === 0) return "none";
  return `${lengths.length} (lengths ${lengths.join(", ")}; ${lengths.reduce((s, n) => s + n, 0)} operators)`;
}

export function formatExplainText(r: ExplainReport): string {
  const lines: string[] = [];
  lines.push(`${r.model} on ${r.device}, strategy ${r.strategy}: ${ms(r.predictedMs)} ms predicted`);
  lines.push("");
  const nameWidth = Math.min(36, Math.max(4, ...r.rows.map((x) => x.name.length)));
  const shapeWidth = Math.max(5, ...r.rows.map((x) => x.shape.length));
  lines.push(
    [
      lpad("#", 4),
      pad("name", nameWidth),
      pad("op", 17),
      pad("shape", shapeWidth),
      pad("decision", 9),
      lpad("chain", 5),
      lpad("cpu", 9),
      lpad("gpu", 9),
      lpad("transf", 7),
      lpad("map", 7),
      lpad("sync", 6),
      lpad("total", 9),
      pad("  best H Δ", 16),
      pad("best OC Δ", 15),
      "reason",
    ].join(" "),
  );
  for (const x of r.rows) {
    const name = x.name.length > nameWidth ? `${x.name.slice(0, nameWidth - 1)}…` : x.name;
    lines.push(
      [
        lpad(String(x.id), 4),
        pad(name, nameWidth),
        pad(x.op, 17),
        pad(x.shape, shapeWidth),
        pad(x.decision, 9),
        lpad(x.chain === null ? "-" : String(x.chain), 5),
        lpad(ms(x.cpuMs), 9),
        lpad(ms(x.gpuMs), 9),
        lpad(ms(x.transformMs), 7),
        lpad(ms(x.mapMs), 7),
        lpad(ms(x.syncMs), 6),
        lpad(ms(x.totalMs), 9),
        pad(`  ${alt(x.bestH)}`, 16),
        pad(alt(x.bestOC), 15),
        x.reason,
      ].join(" "),
    );
  }
  if (r.focus !== null) {
    const x = r.rows[0];
    if (x !== undefined) {
      lines.push("");
      lines.push(`${x.name}: ${REASON_TEXT[x.reason]}`);
      if (x.gpuRange !== null) lines.push(`  GPU computes ${x.decision.startsWith("OC") ? "channels" : "rows"} [${x.gpuRange[0]}, ${x.gpuRange[1]})`);
      if (x.cpuRange !== null) lines.push(`  CPU computes ${x.decision.startsWith("OC") ? "channels" : "rows"} [${x.cpuRange[0]}, ${x.cpuRange[1]})`);
      if (x.inputHalo !== null) {
        const h = x.inputHalo;
        lines.push(`  input rows read: GPU ${h.gpu === null ? "-" : `[${h.gpu[0]}, ${h.gpu[1]})`}, CPU ${h.cpu === null ? "-" : `[${h.cpu[0]}, ${h.cpu[1]})`}`);
      }
    }
  }
  lines.push("");
  lines.push(`chains: ${r.chains.length === 0 ? "none" : ""}`);
  for (const c of r.chains) {
    lines.push(`  chain ${c.id}: ${c.operators.length} operators [${c.operators.join(", ")}], H at ${c.ratio.toFixed(2)}: ${ms(c.predictedMs)} ms, unchained ${ms(c.unchainedMs)} ms, saves ${ms(c.savedMs)} ms`);
  }
  lines.push("");
  lines.push(`splits: H ${r.splits.H}, OC ${r.splits.OC}, CPU-only ${r.splits.cpu}, GPU-only ${r.splits.gpu}`);
  const k = r.measuredTerms.contention;
  if (k !== undefined) lines.push(`contention: each split operator's CPU part priced ×${k.cpu}, GPU part ×${k.gpu} (profile.sharing.contention, measured)`);
  const cal = r.measuredTerms.calibrated;
  if (cal !== undefined) {
    const parts = cal.parts === undefined ? "their parts scaled" : `their parts scaled, and ${cal.parts} operators' parts priced from parts measured while both sides ran`;
    lines.push(`calibrated: ${cal.cpu} operators' CPU times and ${cal.gpu} GPU times priced from measurement, ${parts} (profile.calibration)`);
  }
  lines.push(...formatFp16Refused(r.fp16Refused));
  lines.push("predicted latency:");
  lines.push(...formatBaselines(r.baselines, r.strategy));
  lines.push("");
  lines.push("reasons:");
  for (const code of [...new Set(r.rows.map((x) => x.reason))].sort()) lines.push(`  ${pad(code, 21)} ${REASON_TEXT[code]}`);
  return `${lines.join("\n")}\n`;
}

/** Why a plan that asked for fp16 stores fp32 (src/plan/half-precision.ts). */
export function formatFp16Refused(r: Plan["options"]["fp16Refused"]): string[] {
  if (r === undefined) return [];
  return [
    `GPU precision: fp32, fp16 refused: output '${r.output}' is ${r.saturating} (node ${r.node}) of values up to about ±${r.inputBound.toPrecision(3)}; ` +
      `binary16 storage would err by about ${r.estimatedError.toExponential(1)} of its range, above the tolerance ${r.tolerance} (--fp16-tolerance)`,
  ];
}

export function formatCompileSummary(plan: Plan, model: string, out: string, files: readonly string[], rebalancing?: RebalancingReport): string {
  const t = plan.totals;
  const lines = [
    `compiled ${model} for ${plan.profile.id} (${plan.profile.name}), strategy ${plan.strategy}${plan.keptFrom === null ? "" : ` (kept the ${plan.keptFrom} plan: it predicts faster)`}`,
    "predicted latency:",
    ...formatBaselines(t.baselines, plan.strategy),
    `splits: H ${t.splits.H}, OC ${t.splits.OC}, CPU-only ${t.splits.cpu}, GPU-only ${t.splits.gpu} (of ${plan.operators.length} operators)`,
    `chains: ${formatChainLengths(t.chains.lengths)}`,
    ...formatFp16Refused(plan.options.fp16Refused),
    ...(rebalancing === undefined ? [] : formatRebalancing(rebalancing)),
    formatWrote(out, files),
  ];
  return `${lines.join("\n")}\n`;
}

/** --rebalance-steps: how many H chains can move their cut at run time (rebalancing.json has each chain's cuts). */
export function formatRebalancing(r: RebalancingReport): string[] {
  const total = r.chains.length + r.fixed.length;
  const cuts = r.chains.reduce((n, c) => n + c.cuts.length - 1, 0);
  return [
    `rebalancing: ${r.chains.length} of ${total} H chain${total === 1 ? "" : "s"} can move their cut at run time (${cuts} other cuts within ±${r.steps} steps of ${r.ratioStep}; rebalancing.json)`,
    ...r.fixed.map((f) => `  ${f.chain} (operators ${f.operators.join(", ")}) keeps its cut: ${f.reason}`),
  ];
}

/** One line for the bundle's files: the folder, the count, the kinds (manifest.json lists every file). */
function formatWrote(out: string, files: readonly string[]): string {
  const kernels = files.filter((f) => f.startsWith("kernels/")).length;
  const runtime = files.filter((f) => f.startsWith("src/runtime/")).length;
  const named = files.filter((f) => !f.startsWith("kernels/") && !f.startsWith("src/runtime/"));
  const parts = [...named, ...(kernels > 0 ? [`${kernels} OpenCL kernel${kernels === 1 ? "" : "s"} in kernels/`] : []), ...(runtime > 0 ? [`the runtime's ${runtime} files in src/runtime/`] : [])];
  return `wrote ${out}/: ${files.length} files (${parts.join(", ")}; manifest.json has their SHA-256)`;
}
