/**
 * `npm run mutation:quick`: Stryker's incremental run, for a developer, against the baseline of
 * their own last run (reports/, never committed). Stryker notices a change only in a mutated file
 * or a test file; a change anywhere else (a fake, a support file, a config, the lock file) can
 * change what the tests see without it knowing. So the run is forced to a full one whenever any
 * tracked file other than a mutated module or a `*.test.ts` changed since the baseline was made:
 * what it reports is then the score of the code and tests as they are. CI runs `npm run
 * mutation` (a full run) and reports that.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";

const REPORT = "reports/mutation/mutation.json";
const BASELINE = "reports/stryker-incremental.json";
const INPUTS = "reports/mutation-inputs.json";

/** The modules the last run mutated (the report's files), or none when there is no report. */
function mutated(): Set<string> {
  if (!existsSync(REPORT)) return new Set();
  return new Set(
    Object.keys((JSON.parse(readFileSync(REPORT, "utf8")) as { files: object }).files),
  );
}

/**
 * One hash over every file of the tree (tracked, or new and not ignored) that may change what
 * the unit tests see, other than the mutated modules and the test files, which Stryker watches.
 */
function fingerprint(skip: Set<string>): string {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
    encoding: "utf8",
  })
    .split("\n")
    .filter((f) => f && existsSync(f) && !skip.has(f) && !/\.test\.ts$|\.md$|^docs\//.test(f))
    .sort();
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(file)).update("\0");
  return hash.digest("hex");
}

const stored = existsSync(INPUTS)
  ? (JSON.parse(readFileSync(INPUTS, "utf8")) as { fingerprint: string }).fingerprint
  : undefined;
const why = !existsSync(BASELINE)
  ? "there is no baseline yet"
  : stored !== fingerprint(mutated())
    ? "something other than a mutated module or a test file changed since the baseline"
    : undefined;
console.log(
  why ? `mutation:quick: a full run, as ${why}.` : "mutation:quick: incremental from the baseline.",
);
const run = spawnSync("npx", ["stryker", "run", "--incremental", ...(why ? ["--force"] : [])], {
  stdio: "inherit",
});
if (run.status !== 0) process.exit(run.status ?? 1);
mkdirSync("reports", { recursive: true });
writeFileSync(INPUTS, JSON.stringify({ fingerprint: fingerprint(mutated()) }, null, 2));
const check = spawnSync("npx", ["tsx", "scripts/check-survivors.ts"], { stdio: "inherit" });
process.exit(check.status ?? 1);
