#!/usr/bin/env bash
# The whole test suite: lint (fails on warnings), type-check and build, then
# every vitest test. Ends with one line "N passed, N failed, N skipped" and
# exits non-zero if any test failed or none ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx biome lint --error-on-warnings .
node node_modules/typescript/bin/tsc -p .
mkdir -p build
status=0
CODL_SKIP_BUILD=1 npx vitest run --reporter=default --reporter=json --outputFile.json=build/vitest.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("build/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  // A suite that fails outside any test (beforeAll, import) counts as a failure too.
  const failed = r.numFailedTests + r.testResults.filter((f) => f.status === "failed" && f.assertionResults.every((a) => a.status !== "failed")).length;
  console.log(`${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0 || failed > 0 || !r.success) process.exit(1);
' || status=1
exit "$status"
