/**
 * The planner's cost model: predict/'s kernel latencies and sharing terms,
 * applied to PlanOps. Every strategy is scored by these functions (through
 * evaluate.ts), so baselines and searches are compared on equal terms.
 *
 * Where a tensor lives ("home"): the GPU tensor is canonical, as in the
 * runtime: after a split operator or chain the CPU's slab is transformed back
 * into it. A CPU-only operator leaves its output in a CPU buffer. Graph inputs
 * are free to either side. Crossing homes costs transform + map (GPU → CPU)
 * or transform + unmap (CPU → GPU) of the whole tensor, plus one sync.
 *
 * Storage: the GPU uses the profile's preferred storage (image2d on Adreno);
 * `mulayer` uses buffers on both sides, so its OC slices need not be
 * multiples of 4. Either way the runtime copies slabs between the CPU buffer
 * and the GPU tensor: a layout transform kernel for images (sharing.transform),
 * a rectangular buffer copy for buffers (sharing.copy, else transform's).
 * The profile has no buffer-storage GPU kernel models, so the same GPU models
 * price both.
 *
 * Contention: the two parts of a split operator run at the same time and
 * slow each other down (sharing.contention, factors ≥ 1 fitted from traces);
 * `concurrent` applies them to every part that has a partner.
 */

import type { DeviceProfile } from "../device/profile-schema.js";
import { configKey as opKey, type OpConfig } from "../kernels/op-config.js";
import { inputRange } from "../kernels/from-ir.js";
import { contended, linearBytesMs, predictCpuMs, predictGpuMs, sliceChannels, sliceRows } from "../predict/coexec.js";
import { median } from "../profile/trace.js";
import type { PlanOp, SplitDim } from "./ops.js";

export type Side = "cpu" | "gpu";
export type Home = Side | "any";
export type Storage = "image" | "buffer";

export interface Sharing {
  readonly transformMs: number;
  readonly mapMs: number;
  readonly syncMs: number;
}

export interface SplitCost extends Sharing {
  readonly dim: SplitDim;
  readonly ratio: number;
  /** GPU rows [0, share) of H, or GPU channels [0, share) of OC. */
  readonly share: number;
  readonly cpuMs: number;
  readonly gpuMs: number;
  readonly totalMs: number;
}

export interface CostOptions {
  readonly gpuStorage: Storage;
}

/** Every field a prediction reads: onnxOp picks an element-wise operator's kernel and its input count; mode is Pad's. */
function configKey(c: OpConfig): string {
  return `${c.op},${c.n},${c.ih},${c.iw},${c.ic},${c.oh},${c.ow},${c.oc},${c.kh},${c.kw},${c.sh},${c.sw},${c.groups},${c.dilation ?? 1},${c.padTop ?? 0},${c.activation ?? "none"},${c.onnxOp ?? ""},${c.mode ?? ""}`;
}

export class CostModel {
  readonly profile: DeviceProfile;
  readonly options: CostOptions;
  private readonly cpuMemo = new Map<string, number>();
  private readonly gpuMemo = new Map<string, number>();
  private readonly factorMemo = new Map<string, number>();
  /** rowsMs by operator, then by side and row range (a number: the chain search asks millions of times). */
  private readonly rowsMemo = new WeakMap<PlanOp, Map<number, number>>();
  /** profile.calibration by "side:configKey". */
  private readonly measured: ReadonlyMap<string, number>;
  /** profile.calibration.parts by "side:configKey:dim". */
  private readonly measuredParts: ReadonlyMap<string, ReadonlyArray<{ readonly range: readonly [number, number]; readonly ms: number }>>;
  /** Per "side:configKey:dim": measured / predicted at each measured share, ascending (see partFactor). */
  private readonly curveMemo = new Map<string, ReadonlyArray<{ readonly x: number; readonly f: number }>>();

  constructor(profile: DeviceProfile, options: CostOptions) {
    this.profile = profile;
    this.options = options;
    this.measured = new Map((profile.calibration?.ops ?? []).map((o) => [`${o.processor}:${o.key}`, o.ms]));
    const parts = new Map<string, Array<{ range: readonly [number, number]; ms: number }>>();
    for (const p of profile.calibration?.parts ?? []) {
      const k = `${p.processor}:${p.key}:${p.dim}`;
      parts.set(k, [...(parts.get(k) ?? []), { range: p.range, ms: p.ms }]);
    }
    this.measuredParts = parts;
  }

