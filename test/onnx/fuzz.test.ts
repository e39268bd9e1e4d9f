/**
 * 1,000 seeded random byte mutations of a tiny fixture: every one must end in
 * a CODL error or a valid, verified result — never another exception.
 */

import { describe, expect, it } from "vitest";
import { buildFixture, describeFixture } from "../../fixtures/index.js";
import { CompilerError } from "../../src/diag/errors.js";
import { loadModel } from "../../src/index.js";

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** One of: flip bytes, overwrite a run, truncate, duplicate a slice, or insert random bytes. */
function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const at = (n: number): number => Math.floor(random() * n);
  const out = Uint8Array.from(bytes);
  switch (at(5)) {
    case 0: {
      const flips = 1 + at(8);
      for (let i = 0; i < flips; i++) {
        const j = at(out.length);
        out[j] = (out[j] ?? 0) ^ (1 << at(8));
      }
      return out;
    }
    case 1: {
      const start = at(out.length);
      const len = 1 + at(16);
      for (let i = start; i < Math.min(out.length, start + len); i++) out[i] = at(256);
      return out;
    }
    case 2:
      return out.subarray(0, at(out.length));
    case 3: {
      const a = at(out.length);
      const b = Math.min(out.length, a + 1 + at(64));
      const c = at(out.length);
      return Uint8Array.from([...out.subarray(0, c), ...out.subarray(a, b), ...out.subarray(c)]);
    }
    default: {
      const c = at(out.length);
      const extra = Array.from({ length: 1 + at(16) }, () => at(256));
      return Uint8Array.from([...out.subarray(0, c), ...extra, ...out.subarray(c)]);
    }
  }
}

describe("fuzzing the importer", () => {
  it("1,000 mutations of posenet (tiny) end in a CODL error or a valid graph", () => {
    const { bytes } = buildFixture("posenet", "tiny");
    const { inputShapes } = describeFixture("posenet", "tiny");
    const random = xorshift(66);
    const outcomes = { ok: 0, error: 0 };
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const mutated = mutate(bytes, random);
      try {
        loadModel(mutated, { inputShapes });
        outcomes.ok++;
      } catch (e) {
        if (!(e instanceof CompilerError)) throw new Error(`mutation ${i} threw ${String(e)}`, { cause: e });
        outcomes.error++;
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
    }
    expect(outcomes.ok + outcomes.error).toBe(1000);
    // Both outcomes occur: many mutations hit weights (still valid), many break structure.
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.error).toBeGreaterThan(0);
    expect(codes.has("CODL-E100")).toBe(false);
  });
});
