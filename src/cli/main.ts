/**
 * The `codl` program. Commander parses the command line; each command is a
 * plain async handler returning a CommandResult. This file alone touches
 * `process`: it prints results, maps errors to exit codes (2 bad input,
 * 3 unsupported, 1 internal) and shows stack traces only with --debug.
 */

import { Command, CommanderError } from "commander";
import { ZodError } from "zod";
import { CompilerError, formatTemplate } from "../diag/errors.js";
import { PASS_NAMES } from "../passes/pipeline.js";
import { DEFAULT_MAX_ROUNDS, DEFAULT_MIN_MS } from "../profile/harness.js";
import { DEFAULT_RATIO_STEP } from "../plan/index.js";
import { runDevicesList, runDevicesSchema, runDevicesShow } from "./devices.js";
import { runInspect } from "./inspect.js";
import { runTrain } from "./train.js";
import { runCompile } from "./compile.js";
import { runDiff } from "./diff.js";
import { runExplain } from "./explain.js";
import { runProfile } from "./profile.js";
import { packageVersion } from "./io.js";
import type { CommandResult } from "./result.js";

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function describe(error: unknown, debug: boolean): { text: string; exitCode: number } {
  if (error instanceof CompilerError) {
    const lines = [`error ${error.code}: ${error.message}`];
    if (error.hint !== undefined) lines.push(`  hint: ${error.hint}`);
    if (debug && error.stack) lines.push(error.stack);
    return { text: lines.join("\n"), exitCode: error.exitCode };
  }
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const option = issue?.path.join(".") ?? "?";
    const e = new CompilerError("CODL-E050", { option: `--${option}`, cause: issue?.message ?? "invalid" });
    return describe(e, debug);
  }
  const cause = error instanceof Error ? error.message : String(error);
  const text = `error CODL-E100: ${formatTemplate("internal error: {cause}", { cause })}\n  hint: please report this with the model and --debug output`;
  return { text: debug && error instanceof Error && error.stack ? `${text}\n${error.stack}` : text, exitCode: 1 };
}

