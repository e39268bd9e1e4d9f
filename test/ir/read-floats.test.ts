/** readFloats: constant data as a fresh Float32Array, float32 bytewise, other dtypes converted. */

import { describe, expect, it } from "vitest";
import { ConstData, readFloats, type Tensor } from "../../src/ir/tensor.js";

describe("readFloats", () => {
  it("copies float32 data, so writing the result leaves the graph's constant alone", () => {
    const data = ConstData.ofFloat32([1.5, -2, 3.25]);
    const t: Tensor = { name: "w", dtype: "float32", shape: [3], data };
    const got = readFloats(t);
    expect([...got]).toEqual([1.5, -2, 3.25]);
    got[0] = 99;
    expect([...readFloats(t)]).toEqual([1.5, -2, 3.25]);
  });

  it("reads a float32 tensor from an unaligned byte offset", () => {
    const backing = new Uint8Array(13);
    new DataView(backing.buffer).setFloat32(1, 0.5, true);
    new DataView(backing.buffer).setFloat32(5, -7, true);
    new DataView(backing.buffer).setFloat32(9, 42, true);
    const t: Tensor = { name: "w", dtype: "float32", shape: [3], data: ConstData.ofBytes(backing.subarray(1)) };
    expect([...readFloats(t)]).toEqual([0.5, -7, 42]);
  });

  it("converts other dtypes element by element (binary16 1.0 and -2.0, int64 7)", () => {
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer);
    expect([...readFloats({ name: "h", dtype: "float16", shape: [2], data: ConstData.ofBytes(half) })]).toEqual([1, -2]);
    expect([...readFloats({ name: "i", dtype: "int64", shape: [1], data: ConstData.ofInt64([7]) })]).toEqual([7]);
  });
});
