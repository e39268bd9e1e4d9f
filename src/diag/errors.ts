/**
 * The error catalogue. Every user-facing failure of codl is a CompilerError
 * with a stable code from CATALOGUE; tests assert on codes, never on wording.
 *
 * Exit codes: 0 ok, 1 internal error, 2 bad input, 3 unsupported model feature.
 * This module is a leaf: it imports nothing of ours.
 */

export type ExitCode = 1 | 2 | 3;

interface Entry {
  readonly exit: ExitCode;
  /** Message template; `{name}` placeholders are filled from the details record. */
  readonly template: string;
  readonly hint?: string;
}

export const CATALOGUE = {
  // Files and decoding
  "CODL-E001": { exit: 2, template: "cannot read {path}: {cause}", hint: "check that the path exists and is readable" },
  "CODL-E002": { exit: 2, template: "{path} is not an ONNX model: {cause}", hint: "pass a .onnx file written by an ONNX exporter" },
  "CODL-E003": { exit: 2, template: "{path} is truncated or corrupt: {cause}", hint: "re-export or re-download the model" },
  "CODL-E004": { exit: 2, template: "{path} has no graph", hint: "the ModelProto must contain a graph" },
  "CODL-E005": { exit: 2, template: "{path} is empty" },
  // Graph structure
  "CODL-E010": { exit: 2, template: "tensor '{tensor}' is produced twice (by {first} and {second})" },
  "CODL-E011": { exit: 2, template: "the graph has a cycle through node {node}" },
  "CODL-E012": { exit: 2, template: "node {node} ({op}) reads tensor '{tensor}', which no node, input or initializer provides", hint: "a missing initializer or a dangling name" },
  "CODL-E013": { exit: 2, template: "tensor '{tensor}' has invalid dimension {dim} at axis {axis}", hint: "dimensions must be positive integers" },
  "CODL-E014": { exit: 2, template: "tensor '{tensor}' has {elements} elements, beyond 2^53", hint: "dimensions are absurd; the model is corrupt" },
  "CODL-E015": { exit: 2, template: "input '{tensor}' has dynamic dimension '{dim}' at axis {axis}", hint: "give a static shape with --input-shape {tensor}=1x3x224x224" },
  "CODL-E016": { exit: 2, template: "invalid --input-shape '{value}': {cause}", hint: "use name=1x3x416x416; the name must be a graph input" },
  "CODL-E017": { exit: 2, template: "graph output '{tensor}' is not produced by any node, input or initializer" },
  "CODL-E018": { exit: 2, template: "tensor '{tensor}' has an unusable type: {cause}" },
  "CODL-E019": { exit: 2, template: "node {node} ({op}) is invalid: {cause}" },
  // Tensor data
  "CODL-E020": { exit: 2, template: "tensor '{tensor}' points to external data '{location}', outside the model's folder", hint: "external data files must sit inside the model's own folder" },
  "CODL-E021": { exit: 2, template: "cannot read external data '{location}' of tensor '{tensor}': {cause}" },
  "CODL-E022": { exit: 2, template: "tensor '{tensor}' claims {claimed} bytes but {available} are available", hint: "the model or its external data is truncated" },
  "CODL-E023": { exit: 2, template: "tensor '{tensor}' would need {bytes} bytes, more than the limit of {limit}", hint: "the model is corrupt or absurdly large" },
  "CODL-E024": { exit: 2, template: "tensor '{tensor}' has no data of the expected kind: {cause}" },
  // Shapes and attributes
  "CODL-E030": { exit: 2, template: "node {node} ({op}): {cause}" },
  // Unsupported features (exit 3)
  "CODL-E040": { exit: 3, template: "operator {op} of node {node} is not supported", hint: "run `codl inspect` to list every unsupported operator" },
  "CODL-E041": { exit: 3, template: "node {node} ({op}) uses an unsupported feature: {cause}" },
  "CODL-E042": { exit: 3, template: "opset {version} of domain '{domain}' is not supported ({cause})" },
  "CODL-E043": { exit: 3, template: "tensor '{tensor}' has unsupported data type {dtype}" },
  // Options and profiles
  "CODL-E050": { exit: 2, template: "invalid option {option}: {cause}" },
  "CODL-E051": { exit: 2, template: "unknown pass '{pass}' for --dump-after", hint: "valid passes: {valid}" },
  // Device profiles, samples and training
  "CODL-E060": { exit: 2, template: "profile {path} is invalid at {field}: {cause}", hint: "see schemas/device-profile.schema.json" },
  "CODL-E061": { exit: 2, template: "unknown device profile '{id}'", hint: "known profiles: {known}" },
  "CODL-E062": { exit: 2, template: "{path}:{line}: column '{column}': {cause}", hint: "samples CSV columns are described in DESIGN.md section 3" },
  "CODL-E063": { exit: 2, template: "{path}: kernel '{kernel}' has no usable training rows ({cause})", hint: "add samples for this kernel, or train from a base profile that has a model for it" },
  "CODL-E064": { exit: 2, template: "profile {path} is not valid JSON: {cause}" },
  // Profiling and calibration
  "CODL-E070": { exit: 2, template: "invalid profile options: {cause}", hint: "codl profile takes --models a.onnx,… or --builtin paper (or --collect DIR)" },
  "CODL-E071": { exit: 2, template: "cannot write the profile harness to {path}: {cause}" },
  "CODL-E072": { exit: 1, template: "building the profile harness in {path} failed: {cause}", hint: "the build log is in the message; check cmake, a C++17 compiler, OpenCL and XNNPACK (scripts/native-deps.sh)" },
  "CODL-E073": { exit: 2, template: "{path} is not a codl profile harness: {cause}", hint: "pass the folder codl profile wrote (it holds cases.json)" },
  "CODL-E074": { exit: 2, template: "no measurements to collect in {path}: {cause}", hint: "run the harness first (sh run.sh), then collect" },
  "CODL-E075": { exit: 2, template: "trace {path} is invalid: {cause}", hint: "pass a trace written by codl_run --trace" },
  "CODL-E076": { exit: 2, template: "trace {path} does not match {what}: {cause}", hint: "a trace belongs to the bundle (and model) it was run from" },
  "CODL-E077": { exit: 2, template: "nothing to profile: {cause}" },
  // Planning, bundles, explain and diff
  "CODL-E080": { exit: 2, template: "--out {path} exists and is not a directory", hint: "give a directory (it is replaced atomically) or a new path" },
  "CODL-E081": { exit: 2, template: "cannot write the bundle to {path}: {cause}", hint: "check that the parent folder exists and is writable" },
  "CODL-E082": { exit: 2, template: "unknown strategy '{strategy}'", hint: "strategies: {known}" },
  "CODL-E083": { exit: 2, template: "--ratio-step {value} is outside (0, 0.5]", hint: "use e.g. 0.025 (the default) or 0.1 (the paper's grid)" },
  "CODL-E084": { exit: 2, template: "strategy 'ideal' is a bound and cannot be emitted", hint: "it is reported beside every plan; choose codl, codl-greedy, mulayer, cpu or gpu" },
  "CODL-E085": { exit: 2, template: "{path} is neither an ONNX model nor a bundle directory", hint: "pass a .onnx file (with --device) or a folder written by codl compile" },
  "CODL-E086": { exit: 2, template: "bundle {path} is invalid: {cause}", hint: "recompile it with codl compile" },
  "CODL-E087": { exit: 2, template: "operator '{op}' is not in the plan", hint: "operators: {known}" },
  "CODL-E088": { exit: 2, template: "explaining a model needs --device", hint: "pass --device <id|path>, or explain a compiled bundle directory" },
  // Code generation
  "CODL-E089": { exit: 2, template: "--min-gain {value} is outside [0, 1)", hint: "use e.g. 0.05: a co-execution plan must then be predicted 5% faster than the better single processor" },
  "CODL-E090": { exit: 3, template: "operator {op} ({node}) cannot be emitted: {cause}", hint: "compile with --strategy cpu, or rewrite the operator before export" },
  "CODL-E091": { exit: 2, template: "invalid {option} '{value}': {cause}", hint: "--force-dim H|OC needs --force-ratio r with 0 < r < 1" },
  "CODL-E092": { exit: 1, template: "the codl runtime sources are missing at {path}", hint: "reinstall codl; the package ships codegen/runtime/" },
  "CODL-E093": { exit: 2, template: "invalid --gpu-precision '{value}'", hint: "use fp32 (the default) or fp16" },
  "CODL-E094": { exit: 2, template: "cannot write {path}: {cause}", hint: "check that the parent folder exists and is writable" },
  "CODL-E095": { exit: 2, template: "--fp16-tolerance {value} is not a number in (0, 1]", hint: "the largest estimated binary16 error, relative to an output's range, that --gpu-precision fp16 accepts (default 1e-2)" },
  "CODL-E096": { exit: 3, template: "graph {kind} '{name}' has rank {rank}", hint: "the runtime takes graph inputs and outputs of rank 1 to 4; reshape to 4-D or fewer before export (inner tensors may have any rank)" },
  "CODL-E097": { exit: 2, template: "--rebalance-steps {value} is not an integer in [0, 20]", hint: "the runtime may move each H split up to this many ratio steps either way (default 0: the compiled cut only)" },
  // Internal
  "CODL-E100": { exit: 1, template: "internal error: {cause}", hint: "please report this with the model and --debug output" },
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof CATALOGUE;
export type Details = Readonly<Record<string, string | number | bigint>>;

export class CompilerError extends Error {
  readonly code: ErrorCode;
  readonly details: Details;
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, details: Details = {}, options?: { cause?: unknown }) {
    const entry: Entry = CATALOGUE[code];
    super(formatTemplate(entry.template, details), options);
    this.name = "CompilerError";
    this.code = code;
    this.details = details;
    this.exitCode = entry.exit;
    this.hint = entry.hint === undefined ? undefined : formatTemplate(entry.hint, details);
  }
}

export function formatTemplate(template: string, details: Details): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = details[key];
    return value === undefined ? whole : String(value);
  });
}

/** Throws CODL-E100 when an internal invariant is broken. */
export function assertInternal(condition: unknown, cause: string): asserts condition {
  if (!condition) throw new CompilerError("CODL-E100", { cause });
}

export function isCompilerError(e: unknown): e is CompilerError {
  return e instanceof CompilerError;
}
