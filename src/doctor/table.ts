// Renders doctor results as a terminal table: a mark, the check, what was seen; each ✗ followed by its fix.
import type { CheckResult } from "./checks.js";

const NAME_WIDTH_MAX = 40;

/** Wraps at spaces so long details and fixes stay readable in an 100-column terminal. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length ? lines : [""];
}

export function formatResults(results: CheckResult[], width = 100): string {
  // Names that get a line of their own do not widen the column.
  const nameWidth = Math.max(5, ...results.map((r) => r.name.length).filter((n) => n <= NAME_WIDTH_MAX));
  const detailWidth = Math.max(30, width - nameWidth - 4);
  const out: string[] = [];
  for (const r of results) {
    const mark = r.ok ? "✓" : "✗";
    const lines = wrap(r.detail, detailWidth);
    // A long name (a user group listed in several variables) gets a line of its own, never cut.
    if (r.name.length > nameWidth) out.push(`${mark} ${r.name}`);
    else out.push(`${mark} ${r.name.padEnd(nameWidth)}  ${lines.shift() ?? ""}`);
    for (const l of lines) out.push(`  ${" ".repeat(nameWidth)}  ${l}`);
    if (!r.ok && r.fix) {
      const [f1, ...fr] = wrap(r.fix, detailWidth - 5);
      out.push(`  ${" ".repeat(nameWidth)}  fix: ${f1}`);
      for (const l of fr) out.push(`  ${" ".repeat(nameWidth)}       ${l}`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  out.push("");
  out.push(failed === 0 ? `All ${results.length} checks passed.` : `${failed} of ${results.length} checks failed.`);
  return out.join("\n") + "\n";
}
