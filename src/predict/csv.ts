/** A small RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF; rows keep their 1-based line numbers. */

export interface CsvRow {
  readonly line: number;
  readonly cells: readonly string[];
}

export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let sawAny = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"') {
      quoted = true;
      sawAny = true;
    } else if (ch === ",") {
      cells.push(cell);
      cell = "";
      sawAny = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      if (sawAny || cell !== "") {
        cells.push(cell);
        rows.push({ line: rowLine, cells });
      }
      cells = [];
      cell = "";
      sawAny = false;
      line++;
      rowLine = line;
    } else {
      cell += ch;
      sawAny = true;
    }
  }
  if (sawAny || cell !== "") {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
  }
  return rows;
}
