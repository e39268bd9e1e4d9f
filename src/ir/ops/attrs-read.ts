/**
 * Small typed readers over raw attributes, used by every op's parser. A
 * wrong attribute kind is a CODL-E030 naming the node and attribute.
 */

import { CompilerError } from "../../diag/errors.js";
import type { RawAttrs } from "../graph.js";

export class AttrReader {
  constructor(
    private readonly raw: RawAttrs,
    private readonly node: string,
    private readonly op: string,
  ) {}

  private fail(name: string, cause: string): never {
    throw new CompilerError("CODL-E030", { node: this.node, op: this.op, cause: `attribute '${name}' ${cause}` });
  }

  int(name: string, fallback: number): number {
    const a = this.raw[name];
    if (a === undefined) return fallback;
    if (a.kind !== "int") this.fail(name, `must be an int, not ${a.kind}`);
    return a.value;
  }

  float(name: string, fallback: number): number {
    const a = this.raw[name];
    if (a === undefined) return fallback;
    if (a.kind === "float" || a.kind === "int") return a.value;
    return this.fail(name, `must be a float, not ${a.kind}`);
  }

  string(name: string, fallback: string): string {
    const a = this.raw[name];
    if (a === undefined) return fallback;
    if (a.kind !== "string") this.fail(name, `must be a string, not ${a.kind}`);
    return a.value;
  }

  ints(name: string): readonly number[] | undefined {
    const a = this.raw[name];
    if (a === undefined) return undefined;
    if (a.kind === "ints") return a.value;
    if (a.kind === "int") return [a.value];
    return this.fail(name, `must be a list of ints, not ${a.kind}`);
  }

  floats(name: string): readonly number[] | undefined {
    const a = this.raw[name];
    if (a === undefined) return undefined;
    if (a.kind === "floats" || a.kind === "ints") return a.value;
    return this.fail(name, `must be a list of floats, not ${a.kind}`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.string(name, fallback);
    if (!(allowed as readonly string[]).includes(value)) {
      throw new CompilerError("CODL-E041", { node: this.node, op: this.op, cause: `${name}=${value} (supported: ${allowed.join(", ")})` });
    }
    return value as T;
  }

  positiveInts(name: string): readonly number[] | undefined {
    const v = this.ints(name);
    if (v?.some((x) => !Number.isSafeInteger(x) || x <= 0)) this.fail(name, `must be positive, got [${v.join(", ")}]`);
    return v;
  }

  nonNegativeInts(name: string): readonly number[] | undefined {
    const v = this.ints(name);
    if (v?.some((x) => !Number.isSafeInteger(x) || x < 0)) this.fail(name, `must be non-negative, got [${v.join(", ")}]`);
    return v;
  }
}
