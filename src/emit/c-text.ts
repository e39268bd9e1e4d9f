/**
 * Small text helpers shared by the OpenCL and C++ emitters: float literals
 * that round-trip float32 exactly, identifiers and C string literals, and a
 * line writer with indentation. Both languages are C-like, so one set of
 * helpers serves both.
 */

/** A float32 literal, e.g. `0.1f`, `3.0f`, `INFINITY`. */
export function floatLit(x: number): string {
  if (Number.isNaN(x)) return "NAN";
  if (x === Number.POSITIVE_INFINITY) return "INFINITY";
  if (x === Number.NEGATIVE_INFINITY) return "(-INFINITY)";
  const f = Math.fround(x);
  if (Number.isInteger(f) && Math.abs(f) < 1e15) return `${f < 0 || Object.is(f, -0) ? "(" : ""}${Object.is(f, -0) ? "-0" : f}.0f${f < 0 || Object.is(f, -0) ? ")" : ""}`;
  // Shortest text that parses back to the same float32.
  let text = "";
  for (let p = 6; p <= 9; p++) {
    text = f.toPrecision(p);
    if (Math.fround(Number(text)) === f) break;
  }
  if (!/[.e]/.test(text)) text += ".0";
  return f < 0 ? `(${text}f)` : `${text}f`;
}

/** An int literal for generated code (parenthesised when negative). */
export function intLit(x: number): string {
  if (!Number.isInteger(x)) throw new Error(`not an integer: ${x}`);
  return x < 0 ? `(${x})` : String(x);
}

/** A C/C++ string literal (ASCII-safe; anything else escaped). */
export function cString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f && ch !== "?") out += ch;
    else for (const b of new TextEncoder().encode(ch)) out += `\\${b.toString(8).padStart(3, "0")}`;
  }
  return `${out}"`;
}

/** Text safe inside a C comment (no comment terminators, one line). */
export function commentText(s: string): string {
  return s.replace(/\*\//g, "* /").replace(/[\r\n]+/g, " ");
}

/** Lines with indentation; `block` opens a brace block. */
export class CodeWriter {
  private readonly lines: string[] = [];
  private depth = 0;

  line(text = ""): this {
    this.lines.push(text === "" ? "" : `${"  ".repeat(this.depth)}${text}`);
    return this;
  }

  lines_(texts: readonly string[]): this {
    for (const t of texts) this.line(t);
    return this;
  }

  block(head: string, body: () => void, tail = "}"): this {
    this.line(`${head} {`);
    this.depth++;
    body();
    this.depth--;
    this.line(tail);
    return this;
  }

  text(): string {
    return `${this.lines.join("\n")}\n`;
  }
}