export async function main(argv: readonly string[]): Promise<number> {
  const debug = argv.includes("--debug");
  let result: CommandResult | undefined;
  const program = new Command();
  program
    .name("codl")
    .description("Ahead-of-time compiler for CPU+GPU co-execution of CNN inference on mobile SoCs (CoDL)")
    .version(packageVersion(), "-V, --version")
    .option("--debug", "show stack traces for errors")
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });

  program
    .command("inspect")
    .description("import a model and report operators, shapes, FLOPs, parameters, fusions and unsupported operators")
    .argument("<model>", "ONNX model file")
    .option("--json", "print the report as JSON")
    .option("--input-shape <name=dims>", "static shape for a dynamic input, e.g. input=1x3x224x224 (repeatable)", collect, [])
    .option("--dump-after <pass>", `print the IR after a pass (${PASS_NAMES.join(", ")})`)
    .action(async (model: string, options: unknown) => {
      result = await runInspect(model, options);
    });

  program
    .command("train")
    .description("fit one latency model per kernel implementation from a samples CSV and write a profile")
    .argument("[samples]", "samples CSV (DESIGN.md §3)")
    .requiredOption("--base <profile>", "profile id or path to start from")
    .requiredOption("--out <file>", "where to write the fitted profile")
    .option("--holdout <fraction>", "held-out share, split by unique configuration", "0.3")
    .option("--seed <n>", "split seed", "66")
    .option("--splits <n>", "also score n−1 further splits (seeds seed+1 …) and print the mean and spread of the overall ±10%; the profile is fitted on the first", "1")
    .option("--ridge <lambda>", "ridge regularisation")
    .option("--from-trace <files>", "also fit from codl_run --trace traces (comma-separated)")
    .option("--model <files>", "with --from-trace: the ONNX model of each trace's bundle, in order")
    .option("--input-shape <[file.onnx:]name=dims>", "with --model: static shape for a dynamic input; file.onnx: limits it to that model (repeatable)", collect, [])
    .option("--runtime-only", "with --from-trace and no samples: fit only what whole runs show (runtime overhead per run and operator; contention and buffer copies where the traces hold them); keep every kernel model of the base")
    .option("--calibrate", "with --from-trace: record every whole operator the traces timed (profile.calibration); the planner prices those exact operators, and scales their parts, by the measurement")
    .option("--date <YYYY-MM-DD>", "when the samples or traces were measured: the profile's provenance.date (default: the base profile's)")
    .action(async (samples: string | undefined, options: unknown) => {
      result = await runTrain(samples, options);
    });

  const devices = program
    .command("devices")
    .description("list the built-in device profiles")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      result = await runDevicesList({ json: options.json === true });
    });
  devices
    .command("show")
    .description("show one device profile")
    .argument("<profile>", "profile id or path")
    .option("--json", "print the whole profile as JSON")
    .action(async (ref: string, options: { json?: boolean }) => {
      result = await runDevicesShow(ref, { json: options.json === true });
    });
  devices
    .command("schema")
    .description("print the device-profile JSON Schema, or write it")
    .option("--write <file>", "write it to a file")
    .action(async (options: { write?: string }) => {
      result = await runDevicesSchema(options.write === undefined ? {} : { write: options.write });
    });

  program
    .command("compile")
    .description("plan CPU+GPU co-execution of a model for a device and write the bundle (plan, generated C++/OpenCL, weights, CMake)")
    .argument("<model>", "ONNX model file")
    .requiredOption("--device <profile>", "device profile id (see codl devices) or path")
    .requiredOption("--out <dir>", "bundle folder to write (replaced atomically)")
    .option("--strategy <name>", "codl, codl-greedy, mulayer, cpu or gpu", "codl")
    .option("--ratio-step <r>", "ratio grid step, in (0, 0.5]", String(DEFAULT_RATIO_STEP))
    .option("--min-gain <f>", "codl keeps the better single processor unless co-execution is predicted this fraction faster (default: the profile's planner.minGain, else 0)")
    .option("--input-shape <name=dims>", "static shape for a dynamic input, e.g. input=1x3x224x224 (repeatable)", collect, [])
    .option("--force-dim <dim>", "testing aid: split every operator that allows it along H or OC (with --force-ratio)")
    .option("--force-ratio <r>", "testing aid: the GPU's share for --force-dim, in (0, 1)")
    .option("--force-chain", "testing aid: with --force-dim H, chain consecutive chainable operators")
    .option("--gpu-precision <p>", "storage precision of GPU tensors and weights: fp32 or fp16 (the GPU computes in fp32)", "fp32")
    .option("--fp16-tolerance <e>", "fp16 is refused (fp32 kept) where an output's estimated binary16 error exceeds this share of its range (default 0.01)")
    .option("--rebalance-steps <n>", "emit each H split also cut 1..n ratio steps either way; the runtime moves to the cut that balances the two sides, run by run (default 0)")
    .option("--cpu-only-build", "a bundle that builds without OpenCL (every operator on the CPU)")
    .option("--plan-only", "write plan.json and manifest.json only, no code")
    .option("--json", "print the summary as JSON")
    .action(async (model: string, options: unknown) => {
      result = await runCompile(model, options);
    });

  program
    .command("explain")
    .description("explain a plan operator by operator: decision, predicted parts, alternatives, reason; chains; HTML timeline")
    .argument("<target>", "ONNX model file (with --device) or a bundle folder")
    .option("--device <profile>", "device profile id or path (needed for a model)")
    .option("--op <name>", "only this operator (name or id), with its ranges and halo")
    .option("--format <format>", "text, json or html", "text")
    .option("--strategy <name>", "strategy to plan a model with", "codl")
    .option("--ratio-step <r>", "ratio grid step, in (0, 0.5]", String(DEFAULT_RATIO_STEP))
    .option("--min-gain <f>", "codl keeps the better single processor unless co-execution is predicted this fraction faster (default: the profile's planner.minGain, else 0)")
    .option("--input-shape <name=dims>", "static shape for a dynamic input (repeatable)", collect, [])
    .option("--trace <trace.json>", "a codl_run --trace of the bundle: predicted vs measured per operator, with the error")
    .action(async (target: string, options: unknown) => {
      result = await runExplain(target, options);
    });

  program
    .command("diff")
    .description("list the operators whose decision changed between two bundles, and the predicted latency delta")
    .argument("<a>", "bundle folder")
    .argument("<b>", "bundle folder")
    .option("--json", "print JSON")
    .action(async (a: string, b: string, options: unknown) => {
      result = await runDiff(a, b, options);
    });

  program
    .command("profile")
    .description("measure a device with codl's own kernels: write (and with --run build and run) a harness of single-operator models; samples CSV")
    .option("--models <files>", "ONNX models whose operator shapes to sweep (comma-separated)")
    .option("--builtin <set>", "built-in shapes instead of models: paper (the CoDL paper's five models)")
    .option("--device <profile>", "base profile: the GPU blocking parameters the kernels are generated for", "sd888")
    .option("--out <dir>", "harness folder (with --collect: the samples CSV to write)", "codl-profile")
    .option("--run", "build and run the harness on this machine, then write <out>/samples.csv")
    .option("--build", "build the harness here (and copy its libraries into <out>/lib) without running it: to carry it elsewhere")
    .option("--threads <n>", "XNNPACK threads", "1")
    .option("--pocl-threads <n>", "PoCL worker threads (POCL_MAX_PTHREAD_COUNT)")
    .option("--rounds <n>", "measured rounds per case (default 7; 3 with --quick)")
    .option("--min-ms <ms>", `past --rounds, keep measuring a case until its rounds add up to this much wall time (default ${DEFAULT_MIN_MS})`)
    .option("--max-rounds <n>", `at most this many measured rounds per case (default ${DEFAULT_MAX_ROUNDS}, or --rounds if more)`)
    .option("--warmup <n>", "warm-up rounds per case (default 2; 1 with --quick)")
    .option("--passes <n>", "passes over all cases, each case measured in every pass (default 3; 1 with --quick)")
    .option("--estimate <how>", "each case's latency from its passes: min-pass (the lowest pass median; a VM's slowdowns only add) or pooled (the median of every round)", "min-pass")
    .option("--quick", "a small sweep (a few operators, two ratios): minutes, for CI")
    .option("--max-ops <n>", "sweep at most this many operators (evenly spread)")
    .option("--only <ops>", "sweep only nodes of these ONNX operator types, e.g. Pad,Tanh (comma-separated)")
    .option("--ratios <list>", "GPU shares to sweep per dimension (default 0.1,…,0.9; 0.3,0.7 with --quick)")
    .option("--modes <list>", "only these kinds of case: cpu, gpu, split (comma-separated; split rows' sync terms need the gpu cases too)")
    .option("--input-shape <[file.onnx:]name=dims>", "static shape for a dynamic input; file.onnx: limits it to that model (repeatable)", collect, [])
    .option("--collect <dir>", "turn a harness folder's results/ into samples CSV")
    .action(async (options: unknown) => {
      result = await runProfile(options, { tty: process.stderr.isTTY === true, writeErr: (s) => process.stderr.write(s), env: process.env });
    });

  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      if (error.exitCode === 0 || error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      process.stderr.write(`error CODL-E050: ${error.message.replace(/^error: /, "")}\n`);
      return 2;
    }
    const { text, exitCode } = describe(error, debug);
    process.stderr.write(`${text}\n`);
    return exitCode;
  }
  if (result === undefined) return 0;
  process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  return result.exitCode;
}
