import { describe, expect, it } from "vitest";
import { CompilerError } from "../../src/diag/errors.js";
import { parseSamplesCsv } from "../../src/predict/samples.js";

const HEADER = "processor,op,kernel,n,ih,iw,ic,oh,ow,oc,kh,kw,sh,sw,groups,latency_ms,stdev_ms";
const ROW = "gpu,conv2d,gpu.conv2d_1x1,1,14,14,64,14,14,64,1,1,1,1,1,0.05,0.001";

function err(text: string): CompilerError {
  try {
    parseSamplesCsv(text, "s.csv");
  } catch (e) {
    if (e instanceof CompilerError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("samples CSV", () => {
  it("parses rows with optional columns", () => {
    const s = parseSamplesCsv(`${HEADER}\n${ROW}\n`, "s.csv");
    expect(s).toHaveLength(1);
    expect(s[0]!.config.oc).toBe(64);
    expect(s[0]!.latencyMs).toBe(0.05);
    expect(s[0]!.stdevMs).toBe(0.001);
  });

  it("reads the optional activation column, and refuses an unknown one", () => {
    const s = parseSamplesCsv(`${HEADER},activation\n${ROW},other\n`, "s.csv");
    expect(s[0]!.config.activation).toBe("other");
    expect(err(`${HEADER},activation\n${ROW},gelu\n`).details).toMatchObject({ column: "activation" });
  });

  it("names a missing column", () => {
    const e = err("processor,op,kernel\ngpu,conv2d,x\n");
    expect(e.code).toBe("CODL-E062");
    expect(e.exitCode).toBe(2);
    expect(e.details).toMatchObject({ line: 1, column: "n" });
  });

  it("names the line and column of a non-numeric cell", () => {
    const e = err(`${HEADER}\n${ROW}\n${ROW.replace(",64,14,14,64,", ",sixty-four,14,14,64,")}\n`);
    expect(e.details).toMatchObject({ line: 3, column: "ic" });
    expect(e.message).toBe("s.csv:3: column 'ic': expected a positive integer, got 'sixty-four'");
  });

  it("refuses zero or negative latency", () => {
    expect(err(`${HEADER}\n${ROW.replace(",0.05,", ",0,")}\n`).details).toMatchObject({ line: 2, column: "latency_ms" });
    expect(err(`${HEADER}\n${ROW.replace(",0.05,", ",-1,")}\n`).details).toMatchObject({ line: 2, column: "latency_ms" });
  });
});