  /** The kernel models' time of `c` on `side` (kernel only, memoised). */
  private kernelMs(c: OpConfig, side: Side): number {
    const memo = side === "cpu" ? this.cpuMemo : this.gpuMemo;
    const k = configKey(c);
    let t = memo.get(k);
    if (t === undefined) {
      t = side === "cpu" ? predictCpuMs(this.profile, c) : predictGpuMs(this.profile, c);
      memo.set(k, t);
    }
    return t;
  }

  /** The kernel's predicted time plus the runtime's dispatch of one operator on the CPU (profile.runtime). */
  cpuMs(c: OpConfig, scale = 1): number {
    if (c.oh <= 0 || c.oc <= 0) return 0;
    return this.kernelMs(c, "cpu") * scale + (this.profile.runtime?.perCpuOpMs ?? 0);
  }

  /** Whether profile.calibration measured `op` whole on `side`. */
  isCalibrated(op: PlanOp, side: Side): boolean {
    return this.measured.has(this.measuredKey(op, side));
  }

  /** Whether profile.calibration.parts timed a part of `op` on either side. */
  hasMeasuredParts(op: PlanOp): boolean {
    return (["cpu", "gpu"] as const).some((side) => (["H", "OC"] as const).some((dim) => this.measuredParts.has(`${this.measuredKey(op, side)}:${dim}`)));
  }

  private measuredKey(op: PlanOp, side: Side): string {
    return `${side}:${opKey(op.ir.config, side === "cpu" ? op.cpuKernel : (op.gpuKernel ?? ""))}`;
  }

  /**
   * measured / predicted kernel time of the whole operator on `side`, where profile.calibration
   * measured it (1 otherwise): the whole operator then costs its measurement, and each part the
   * regression's price of the part times this factor.
   */
  calibration(op: PlanOp, side: Side): number {
    const key = this.measuredKey(op, side);
    let f = this.factorMemo.get(key);
    if (f === undefined) {
      const measured = this.measured.get(key);
      const c = op.ir.config;
      const predicted = measured === undefined || c.oh <= 0 || c.oc <= 0 ? 0 : this.kernelMs(c, side);
      f = measured !== undefined && predicted > 0 ? measured / predicted : 1;
      this.factorMemo.set(key, f);
    }
    return f;
  }

  /** A part (or the whole) of `op` on `side`: the kernel models' price, calibrated, plus dispatch. */
  partMs(op: PlanOp, side: Side, part: OpConfig): number {
    const f = this.partFactor(op, side, part);
    return side === "cpu" ? this.cpuMs(part, f) : this.gpuMs(part, f);
  }

  /**
   * measured / predicted for a part of `op` on `side`. Where profile.calibration.parts timed parts
   * of this operator split this way, the factor is interpolated linearly in the part's share
   * between the measured shares (and the whole's factor at share 1, where the whole was
   * measured), held flat beyond them; each measured part counts without contention (divided by
   * sharing.contention, which the planner applies again to a part beside its partner), so a part
   * of exactly a measured range costs its measurement. Elsewhere: the whole's factor.
   */
  private partFactor(op: PlanOp, side: Side, part: OpConfig): number {
    const whole = this.calibration(op, side);
    if (this.measuredParts.size === 0) return whole;
    const c = op.ir.config;
    const dim = part.oc < c.oc ? "OC" : part.oh < c.oh ? "H" : undefined;
    if (dim === undefined) return whole;
    const curve = this.curve(op, side, dim);
    if (curve.length === 0) return whole;
    return interpolate(curve, dim === "OC" ? part.oc / c.oc : part.oh / c.oh);
  }

  private curve(op: PlanOp, side: Side, dim: "H" | "OC"): ReadonlyArray<{ readonly x: number; readonly f: number }> {
    const key = `${this.measuredKey(op, side)}:${dim}`;
    let curve = this.curveMemo.get(key);
    if (curve !== undefined) return curve;
    const k = this.profile.sharing.contention?.[side] ?? 1;
    const c = op.ir.config;
    const byX = new Map<number, number[]>();
    for (const p of this.measuredParts.get(key) ?? []) {
      const [lo, hi] = p.range;
      const cfg = dim === "H" ? this.sliceRows(op, lo, hi) : this.sliceChannels(op, hi - lo);
      const predicted = cfg.oh > 0 && cfg.oc > 0 ? this.kernelMs(cfg, side) : 0;
      if (!(predicted > 0)) continue;
      const x = dim === "H" ? cfg.oh / c.oh : cfg.oc / c.oc;
      byX.set(x, [...(byX.get(x) ?? []), p.ms / k / predicted]);
    }
    curve = clustered([...byX].sort(([a], [b]) => a - b));
    if (curve.length > 0 && this.isCalibrated(op, side)) curve = [...curve.filter((p) => p.x < 1), { x: 1, f: this.calibration(op, side) }];
    this.curveMemo.set(key, curve);
    return curve;
  }

