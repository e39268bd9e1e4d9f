/**
 * Typed helpers for generated OpenCL: tensor access in either GPU storage
 * (image2d RGBA with channels packed by 4, or an NHWC float buffer), image
 * coordinates, and the kernel file skeleton. Kernel emitters (gpu.ts) only
 * call these; every shape and offset is a literal in the generated helper,
 * so the kernel body reads the same whatever the storage.
 *
 *   image:  pixel (cb·W + x, n·H + y) holds channels 4cb…4cb+3 of (n, y, x)
 *   buffer: element ((n·H + y)·W + x)·C + c
 */

import { commentText, intLit as I } from "./c-text.js";
import type { Dims4 } from "./element.js";
import type { GpuStorage } from "./program.js";

export const SAMPLER = "__constant sampler_t kSampler = CLK_NORMALIZED_COORDS_FALSE | CLK_ADDRESS_NONE | CLK_FILTER_NEAREST;";

export class ClTensor {
  constructor(
    /** The kernel argument's name. */
    readonly name: string,
    readonly dims: Dims4,
    readonly storage: GpuStorage,
    readonly access: "read" | "write",
    /** Channels a write may touch: [begin, end) (buffers; images write whole pixels). */
    readonly writeChannels: readonly [number, number] = [0, dims.c],
  ) {}

  get blocks(): number {
    return Math.ceil(this.dims.c / 4);
  }

  param(): string {
    if (this.storage === "image") return `${this.access === "read" ? "__read_only" : "__write_only"} image2d_t ${this.name}`;
    return this.access === "read" ? `__global const float* restrict ${this.name}` : `__global float* restrict ${this.name}`;
  }

  private pixel(n: string, y: string, x: string, cb: string): string {
    return `(int2)(${cb} * ${I(this.dims.w)} + ${x}, ${n} * ${I(this.dims.h)} + ${y})`;
  }

  private offset(n: string, y: string, x: string): string {
    const d = this.dims;
    return `((${n} * ${I(d.h)} + ${y}) * ${I(d.w)} + ${x}) * ${I(d.c)}`;
  }

  /** Helper functions this tensor's accesses call; emitted once per kernel file. */
  helpers(): string[] {
    const d = this.dims;
    const t = this.name;
    const p = this.param().replace(/ restrict/, "");
    const out: string[] = [];
    if (this.access === "read") {
      if (this.storage === "image") {
        out.push(
          `float4 ld4_${t}(${p}, int n, int y, int x, int cb) { return read_imagef(${t}, kSampler, ${this.pixel("n", "y", "x", "cb")}); }`,
          `float ld_${t}(${p}, int n, int c, int y, int x) {`,
          `  const float4 v = read_imagef(${t}, kSampler, ${this.pixel("n", "y", "x", "(c >> 2)")});`,
          "  const int l = c & 3;",
          "  return l == 0 ? v.x : l == 1 ? v.y : l == 2 ? v.z : v.w;",
          "}",
        );
      } else {
        const whole = d.c % 4 === 0;
        out.push(
          `float4 ld4_${t}(${p}, int n, int y, int x, int cb) {`,
          `  __global const float* q = ${t} + ${this.offset("n", "y", "x")} + cb * 4;`,
          whole
            ? "  return vload4(0, q);"
            : `  const int c = cb * 4;\n  return (float4)(q[0], c + 1 < ${I(d.c)} ? q[1] : 0.0f, c + 2 < ${I(d.c)} ? q[2] : 0.0f, c + 3 < ${I(d.c)} ? q[3] : 0.0f);`,
          "}",
          `float ld_${t}(${p}, int n, int c, int y, int x) { return ${t}[${this.offset("n", "y", "x")} + c]; }`,
        );
      }
      out.push(
        `float ldf_${t}(${p}, int f) {`,
        `  return ld_${t}(${t}, f / ${I(d.c * d.h * d.w)}, (f / ${I(d.h * d.w)}) % ${I(d.c)}, (f / ${I(d.w)}) % ${I(d.h)}, f % ${I(d.w)});`,
        "}",
      );
    } else if (this.storage === "image") {
      const tail = d.c % 4;
      out.push(`void st4_${t}(${p}, int n, int y, int x, int cb, float4 v) {`);
      // Lanes past C are written as 0: consumers may multiply them by zero weights.
      if (tail !== 0) out.push(`  if (cb == ${I(this.blocks - 1)}) v = (float4)(v.x, ${tail > 1 ? "v.y" : "0.0f"}, ${tail > 2 ? "v.z" : "0.0f"}, 0.0f);`);
      out.push(`  write_imagef(${t}, ${this.pixel("n", "y", "x", "cb")}, v);`, "}");
    } else {
      const [c0, c1] = this.writeChannels;
      const aligned = c0 % 4 === 0 && c1 % 4 === 0;
      out.push(`void st4_${t}(${p}, int n, int y, int x, int cb, float4 v) {`, `  __global float* q = ${t} + ${this.offset("n", "y", "x")} + cb * 4;`);
      if (aligned) out.push("  vstore4(v, 0, q);");
      else {
        out.push("  const int c = cb * 4;");
        ["x", "y", "z", "w"].forEach((lane, l) => {
          out.push(`  if (c + ${l} >= ${I(c0)} && c + ${l} < ${I(c1)}) q[${l}] = v.${lane};`);
        });
      }
      out.push("}");
    }
    return out;
  }

  ld(n: string, c: string, y: string, x: string): string {
    return `ld_${this.name}(${this.name}, ${n}, ${c}, ${y}, ${x})`;
  }

  ld4(n: string, y: string, x: string, cb: string): string {
    return `ld4_${this.name}(${this.name}, ${n}, ${y}, ${x}, ${cb})`;
  }

  ldf(f: string): string {
    return `ldf_${this.name}(${this.name}, ${f})`;
  }

  st4(n: string, y: string, x: string, cb: string, v: string): string {
    return `st4_${this.name}(${this.name}, ${n}, ${y}, ${x}, ${cb}, ${v});`;
  }
}

/** A kernel file: header comment, sampler, tensor helpers, then the kernel. */
export function kernelFile(header: readonly string[], tensors: readonly ClTensor[], kernel: readonly string[]): string {
  const lines = [...header.map((h) => `// ${commentText(h)}`), "", SAMPLER, ""];
  for (const t of tensors) lines.push(...t.helpers());
  lines.push("", ...kernel);
  return `${lines.join("\n")}\n`;
}

/** A vector activation over float4 (fused into the kernel's store). */
export { activationExpr } from "./element.js";
