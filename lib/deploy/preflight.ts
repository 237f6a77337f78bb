/**
 * What `npm run package` and `npm run deploy` check before anything is packaged: the policy that
 * will ship and every secret name it, or the deployment, names. A policy that does not load is
 * refused here with the loader's own words, rather than by every cold start in AWS.
 */

import { isAbsolute, normalize, sep } from "node:path";
import type { Policy } from "../policy/policy";
import { secretNameProblem } from "../secrets/secret-name";

/** The package-time parameters of serverless.yml that decide what ships, and where it goes. */
export interface ShipOptions {
  /** `--param="policyFile=…"`: the policy packaged with each function (policy.yml). */
  policyFile: string;
  /** `--param="tenantSecretPrefix=…"`: the prefix of every tenant secret the worker may read. */
  tenantSecretPrefix: string;
  /** `--param="slackSecretId=…"`: the Slack secret's id. */
  slackSecretId: string;
  /** `--package <dir>` (`-p`): where osls writes the package, or reads it to deploy. */
  packageDir: string | undefined;
}

/** serverless.yml's defaults for its package-time parameters. */
export const SHIP_DEFAULTS = {
  policyFile: "policy.yml",
  tenantSecretPrefix: "bm/tenant/",
  slackSecretId: "bm/slack",
} as const;

/**
 * Reads the arguments given to osls as osls reads them: `--param=k=v` or `--param k=v`, the key
 * before the first `=` (after any leading ones), the value after it to the line's end with its
 * trailing spaces cut, the last of a key
 * winning; `--package dir`, `--package=dir` or `-p dir`.
 */
export function shipOptions(args: readonly string[]): ShipOptions {
  const params = new Map<string, string>();
  let packageDir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [flag, inline] = splitFlag(arg);
    if (flag === "--param") {
      const item = inline ?? args[++i] ?? "";
      // osls's own pattern (its param source): unanchored, and `.` stops at a line's end.
      const match = /([^=]+)=(.+)/.exec(item);
      if (match) params.set(match[1] as string, (match[2] as string).trimEnd());
    } else if (flag === "--package" || flag === "-p") {
      packageDir = inline ?? args[++i];
    }
  }
  return {
    policyFile: params.get("policyFile") ?? SHIP_DEFAULTS.policyFile,
    tenantSecretPrefix: params.get("tenantSecretPrefix") ?? SHIP_DEFAULTS.tenantSecretPrefix,
    slackSecretId: params.get("slackSecretId") ?? SHIP_DEFAULTS.slackSecretId,
    packageDir,
  };
}

function splitFlag(arg: string): [string, string | undefined] {
  const at = arg.indexOf("=");
  return at < 0 ? [arg, undefined] : [arg.slice(0, at), arg.slice(at + 1)];
}

/**
 * Why the policy file cannot be packaged where the functions look for it, or null. osls packages
 * files of the project only, and the functions read `/var/task/<policyFile>`.
 */
export function policyFileProblem(policyFile: string): string | null {
  const path = normalize(policyFile);
  if (isAbsolute(policyFile) || path === ".." || path.startsWith(`..${sep}`))
    return `policyFile "${policyFile}" is outside the project: osls packages only the project's files, and each function reads /var/task/<policyFile>; give a path inside it, such as policy.yml`;
  return null;
}

/**
 * The secret names of a policy that loaded, and of the deployment, that would fail in AWS: a
 * name Secrets Manager refuses, or a tenant secret outside the prefix the worker's role may read.
 * Each problem names the file and the field.
 */
export function secretProblems(policy: Policy, options: ShipOptions): string[] {
  const problems: string[] = [];
  const file = `the policy file ${options.policyFile}`;
  const prefix = options.tenantSecretPrefix;
  const prefixProblem = secretNameProblem(prefix);
  if (prefixProblem)
    problems.push(
      `tenantSecretPrefix "${prefix}" ${prefixProblem} (--param="tenantSecretPrefix=…")`,
    );
  const slackProblem = secretNameProblem(options.slackSecretId);
  if (slackProblem)
    problems.push(
      `slackSecretId "${options.slackSecretId}" ${slackProblem} (--param="slackSecretId=…")`,
    );
  for (const [name, tenant] of Object.entries(policy.tenants)) {
    const field = `${file}: tenants.${name}.secret "${tenant.secret}"`;
    const problem = secretNameProblem(tenant.secret);
    if (problem) problems.push(`${field} ${problem}`);
    else if (!tenant.secret.startsWith(prefix))
      problems.push(
        `${field} is not under the tenantSecretPrefix "${prefix}": the worker's role may read ${prefix}* and no other secret; rename the secret, or deploy with --param="tenantSecretPrefix=…"`,
      );
  }
  return problems;
}
