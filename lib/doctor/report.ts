/**
 * The doctor's report as a terminal shows it: one line per check, `ok` or `FAIL` first, then a
 * summary; and its exit code.
 */

import { plural } from "../util/plural";
import type { Line } from "./ports";

/** `ok   policy: …` or `FAIL channel C0NOBOT: …`. */
export function formatLine(line: Line): string {
  return `${line.ok ? "ok  " : "FAIL"} ${line.check}: ${line.text}`;
}

/** The last line: how many checks, how many failed, how long it took. */
export function summary(lines: readonly Line[], ms: number): string {
  const failed = lines.filter((l) => !l.ok).length;
  const took = `${(ms / 1000).toFixed(1)} s`;
  return failed === 0
    ? `all ${plural(lines.length, "check")} hold (${took})`
    : `${failed} of ${plural(lines.length, "check")} failed (${took})`;
}

/** 0 when every check holds, 1 otherwise. */
export function exitCode(lines: readonly Line[]): 0 | 1 {
  return lines.every((l) => l.ok) ? 0 : 1;
}
