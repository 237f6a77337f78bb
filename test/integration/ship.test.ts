import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { npmRun } from "../support/ship";

/**
 * `npm run package` refuses what could not start in AWS before it builds or packages anything:
 * each case here ends in about a second. The package that passes is checked, zips and all, by
 * deployment.test.ts, which packages anyway.
 */
let parent: string;
let into: string;
beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), "bm-ship-"));
  into = join(parent, "package");
});
afterAll(() => rm(parent, { recursive: true, force: true }));

const refused = (lines: string[], hint = "", mode = "package") =>
  `✖ npm run ${mode} refused; nothing was ${mode === "deploy" ? "deployed" : "packaged"}:\n${lines.map((l) => `  - ${l}\n`).join("")}${hint}`;

const MISSING = "test/fixtures/policies/missing.yml";

// The same check on package's path and on deploy's: it refuses before it builds, packages or
// reaches AWS (there are no credentials to reach it with: test/support/ship.ts).
describe.concurrent("a policy file that is not there", () => {
  it.each([
    ["package" as const, []],
    ["deploy" as const, ["--stage", "shiptest"]],
  ])("npm run %s refuses it, naming it and saying how to make one", async (mode, extra) => {
    const to = join(parent, `missing-${mode}`);
    const run = await npmRun(mode, [`--param=policyFile=${MISSING}`, ...extra, "--package", to]);
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: refused(
        [`the policy file ${MISSING} (BM_POLICY) cannot be read`],
        `Copy infra/policy.example.yml to ${MISSING} and edit it (docs/deploy.md#the-policy), or name your policy with --param="policyFile=<path>".\n`,
        mode,
      ),
    });
    expect(existsSync(to)).toBe(false);
  });
});

describe.concurrent("npm run package", () => {
  it("refuses approvals: one with the loader's message, naming the file and the field", async () => {
    const run = await npmRun("package", [
      "--param",
      "policyFile=test/fixtures/policies/approvals-one.yml",
      "--package",
      into,
    ]);
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: refused([
        "the policy file test/fixtures/policies/approvals-one.yml is invalid: channels.C0CHANGES01.approvals: approvals must be a number",
      ]),
    });
    expect(existsSync(into)).toBe(false);
  });

  it("refuses a channel bound to a tenant the policy does not list", async () => {
    const run = await npmRun("package", [
      "--param=policyFile=test/fixtures/policies/unknown-tenant.yml",
      `--package=${into}`,
    ]);
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: refused([
        'the policy file test/fixtures/policies/unknown-tenant.yml is invalid: channels.C0INCIDENT1.tenant: "prod-jp2" is not one of tenants',
      ]),
    });
    expect(existsSync(into)).toBe(false);
  });

  it("refuses a secret name Secrets Manager refuses, and a tenant secret the worker may not read", async () => {
    const run = await npmRun("package", [
      "--param=policyFile=test/fixtures/policies/bad-secrets.yml",
      "--param=slackSecretId=bm/slack!",
      "-p",
      into,
    ]);
    const file = "the policy file test/fixtures/policies/bad-secrets.yml";
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: refused([
        'slackSecretId "bm/slack!" holds "!", which a Secrets Manager name cannot: ASCII letters, digits and / _ + = . @ - only (--param="slackSecretId=…")',
        `${file}: tenants.prod-jp1.secret "bm/tenant/prod jp1" holds " ", which a Secrets Manager name cannot: ASCII letters, digits and / _ + = . @ - only`,
        `${file}: tenants.prod-uk1.secret "bm/other/prod-uk1" is not under the tenantSecretPrefix "bm/tenant/": the worker's role may read bm/tenant/* and no other secret; rename the secret, or deploy with --param="tenantSecretPrefix=…"`,
      ]),
    });
    expect(existsSync(into)).toBe(false);
  });

  it("takes a secret under another prefix when tenantSecretPrefix names it", async () => {
    const run = await npmRun("package", [
      "--param=policyFile=test/fixtures/policies/bad-secrets.yml",
      "--param=tenantSecretPrefix=bm/",
      "--package",
      into,
    ]);
    // The prefix takes bm/other/…; the space is still refused, and alone.
    expect(run.code).toBe(1);
    expect(run.stderr).not.toContain("tenantSecretPrefix");
    expect(run.stderr).toContain('tenants.prod-jp1.secret "bm/tenant/prod jp1" holds " "');
  });

  it("refuses a policy file outside the project, which osls would leave out of every zip", async () => {
    const run = await npmRun("package", ["--param=policyFile=../policy.yml", "--package", into]);
    expect(run).toEqual({
      code: 1,
      stdout: "",
      stderr: refused([
        'policyFile "../policy.yml" is outside the project: osls packages only the project\'s files, and each function reads /var/task/<policyFile>; give a path inside it, such as policy.yml',
      ]),
    });
  });
});

describe("npm run deploy", () => {
  it("refuses a missing policy with no --package too, leaving no package behind", async () => {
    const before = existsSync(".serverless");
    const run = await npmRun("deploy", ["--param=policyFile=test/fixtures/policies/missing.yml"]);
    expect([run.code, run.stdout, run.stderr.split("\n")[0]]).toEqual([
      1,
      "",
      "✖ npm run deploy refused; nothing was deployed:",
    ]);
    expect(existsSync(".serverless")).toBe(before);
  });
});
