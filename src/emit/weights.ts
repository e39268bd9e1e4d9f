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

  /** Adds float32 values; returns the weights id. */
  add(values: Float32Array, kind: WeightsKind, label: string, image?: { width: number; height: number }): number {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const key = `${kind}:${image?.width ?? 0}x${image?.height ?? 0}:${createHash("sha256").update(bytes).digest("hex")}`;
    const known = this.seen.get(key);
    if (known !== undefined) return known;
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

/** CRC-32 (IEEE, zlib's), as the runtime checks it. */
export function crc32Of(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}
