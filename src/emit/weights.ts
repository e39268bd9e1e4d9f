/**
 * weights.bin: one blob of 64-byte-aligned entries, each already arranged for
 * the processor that reads it (model_desc.h, WeightsDesc). Entries are added
 * in emission order, so the same plan gives the same bytes; identical entries
 * of the same kind are stored once.
 */

import { crc32 } from "node:zlib";
import { createHash } from "node:crypto";

export type WeightsKind = "host" | "gpuBuffer" | "gpuImage";

export interface WeightsEntry {
  readonly offset: number;
  readonly bytes: number;
  readonly kind: WeightsKind;
  readonly imageWidth: number;
  readonly imageHeight: number;
  /** What it is, for the table's comment. */
  readonly label: string;
}

const ALIGN = 64;

export class WeightsBuilder {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  readonly entries: WeightsEntry[] = [];
  private readonly seen = new Map<string, number>();

  /**
   * While frozen, `add` only looks weights up: values the blob does not hold
   * already get id -1 instead of being appended (a rebalancing variant must
   * read exactly the weights of the compiled plan).
   */
  frozen = false;

  /** Adds float32 (or binary16) values; returns the weights id. */
  add(values: Float32Array | Uint16Array, kind: WeightsKind, label: string, image?: { width: number; height: number }): number {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const key = `${kind}:${image?.width ?? 0}x${image?.height ?? 0}:${createHash("sha256").update(bytes).digest("hex")}`;
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    if (this.frozen) return -1;
    const pad = (ALIGN - (this.size % ALIGN)) % ALIGN;
    if (pad > 0) {
      this.chunks.push(new Uint8Array(pad));
      this.size += pad;
    }
    const offset = this.size;
    this.chunks.push(Uint8Array.from(bytes));
    this.size += bytes.byteLength;
    const id = this.entries.length;
    this.entries.push({ offset, bytes: bytes.byteLength, kind, imageWidth: image?.width ?? 0, imageHeight: image?.height ?? 0, label });
    this.seen.set(key, id);
    return id;
  }

  blob(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits of a float32 value, rounded to nearest even (as vstore_half_rte). */
export function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  // A normal half keeps 10 mantissa bits; a subnormal one shifts the implicit 1 in.
  const shift = e <= 0 ? 14 - e : 13;
  if (shift > 24) return sign;
  const m = e <= 0 ? mant | 0x800000 : mant;
  let h = (e <= 0 ? 0 : e << 10) | Math.floor(m / 2 ** shift);
  const rem = m % 2 ** shift;
  const halfway = 2 ** (shift - 1);
  if (rem > halfway || (rem === halfway && (h & 1) === 1)) h++;
  return sign | h;
}

/** float32 values as binary16 bytes (little-endian). */
export function toHalfBytes(values: Float32Array): Uint16Array {
  return Uint16Array.from(values, floatToHalf);
}

/** CRC-32 (IEEE, zlib's), as the runtime checks it. */
export function crc32Of(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}
