/**
 * What an operator emitter sees: the graph node, its tensors in the emit
 * program, the profile, and the shared weights blob. Constants are read
 * from the IR lazily (a weight is materialised only when an emitter asks).
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import { CompilerError } from "../diag/errors.js";
import type { Graph } from "../ir/graph.js";
import { isStatic, readFloats, type StaticShape } from "../ir/tensor.js";
import type { ElementInput } from "./element.js";
import type { EmitOp, EmitProgram, EmitTensor } from "./program.js";
import type { WeightsBuilder } from "./weights.js";

export class OpContext {
  constructor(
    readonly graph: Graph,
    readonly program: EmitProgram,
    readonly op: EmitOp,
    readonly profile: DeviceProfile,
    readonly weights: WeightsBuilder,
  ) {}

  get node() {
    return this.op.node;
  }

  get out(): EmitTensor {
    return this.program.tensors[this.op.output]!;
  }

  tensor(slot: number): EmitTensor | undefined {
    const t = this.op.inputs[slot];
    return t === undefined ? undefined : this.program.tensors[t];
  }

  isConst(slot: number): boolean {
    const name = this.node.inputs[slot];
    return name !== undefined && name !== "" && this.graph.tensors.get(name)?.data !== undefined;
  }

  shape(slot: number): StaticShape {
    const name = this.node.inputs[slot] ?? "";
    const s = this.graph.tensors.get(name)?.shape;
    if (!isStatic(s)) throw new CompilerError("CODL-E100", { cause: `input ${slot} of ${this.node.name} has no static shape` });
    return s;
  }

  /** Constant input `slot` as float32 in ONNX (row-major) order. */
  constant(slot: number): Float32Array {
    const name = this.node.inputs[slot] ?? "";
    const t = this.graph.tensors.get(name);
    if (t?.data === undefined) throw new CompilerError("CODL-E100", { cause: `input ${slot} of ${this.node.name} is not a constant` });
    return readFloats(t);
  }

  /** The inputs as the element generator sees them (absent optional inputs are undefined). */
  elementInputs(): (ElementInput | undefined)[] {
    return this.node.inputs.map((name, slot) => (name === "" ? undefined : { shape: this.shape(slot), constant: this.isConst(slot) }));
  }

  /** A short, stable label: `op<id>_<kind>`. */
  label(): string {
    return `op${this.op.id}_${this.node.op.toLowerCase()}`;
  }
}
