/**
 * After `stryker run`: every module must score at least 90% and the whole at least 95%, and every
 * mutant that survived (or that no test reaches) must be accounted for in
 * test/mutation-equivalents.md. Each row there names its module first, in backticks, and how
 * many mutants it stands for, "(N)" in its first cell (one when it says no number). A module with
 * more survivors than its rows account for has a gap in its tests: this fails, naming each. One
 * with fewer has a stale row: said, not failed (a test may have come to kill it).
 *
 * Usage: tsx scripts/check-survivors.ts [report.json] [equivalents.md]
 */
import { readFileSync } from "node:fs";
import { plural } from "../lib/util/plural";

interface Mutant {
  id: string;
  status: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number } };
}

const reportPath = process.argv[2] ?? "reports/mutation/mutation.json";
const listPath = process.argv[3] ?? "test/mutation-equivalents.md";

const report = JSON.parse(readFileSync(reportPath, "utf8")) as {
  files: Record<string, { mutants: Mutant[] }>;
};
const listed = new Map<string, number>();
for (const line of readFileSync(listPath, "utf8").split("\n")) {
  const firstCell = line.match(/^\| `(lib\/[^`]+\.ts)`([^|]*)\|/);
  if (!firstCell) continue;
  const [, file, rest] = firstCell as unknown as [string, string, string];
  const count = Number(rest.match(/\((\d+)\)/)?.[1] ?? 1);
  listed.set(file, (listed.get(file) ?? 0) + count);
}

/** Stryker's score: detected (killed, timed out) of detected and undetected (survived, no coverage). */
function score(mutants: Mutant[]): { detected: number; undetected: number; percent: number } {
  const detected = mutants.filter((m) => m.status === "Killed" || m.status === "Timeout").length;
  const undetected = mutants.filter(
    (m) => m.status === "Survived" || m.status === "NoCoverage",
  ).length;
  const counted = detected + undetected;
  return { detected, undetected, percent: counted === 0 ? 100 : (100 * detected) / counted };
}

const MODULE_MIN = 90;
const WHOLE_MIN = 95;
let low = 0;
for (const [file, { mutants }] of Object.entries(report.files)) {
  const { detected, undetected, percent } = score(mutants);
  if (detected + undetected === 0) continue;
  const line = `${percent.toFixed(2).padStart(6)}%  ${String(detected + undetected).padStart(4)}  ${file}`;
  if (percent < MODULE_MIN) {
    low++;
    console.error(`${line}  below ${MODULE_MIN}%`);
  } else console.log(line);
}
const whole = score(Object.values(report.files).flatMap((f) => f.mutants));
console.log(
  `whole: ${whole.percent.toFixed(2)}% of ${whole.detected + whole.undetected} mutants (${whole.detected} detected, ${whole.undetected} not)`,
);
if (whole.percent < WHOLE_MIN) {
  console.error(`the whole scores below ${WHOLE_MIN}%`);
  low++;
}

let gaps = 0;
for (const [file, { mutants }] of Object.entries(report.files)) {
  const alive = mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage");
  const accounted = listed.get(file) ?? 0;
  listed.delete(file);
  if (alive.length > accounted) {
    gaps += alive.length - accounted;
    console.error(`${file}: ${alive.length} survived, ${accounted} accounted for:`);
    for (const m of alive) {
      const at = `${m.location.start.line}:${m.location.start.column}`;
      console.error(`  ${at} ${m.status} ${m.mutatorName} → ${JSON.stringify(m.replacement)}`);
    }
  } else if (alive.length < accounted) {
    console.log(`${file}: ${accounted} listed, ${alive.length} survived: a row is stale`);
  }
}
for (const [file, count] of listed) console.log(`${file}: ${count} listed, none survived`);
if (gaps > 0)
  console.error(
    `${plural(gaps, "surviving mutant")} not in ${listPath}: kill them, or list them there.`,
  );
if (low > 0) console.error(`${plural(low, "score")} below the thresholds.`);
if (gaps > 0 || low > 0) process.exit(1);
console.log(`Every surviving mutant is in ${listPath}.`);
