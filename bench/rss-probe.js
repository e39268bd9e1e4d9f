// Preloaded into the measured process (node --import): reports its peak RSS
// (getrusage ru_maxrss, KiB on Linux) on file descriptor 3 at exit.
import { writeSync } from "node:fs";

process.on("exit", () => {
  try {
    writeSync(3, `${process.resourceUsage().maxRSS}\n`);
  } catch {
    // fd 3 is absent when run outside the benchmark.
  }
});
