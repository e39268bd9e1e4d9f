/**
 * Progress of a long run: a one-line bar with ETA for terminals, and plain
 * periodic lines otherwise (CI logs). Pure formatting; the caller writes.
 */

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** ETA from the mean time per finished item. */
export function etaSeconds(done: number, total: number, elapsedSeconds: number): number {
  return done <= 0 ? Number.NaN : (elapsedSeconds / done) * (total - done);
}

export function progressBar(label: string, done: number, total: number, elapsedSeconds: number, width = 30): string {
  const frac = total <= 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(frac * width);
  const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  return `${label} [${bar}] ${done}/${total} ${(100 * frac).toFixed(0).padStart(3)}%  elapsed ${formatDuration(elapsedSeconds)}  ETA ${formatDuration(etaSeconds(done, total, elapsedSeconds))}`;
}

/** Calls `write` with a bar (TTY, redrawn in place) or a plain line at most every `everySeconds` (and at the end). */
export function createProgress(label: string, total: number, options: { tty: boolean; write: (s: string) => void; now?: () => number; everySeconds?: number }): (done: number) => void {
  const now = options.now ?? (() => Date.now() / 1000);
  const start = now();
  let last = -Infinity;
  const every = options.everySeconds ?? 15;
  return (done: number) => {
    const t = now();
    const elapsed = t - start;
    if (options.tty) {
      options.write(`\r${progressBar(label, done, total, elapsed)}${done >= total ? "\n" : ""}`);
      return;
    }
    if (done >= total || t - last >= every) {
      last = t;
      options.write(`${progressBar(label, done, total, elapsed)}\n`);
    }
  };
}
