/**
 * `npm run package -- [osls options]` and `npm run deploy -- [osls options]`: osls, but only for
 * an install that can start. First the policy that will ship (`--param="policyFile=…"`, else
 * policy.yml) is loaded by the functions' own loader, and every secret name it and the
 * deployment name is checked (lib/deploy/preflight.ts); then the bundles are built and osls
 * packages; then each function's zip must hold its bundle and that very policy
 * (lib/deploy/package-check.ts). Only then does `deploy` deploy, from that package. Any refusal
 * names the file and the field, and exits 1 with nothing deployed; osls's own failure exits
 * with its status.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import {
  type CheckedPolicy,
  packagedFunctions,
  packageProblems,
  type ZipEntry,
  zipEntries,
} from "../lib/deploy/package-check";
import { policyFileProblem, secretProblems, shipOptions } from "../lib/deploy/preflight";
import { loadPolicy, PolicyError } from "../lib/policy/policy";
import { buildBundles } from "./build";

const ROOT = resolve(import.meta.dirname, "..");
const OSLS = join(ROOT, "node_modules/.bin/osls");
const DEFAULT_PACKAGE = ".serverless";

function refuse(what: string, problems: string[], hint?: string): never {
  process.stderr.write(
    `✖ npm run ${what} refused; nothing was ${what === "deploy" ? "deployed" : "packaged"}:\n${problems
      .map((p) => `  - ${p}\n`)
      .join("")}${hint ? `${hint}\n` : ""}`,
  );
  process.exit(1);
}

function osls(args: string[]): void {
  const run = spawnSync(OSLS, args, { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
}

/** The policy to ship, loaded and checked as the functions will load it. */
async function checkPolicy(mode: string, args: string[]): Promise<CheckedPolicy> {
  const options = shipOptions(args);
  const outside = policyFileProblem(options.policyFile);
  if (outside) refuse(mode, [outside]);
  let policy: Awaited<ReturnType<typeof loadPolicy>>;
  try {
    policy = await loadPolicy(options.policyFile);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    refuse(
      mode,
      [error.message],
      existsSync(options.policyFile)
        ? undefined
        : `Copy infra/policy.example.yml to ${options.policyFile} and edit it (docs/deploy.md#the-policy), or name your policy with --param="policyFile=<path>".`,
    );
  }
  const problems = secretProblems(policy, options);
  if (problems.length > 0) refuse(mode, problems);
  const bytes = await readFile(options.policyFile);
  const channels = Object.keys(policy.channels).length;
  const tenants = Object.keys(policy.tenants).length;
  process.stdout.write(
    `✔ ${options.policyFile}: the policy loads (${channels} channel${channels === 1 ? "" : "s"}, ${tenants} tenant${tenants === 1 ? "" : "s"}), its secret names are valid\n`,
  );
  return { file: options.policyFile, crc32: crc32(bytes), size: bytes.length };
}

/** Each function's zip in `dir` holds its bundle and the policy checked. */
async function checkPackage(mode: string, dir: string, policy: CheckedPolicy): Promise<void> {
  const template = JSON.parse(
    await readFile(join(dir, "cloudformation-template-update-stack.json"), "utf8"),
  );
  const functions = packagedFunctions(template);
  const zips = new Map<string, ZipEntry[] | undefined>();
  for (const fn of functions) {
    const path = join(dir, fn.zip);
    zips.set(fn.zip, existsSync(path) ? zipEntries(await readFile(path)) : undefined);
  }
  const problems = packageProblems(functions, zips, policy);
  if (functions.length === 0) problems.push(`the template in ${dir} has no function`);
  if (problems.length > 0) refuse(mode, problems);
  process.stdout.write(
    `✔ ${dir}: each of the ${functions.length} functions' zips holds its bundle and ${policy.file}\n`,
  );
}

const [mode, ...args] = process.argv.slice(2);
if (mode !== "package" && mode !== "deploy") {
  process.stderr.write("usage: tsx scripts/ship.ts package|deploy [osls options]\n");
  process.exit(2);
}
process.chdir(ROOT);
const policy = await checkPolicy(mode, args);
const given = shipOptions(args).packageDir;
if (mode === "deploy" && given) {
  // A package made before: deployed as it is, once it holds the policy checked now.
  await checkPackage(mode, given, policy);
  osls(["deploy", ...args]);
} else {
  await buildBundles();
  osls(["package", ...args]);
  const dir = given ?? DEFAULT_PACKAGE;
  await checkPackage(mode, dir, policy);
  if (mode === "deploy") osls(["deploy", ...args, "--package", dir]);
}
