/** The catalogue is well formed and README's error table lists it exactly. */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE, CompilerError, formatTemplate } from "../../src/diag/errors.js";

describe("the error catalogue", () => {
  it("has unique, well-formed codes with exit status 1, 2 or 3", () => {
    for (const [code, entry] of Object.entries(CATALOGUE)) {
      expect(code).toMatch(/^CODL-E\d{3}$/);
      expect([1, 2, 3]).toContain(entry.exit);
    }
  });

  it("fills templates and keeps unknown placeholders visible", () => {
    expect(formatTemplate("node {node} ({op})", { node: "a" })).toBe("node a ({op})");
    const e = new CompilerError("CODL-E012", { node: "n", op: "Conv", tensor: "w" });
    expect(e.message).toBe("node n (Conv) reads tensor 'w', which no node, input or initializer provides");
    expect(e.exitCode).toBe(2);
  });

  it("is listed in README.md, code for code", () => {
    const readme = fs.readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");
    const table = readme.split("<!-- errors:begin")[1]?.split("<!-- errors:end")[0] ?? "";
    const rows = [...table.matchAll(/^\| `(CODL-E\d{3})` \| (\d) \| (.*) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]?.replaceAll("\\|", "|")]);
    const expected = Object.entries(CATALOGUE).map(([code, e]) => [code, e.exit, e.template]);
    expect(rows).toEqual(expected);
  });
});