  /** partMs of output rows [lo, hi) of `op`, memoised by operator and range without building a key string. */
  rowsMs(op: PlanOp, side: Side, lo: number, hi: number): number {
    let memo = this.rowsMemo.get(op);
    if (memo === undefined) {
      memo = new Map();
      this.rowsMemo.set(op, memo);
    }
    const key = (lo * (op.ir.outRows + 1) + hi) * 2 + (side === "cpu" ? 1 : 0);
    let t = memo.get(key);
    if (t === undefined) {
      t = this.partMs(op, side, this.sliceRows(op, lo, hi));
      memo.set(key, t);
    }
    return t;
  }

  /** The runtime's fixed cost of a run: input in, output out (profile.runtime). */
  get perRunMs(): number {
    return this.profile.runtime?.perRunMs ?? 0;
  }

  /** The kernel's predicted time plus the runtime's dispatch of one operator on the GPU. */
  gpuMs(c: OpConfig, scale = 1): number {
    if (c.oh <= 0 || c.oc <= 0) return 0;
    return this.kernelMs(c, "gpu") * scale + (this.profile.runtime?.perGpuOpMs ?? 0);
  }

  /** The whole operator on one processor (compute only). */
  wholeMs(op: PlanOp, side: Side): number {
    if (side === "gpu" && !op.gpuCapable) return Number.POSITIVE_INFINITY;
    return this.partMs(op, side, op.ir.config);
  }

  /** The slab copy of `bytes` between the CPU buffer and the GPU tensor: a layout transform (images) or a buffer copy. */
  transferMs(bytes: number): number {
    const s = this.profile.sharing;
    return linearBytesMs(this.options.gpuStorage === "image" ? s.transform : (s.copy ?? s.transform), bytes);
  }

  /** Both parts of a split operator, each slowed by the other running beside it (sharing.contention). */
  concurrent(cpuMs: number, gpuMs: number): { cpuMs: number; gpuMs: number } {
    return contended(this.profile, cpuMs, gpuMs);
  }

  /** Moving a whole tensor of `bytes` to `to` (without the sync). */
  moveMs(bytes: number, to: Side): number {
    const s = this.profile.sharing;
    return this.transferMs(bytes) + linearBytesMs(to === "cpu" ? s.map : s.unmap, bytes);
  }

  /** The CPU's input slab in and its output slab back: Eq. 2's sharing terms. */
  sharing(inBytes: number, outBytes: number): Sharing {
    const s = this.profile.sharing;
    const transformMs = this.transferMs(inBytes) + this.transferMs(outBytes);
    return { transformMs, mapMs: linearBytesMs(s.map, inBytes) + linearBytesMs(s.unmap, outBytes), syncMs: s.syncMs };
  }

  /** One side of Eq. 2's sharing: the CPU's input slab in (to "cpu") or its output slab back (to "gpu"). */
  sharingSide(bytes: number, to: Side): number {
    return bytes > 0 ? this.moveMs(bytes, to) : 0;
  }

  /** Transfers a whole-operator placement on `side` pays for inputs living elsewhere. */
  entry(op: PlanOp, side: Side, homes: readonly Home[]): Sharing {
    const s = this.profile.sharing;
    let transformMs = 0;
    let mapMs = 0;
    op.inputBytes.forEach((bytes, i) => {
      const h = homes[i] ?? "any";
      if (h === "any" || h === side || bytes <= 0) return;
      transformMs += this.transferMs(bytes);
      mapMs += linearBytesMs(side === "cpu" ? s.map : s.unmap, bytes);
    });
    return { transformMs, mapMs, syncMs: transformMs + mapMs > 0 ? s.syncMs : 0 };
  }

  entryMs(op: PlanOp, side: Side, homes: readonly Home[]): number {
    const e = this.entry(op, side, homes);
    return e.transformMs + e.mapMs + e.syncMs;
  }

  /** The operator restricted to output rows [a, b). */
  sliceRows(op: PlanOp, a: number, b: number): OpConfig {
    const c = op.ir.config;
    if (a <= 0 && b >= op.ir.outRows) return c;
    if (op.ir.rowMap.kind === "window") return sliceRows(c, a, b);
    const [lo, hi] = inputRange(op.ir.rowMap, a, b);
    return { ...c, oh: b - a, ih: op.ir.rowMap.kind === "all" ? c.ih : hi - lo };
  }

