import * as fs from "node:fs";
import * as path from "node:path";

/** A bench result folder as run.sh leaves it: passes/<name>.txt (one per pass, "RESULT case ms" lines) and meta.json. */
export function benchFolder(root: string, sub: string, passes: Readonly<Record<string, string>> | readonly string[], metaJson: string): string {
  const dir = path.join(root, sub);
  fs.mkdirSync(path.join(dir, "passes"), { recursive: true });
  const named = Array.isArray(passes) ? Object.fromEntries(passes.map((p, i) => [`p${i + 1}`, p])) : passes;
  for (const [name, text] of Object.entries(named)) fs.writeFileSync(path.join(dir, "passes", `${name}.txt`), text);
  fs.writeFileSync(path.join(dir, "meta.json"), metaJson);
  return dir;
}
