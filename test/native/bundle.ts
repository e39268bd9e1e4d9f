/**
 * Assembles and builds native bundles for the tests: copies a bundle folder
 * and the runtime (as src/runtime/, the way the emitter lays a bundle out)
 * into build/native/, writing only files whose bytes changed so CMake's
 * incremental build stays fast, then configures once and builds.
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");
export const runtimeDir = path.join(repoRoot, "codegen/runtime");

/** Native tests may skip only outside CI, and only when the toolchain is missing. */
export function nativeToolchainMissing(): string | undefined {
  if (process.env.CI) return undefined;
  if (spawnSync("cmake", ["--version"]).status !== 0) return "cmake";
  if (spawnSync("c++", ["--version"]).status !== 0) return "c++";
  if (!fs.existsSync("/usr/include/CL/cl.h")) return "OpenCL headers";
  if (spawnSync("bash", [path.join(repoRoot, "scripts/native-deps.sh")]).status !== 0) return "XNNPACK";
  return undefined;
}

/** The CMake prefix of the host's XNNPACK when the system lacks it (scripts/native-deps.sh). */
export function xnnpackPrefix(): string {
  const r = spawnSync("bash", [path.join(repoRoot, "scripts/native-deps.sh")], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`scripts/native-deps.sh failed:\n${r.stderr}`);
  return r.stdout.trim();
}

export function writeIfChanged(file: string, bytes: Uint8Array | string): void {
  const next = typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (fs.existsSync(file) && fs.readFileSync(file).equals(next)) return;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, next);
}

export function copyTree(from: string, to: string, skip: (rel: string) => boolean = () => false): void {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const rel = path.relative(from, src);
    if (skip(rel)) continue;
    if (entry.isDirectory()) copyTree(src, path.join(to, entry.name));
    else writeIfChanged(path.join(to, entry.name), fs.readFileSync(src));
  }
}

/** Copies `source` (a bundle folder) to `dir` with the runtime in dir/src/runtime. */
export function assembleBundle(source: string, dir: string): void {
  copyTree(source, dir, (rel) => rel.startsWith("build") || rel === "README.md");
  copyTree(runtimeDir, path.join(dir, "src/runtime"));
}

export interface BuildResult {
  readonly seconds: number;
  readonly codlRun: string;
}

/** cmake -S dir -B dir/<buildDir> && cmake --build; throws with the log on failure. */
export function buildBundle(dir: string, extraConfig: readonly string[] = [], buildDir = "build"): BuildResult {
  const started = Date.now();
  const build = path.join(dir, buildDir);
  const run = (args: string[]) => {
    const r = spawnSync("cmake", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`cmake ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  };
  const prefix = xnnpackPrefix();
  // Configuring every time is about a second, and picks up a changed XNNPACK location.
  run(["-S", dir, "-B", build, "-DCMAKE_BUILD_TYPE=Release", `-DCMAKE_PREFIX_PATH=${prefix}`, ...extraConfig]);
  run(["--build", build, "-j2"]);
  return { seconds: (Date.now() - started) / 1000, codlRun: path.join(build, "codl_run") };
}
