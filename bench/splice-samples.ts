/**
 * Replaces the rows of some operators in a samples CSV by those of a newer
 * measurement: every row whose operator (the node named at the end of
 * `source`, after the model) is one of --ops goes, and every such row of
 * --with comes in. Sharing rows (transform, map, sync: what a split costs
 * beyond the kernels) stay, from the base only. The header must be the
 * same; rows keep the base's order, the new ones appended in their own.
 *
 *   node dist/bench/splice-samples.js --base profiles/samples/host-pocl.csv --with build/prof-t10/samples.csv \
 *     --ops Transpose,Reshape,Flatten,Softmax,Resize,Concat,Pad [--processor cpu] --out profiles/samples/host-pocl.csv
 *
 * --processor cpu|gpu: only that processor's rows go and come (a re-measurement of one side).
 */

import * as fs from "node:fs";
import { writeFileAtomic } from "../src/cli/io.js";
import { parseCsv } from "../src/predict/csv.js";
import { runScript } from "./files.js";

function arg(argv: readonly string[], name: string): string {
  const i = argv.indexOf(name);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (v === undefined) {
    console.error(`usage: splice-samples --base A.csv --with B.csv --ops Op1,Op2 --out C.csv (missing ${name})`);
    process.exit(2);
  }
  return v;
}

/** The ONNX operator of a row: its onnx_op, else the node name's operator part (".../Concat_3" → Concat). */
function operatorOf(cells: readonly string[], col: ReadonlyMap<string, number>): string {
  const own = cells[col.get("onnx_op") ?? -1] ?? "";
  if (own !== "") return own;
  const source = cells[col.get("source") ?? -1] ?? "";
  const node = source.slice(source.lastIndexOf("/") + 1);
  return node.replace(/_\d+$/, "");
}

const SHARING: ReadonlySet<string> = new Set(["transform_in", "transform_out", "map_in", "sync"]);

function main(argv: readonly string[]): void {
  const ops = new Set(arg(argv, "--ops").split(","));
  const read = (p: string) => {
    const text = fs.readFileSync(p, "utf8");
    const rows = parseCsv(text);
    const header = rows[0]?.cells ?? [];
    const col = new Map(header.map((h, i) => [h.trim(), i]));
    const lines = text.split("\n").filter((l) => l !== "");
    return { header, col, rows: rows.slice(1).map((r, i) => ({ cells: r.cells, line: lines[i + 1]! })) };
  };
  const base = read(arg(argv, "--base"));
  const next = read(arg(argv, "--with"));
  const same = base.header.join(",") === next.header.join(",");
  if (!same) {
    console.error("the two CSVs have different columns");
    process.exit(2);
  }
  const at = argv.indexOf("--processor");
  const processor = at >= 0 ? argv[at + 1] : undefined;
  const sharing = (cells: readonly string[], col: ReadonlyMap<string, number>) => SHARING.has(cells[col.get("op") ?? -1] ?? "");
  const spliced = (cells: readonly string[], col: ReadonlyMap<string, number>) =>
    !sharing(cells, col) && ops.has(operatorOf(cells, col)) && (processor === undefined || cells[col.get("processor") ?? -1] === processor);
  const kept = base.rows.filter((r) => !spliced(r.cells, base.col));
  const added = next.rows.filter((r) => spliced(r.cells, next.col));
  writeFileAtomic(arg(argv, "--out"), `${[base.header.join(","), ...kept.map((r) => r.line), ...added.map((r) => r.line)].join("\n")}\n`);
  console.log(`kept ${kept.length} of ${base.rows.length} rows, replaced ${base.rows.length - kept.length} by ${added.length}`);
}

runScript("splice-samples", () => main(process.argv.slice(2)));
