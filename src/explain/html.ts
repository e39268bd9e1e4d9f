/**
 * `codl explain --format html`: one self-contained file, no network. The
 * timeline is laid out here (`layoutTimeline`, deterministic and testable)
 * and embedded as JSON; a small inline script draws it as SVG — a GPU lane,
 * a CPU lane and a sharing lane, chains coloured — and the operator table.
 * A Content-Security-Policy forbids every fetch; names from the model are
 * inserted with textContent only.
 *
 * Segments run one after another (as the predictor assumes). Inside a chain
 * each lane runs its operators back to back after the input slab is shared;
 * the output slab and the sync close the chain.
 */

import type { Plan } from "../plan/schema.js";
import type { ExplainReport } from "./report.js";

export interface TimelineItem {
  /** Operator id, or null for a sharing block. */
  readonly op: number | null;
  readonly lane: "gpu" | "cpu" | "sharing";
  readonly start: number;
  readonly end: number;
  readonly chain: number | null;
  readonly label: string;
}

export interface Timeline {
  readonly totalMs: number;
  readonly items: readonly TimelineItem[];
}

export function layoutTimeline(plan: Plan): Timeline {
  const items: TimelineItem[] = [];
  const done = new Set<number>();
  let t = 0;
  const ops = plan.operators;
  for (const o of ops) {
    if (done.has(o.id)) continue;
    const chain = o.placement.chain === null ? undefined : plan.chains[o.placement.chain];
    if (chain !== undefined) {
      const first = ops[chain.operators[0]!]!;
      const inMs = first.predicted.transformMs + first.predicted.mapMs;
      if (inMs > 0) items.push({ op: null, lane: "sharing", start: t, end: t + inMs, chain: chain.id, label: `chain ${chain.id}: share the CPU's input slab` });
      let c = t + inMs;
      let g = t + inMs;
      for (const id of chain.operators) {
        const x = ops[id]!;
        done.add(id);
        if (x.predicted.gpuMs > 0 || x.placement.gpu !== null) {
          items.push({ op: id, lane: "gpu", start: g, end: g + x.predicted.gpuMs, chain: chain.id, label: `${x.name} (${x.op}) GPU rows ${fmtRange(x.placement.gpu)}` });
          g += x.predicted.gpuMs;
        }
        if (x.predicted.cpuMs > 0 || x.placement.cpu !== null) {
          items.push({ op: id, lane: "cpu", start: c, end: c + x.predicted.cpuMs, chain: chain.id, label: `${x.name} (${x.op}) CPU rows ${fmtRange(x.placement.cpu)}` });
          c += x.predicted.cpuMs;
        }
      }
      const end = t + chain.predictedMs;
      const computeEnd = Math.max(c, g);
      if (end > computeEnd) items.push({ op: null, lane: "sharing", start: computeEnd, end, chain: chain.id, label: `chain ${chain.id}: output slab back and sync` });
      t = Math.max(end, computeEnd);
      continue;
    }
    done.add(o.id);
    const p = o.predicted;
    const split = o.placement.dim !== "none";
    const before = p.transformMs + p.mapMs + (split ? 0 : p.syncMs);
    if (before > 0) items.push({ op: null, lane: "sharing", start: t, end: t + before, chain: null, label: `${o.name}: ${split ? "share data" : "move the input"}` });
    const s = t + before;
    const what = o.placement.dim === "OC" ? "channels" : "rows";
    if (o.placement.processor !== "cpu") items.push({ op: o.id, lane: "gpu", start: s, end: s + p.gpuMs, chain: null, label: `${o.name} (${o.op}) GPU ${what} ${fmtRange(o.placement.gpu)}` });
    if (o.placement.processor !== "gpu") items.push({ op: o.id, lane: "cpu", start: s, end: s + p.cpuMs, chain: null, label: `${o.name} (${o.op}) CPU ${what} ${fmtRange(o.placement.cpu)}` });
    const computeEnd = s + Math.max(p.cpuMs, p.gpuMs);
    if (split && p.syncMs > 0) items.push({ op: null, lane: "sharing", start: computeEnd, end: computeEnd + p.syncMs, chain: null, label: `${o.name}: sync` });
    t = computeEnd + (split ? p.syncMs : 0);
  }
  return { totalMs: t, items: items.map((i) => ({ ...i, start: round(i.start), end: round(i.end) })) };
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

function fmtRange(r: readonly [number, number] | null): string {
  return r === null ? "-" : `[${r[0]}, ${r[1]})`;
}

/** JSON safe inside <script>: no "</script>", no U+2028/9 surprises. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById("codl-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var W = 1200, L = 110, R = 20, laneH = 36;
  var lanes = { gpu: 30, cpu: 80, sharing: 130 };
  var total = Math.max(data.timeline.totalMs, 1e-9);
  var scale = (W - L - R) / total;
  var svg = document.createElementNS(NS, "svg");
  svg.setAttribute("id", "timeline");
  svg.setAttribute("width", String(W));
  svg.setAttribute("height", "190");
  svg.setAttribute("viewBox", "0 0 " + W + " 190");
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    parent.appendChild(e);
    return e;
  }
  function colour(item) {
    if (item.chain !== null) return "hsl(" + ((item.chain * 67) % 360) + ", 65%, 55%)";
    if (item.lane === "sharing") return "#9ca3af";
    return item.lane === "gpu" ? "#60a5fa" : "#34d399";
  }
  var groups = {};
  ["gpu", "cpu", "sharing"].forEach(function (lane) {
    var g = groups[lane] = el("g", { id: "lane-" + lane, "class": "lane", "data-lane": lane }, svg);
    el("rect", { x: L, y: lanes[lane], width: W - L - R, height: lane === "sharing" ? laneH / 2 : laneH, fill: "#f3f4f6" }, g);
    var t = el("text", { x: 8, y: lanes[lane] + 22, "font-size": 13, "font-family": "sans-serif" }, g);
    t.textContent = lane === "gpu" ? "GPU" : lane === "cpu" ? "CPU" : "sharing";
  });
  data.timeline.items.forEach(function (item) {
    var g = groups[item.lane];
    var r = el("rect", {
      x: (L + item.start * scale).toFixed(2),
      y: lanes[item.lane] + 2,
      width: Math.max(0.75, (item.end - item.start) * scale).toFixed(2),
      height: (item.lane === "sharing" ? laneH / 2 : laneH) - 4,
      fill: colour(item),
      stroke: "#111827",
      "stroke-width": 0.3,
      "class": item.op === null ? "sharing" : "op",
    }, g);
    if (item.op !== null) r.setAttribute("data-op", String(item.op));
    if (item.chain !== null) r.setAttribute("data-chain", String(item.chain));
    var title = el("title", {}, r);
    title.textContent = item.label + ": " + (item.end - item.start).toFixed(3) + " ms";
  });
  var axis = el("text", { x: L, y: 180, "font-size": 12, "font-family": "sans-serif" }, svg);
  axis.textContent = "0 ms … " + total.toFixed(3) + " ms";
  document.getElementById("timeline-box").appendChild(svg);
  var tbody = document.getElementById("rows");
  data.rows.forEach(function (row) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-op", String(row.id));
    [row.id, row.name, row.op, row.shape, row.decision, row.chain === null ? "-" : row.chain,
     row.cpuMs.toFixed(3), row.gpuMs.toFixed(3), row.transformMs.toFixed(3), row.mapMs.toFixed(3), row.syncMs.toFixed(3), row.totalMs.toFixed(3),
     row.bestH === null ? "-" : row.bestH.ratio.toFixed(1) + " " + (row.bestH.deltaMs >= 0 ? "+" : "") + row.bestH.deltaMs.toFixed(3),
     row.bestOC === null ? "-" : row.bestOC.ratio.toFixed(1) + " " + (row.bestOC.deltaMs >= 0 ? "+" : "") + row.bestOC.deltaMs.toFixed(3),
     row.reason].forEach(function (v) {
      var td = document.createElement("td");
      td.textContent = String(v);
      tr.appendChild(td);
    });
    tbody.appendChild(tr);
  });
  document.body.setAttribute("data-drawn", "true");
})();
`;

export function formatExplainHtml(report: ExplainReport, plan: Plan): string {
  const timeline = layoutTimeline(plan);
  const title = `codl explain: ${report.model} on ${report.device} (${report.strategy})`;
  const b = report.baselines;
  const summary = `${report.strategy} ${report.predictedMs.toFixed(3)} ms · codl-greedy ${b["codl-greedy"].toFixed(3)} · mulayer ${b.mulayer.toFixed(3)} · GPU ${b.gpu.toFixed(3)} · CPU ${b.cpu.toFixed(3)} · ideal ${b.ideal.toFixed(3)} ms`;
  const head = ["#", "name", "op", "shape", "decision", "chain", "cpu", "gpu", "transform", "map", "sync", "total", "best H Δ", "best OC Δ", "reason"];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: sans-serif; margin: 16px; color: #111827; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border-bottom: 1px solid #e5e7eb; padding: 2px 6px; text-align: right; white-space: nowrap; }
td:nth-child(2), td:nth-child(3), td:nth-child(5), td:nth-child(15) { text-align: left; }
</style>
</head>
<body>
<h1 style="font-size: 18px">${escapeHtml(title)}</h1>
<p>${escapeHtml(summary)}</p>
<p>${report.chains.length} chains, ${report.splits.H} H splits, ${report.splits.OC} OC splits, ${report.splits.cpu} CPU-only, ${report.splits.gpu} GPU-only. Chains share a colour; hover a block for its rows and time.</p>
<div id="timeline-box"></div>
<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody id="rows"></tbody></table>
<script type="application/json" id="codl-data">${scriptJson({ timeline, rows: report.rows })}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