  /** The operator restricted to `channels` output channels. */
  sliceChannels(op: PlanOp, channels: number): OpConfig {
    const c = op.ir.config;
    if (channels >= c.oc) return c;
    const cpg = op.ir.channelsPerGroup;
    if (c.groups > 1 && c.op === "conv2d" && cpg > 1) {
      const groups = channels / cpg;
      return { ...c, groups, ic: (c.ic / c.groups) * groups, oc: channels };
    }
    return sliceChannels(c, channels);
  }

  /** The OC slice unit: whole groups, and multiples of 4 with image storage. */
  channelUnit(op: PlanOp): number {
    const cpg = op.ir.config.groups > 1 && op.ir.config.op === "conv2d" ? op.ir.channelsPerGroup : 1;
    return this.options.gpuStorage === "image" ? lcm(4, cpg) : cpg;
  }

  /** Distinct GPU shares of a dimension for the ratio grid, both sides non-empty. */
  shares(op: PlanOp, dim: SplitDim, ratios: readonly number[]): Array<{ ratio: number; share: number }> {
    const out: Array<{ ratio: number; share: number }> = [];
    const seen = new Set<number>();
    for (const ratio of ratios) {
      const share = this.shareOf(op, dim, ratio);
      if (share === undefined || seen.has(share)) continue;
      seen.add(share);
      out.push({ ratio, share });
    }
    return out;
  }

  shareOf(op: PlanOp, dim: SplitDim, ratio: number): number | undefined {
    if (dim === "H") {
      const h = op.ir.outRows;
      if (h < 2) return undefined;
      return Math.min(h - 1, Math.max(1, Math.round(ratio * h)));
    }
    const oc = op.ir.outChannels;
    const unit = this.channelUnit(op);
    if (oc < 2 * unit || oc % unit !== 0) return undefined;
    return Math.min(oc - unit, Math.max(unit, Math.round((ratio * oc) / unit) * unit));
  }

  /** An OC split of one operator: both read the whole input (depthwise and pooling read their channels). */
  splitOc(op: PlanOp, ratio: number, share: number): SplitCost {
    const cpuPart = this.sliceChannels(op, op.ir.outChannels - share);
    const { cpuMs, gpuMs } = this.concurrent(this.partMs(op, "cpu", cpuPart), this.partMs(op, "gpu", this.sliceChannels(op, share)));
    const c = op.ir.config;
    const channelFraction = cpuPart.ic / c.ic;
    const inBytes = op.inputBytes.reduce((s, b) => s + b, 0) * (c.op === "fc" ? 1 : channelFraction);
    const outBytes = (op.ir.outputBytes * (op.ir.outChannels - share)) / op.ir.outChannels;
    const sh = this.sharing(inBytes, outBytes);
    return { dim: "OC", ratio, share, cpuMs, gpuMs, ...sh, totalMs: sh.transformMs + sh.mapMs + sh.syncMs + Math.max(cpuMs, gpuMs) };
  }
}

/**
 * Measured shares closer than PART_CLUSTER pooled into one point (their mean share, the median
 * factor): plans a grid step apart time nearly the same part, and a curve through each of them
 * would follow run-to-run noise, which the planner would then chase.
 */
const PART_CLUSTER = 0.1;

function clustered(points: ReadonlyArray<readonly [number, readonly number[]]>): Array<{ x: number; f: number }> {
  const out: Array<{ x: number; f: number }> = [];
  let i = 0;
  while (i < points.length) {
    const x0 = points[i]![0];
    const xs: number[] = [];
    const fs: number[] = [];
    for (; i < points.length && points[i]![0] - x0 < PART_CLUSTER; i++) {
      for (const f of points[i]![1]) {
        xs.push(points[i]![0]);
        fs.push(f);
      }
    }
    out.push({ x: xs.reduce((s, v) => s + v, 0) / xs.length, f: median(fs) });
  }
  return out;
}

/** Piecewise-linear through ascending points, flat beyond the first and the last. */
function interpolate(points: ReadonlyArray<{ readonly x: number; readonly f: number }>, x: number): number {
  const first = points[0]!;
  if (x <= first.x) return first.f;
  for (let i = 1; i < points.length; i++) {
    const b = points[i]!;
    if (x <= b.x) {
      const a = points[i - 1]!;
      return a.f + ((b.f - a.f) * (x - a.x)) / (b.x - a.x);
    }
  }
  return points[points.length - 1]!.f;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}
