/** Builds dist/ once per test run, so tests that spawn `bin/codl.js` run the current sources. */
import { execFileSync } from "node:child_process";
import * as path from "node:path";

export default function setup(): void {
  if (process.env.CODL_SKIP_BUILD === "1") return;
  execFileSync(process.execPath, [path.resolve("node_modules/typescript/bin/tsc"), "-p", "."], { stdio: "inherit" });
}
