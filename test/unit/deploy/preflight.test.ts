import { describe, expect, it } from "vitest";
import {
  policyFileProblem,
  SHIP_DEFAULTS,
  secretProblems,
  shipOptions,
} from "../../../lib/deploy/preflight";
import type { Policy } from "../../../lib/policy/policy";

describe("shipOptions: the arguments as osls reads them", () => {
  it("takes serverless.yml's defaults when no --param names them", () => {
    expect(shipOptions(["--stage", "prod", "--region", "ap-northeast-1"])).toEqual({
      policyFile: "policy.yml",
      tenantSecretPrefix: "bm/tenant/",
      slackSecretId: "bm/slack",
      packageDir: undefined,
    });
    expect(SHIP_DEFAULTS).toEqual({
      policyFile: "policy.yml",
      tenantSecretPrefix: "bm/tenant/",
      slackSecretId: "bm/slack",
    });
  });

  it.each([
    [["--param=policyFile=p.yml"], "p.yml"],
    [["--param", "policyFile=p.yml"], "p.yml"],
    [["--param=policyFile=a.yml", "--param=policyFile=b.yml"], "b.yml"],
    // Its trailing spaces cut, as osls does; a value holding "=" kept whole.
    [["--param=policyFile=p.yml  "], "p.yml"],
    [["--param=policyFile=a=b.yml"], "a=b.yml"],
    // As osls: a leading "=" skipped, the value ending at a line's end.
    [["--param==policyFile=x.yml"], "x.yml"],
    [["--param=policyFile=a.yml\nb"], "a.yml"],
    // No value: osls refuses it; the default stands here.
    [["--param=policyFile="], "policy.yml"],
    [["--param=policyFile"], "policy.yml"],
    [["--param"], "policy.yml"],
    [["--parameter=policyFile=p.yml"], "policy.yml"],
    [["--param=alarmEmail=a@example.com"], "policy.yml"],
  ])("%j: policyFile %s", (args, policyFile) => {
    expect(shipOptions(args).policyFile).toBe(policyFile);
  });

  it("reads tenantSecretPrefix and slackSecretId the same way", () => {
    expect(
      shipOptions(["--param", "tenantSecretPrefix=ecl/", "--param=slackSecretId=ops/slack"]),
    ).toMatchObject({ tenantSecretPrefix: "ecl/", slackSecretId: "ops/slack" });
  });

  it.each([
    [["--package", "out"], "out"],
    [["--package=out"], "out"],
    [["-p", "out"], "out"],
    [["--stage", "prod"], undefined],
    [["--packages", "out"], undefined],
    [["--package"], undefined],
  ])("%j: package %s", (args, packageDir) => {
    expect(shipOptions(args).packageDir).toBe(packageDir);
  });

  it("does not take a --param's value for a --package, nor the reverse", () => {
    expect(shipOptions(["--param", "--package", "out"])).toMatchObject({
      policyFile: "policy.yml",
      packageDir: undefined,
    });
    expect(shipOptions(["--package", "out", "--param=policyFile=p.yml"])).toMatchObject({
      policyFile: "p.yml",
      packageDir: "out",
    });
  });
});

describe("policyFileProblem: osls packages the project's files only", () => {
  const outside = (p: string) =>
    `policyFile "${p}" is outside the project: osls packages only the project's files, and each function reads /var/task/<policyFile>; give a path inside it, such as policy.yml`;
  it.each([
    ["policy.yml", null],
    ["infra/policy.example.yml", null],
    ["./policy.yml", null],
    ["a/../policy.yml", null],
    ["..policy.yml", null],
    ["/etc/policy.yml", outside("/etc/policy.yml")],
    ["../policy.yml", outside("../policy.yml")],
    ["..", outside("..")],
    ["a/../../policy.yml", outside("a/../../policy.yml")],
  ])("%j: %s", (file, expected) => {
    expect(policyFileProblem(file)).toBe(expected);
  });
});

describe("secretProblems: every secret name the deployment will use", () => {
  const policy = (secrets: Record<string, string>): Policy => ({
    teamIds: ["T0001"],
    tenants: Object.fromEntries(Object.entries(secrets).map(([n, secret]) => [n, { secret }])),
    channels: {},
  });
  // Built in each test, not while the file is collected: a mutant of shipOptions that throws
  // then fails the tests, rather than leaving a file of none.
  const opts = () => ({ ...shipOptions([]), policyFile: "p.yml" });
  const chars = "ASCII letters, digits and / _ + = . @ - only";

  it("finds nothing wrong with names under the prefix that Secrets Manager takes", () => {
    expect(secretProblems(policy({ a: "bm/tenant/a", b: "bm/tenant/b-jp1" }), opts())).toEqual([]);
  });

  it("names the file, the tenant's field and the name, in the policy's order", () => {
    expect(
      secretProblems(policy({ a: "bm/tenant/a b", b: "bm/other/b", c: "bm/other/c d" }), opts()),
    ).toEqual([
      `the policy file p.yml: tenants.a.secret "bm/tenant/a b" holds " ", which a Secrets Manager name cannot: ${chars}`,
      `the policy file p.yml: tenants.b.secret "bm/other/b" is not under the tenantSecretPrefix "bm/tenant/": the worker's role may read bm/tenant/* and no other secret; rename the secret, or deploy with --param="tenantSecretPrefix=…"`,
      `the policy file p.yml: tenants.c.secret "bm/other/c d" holds " ", which a Secrets Manager name cannot: ${chars}`,
    ]);
  });

  it("checks the prefix and the Slack secret's id given as --param", () => {
    expect(
      secretProblems(policy({ a: "bm tenant/a" }), {
        ...opts(),
        tenantSecretPrefix: "bm tenant/",
        slackSecretId: "bm:slack",
      }),
    ).toEqual([
      `tenantSecretPrefix "bm tenant/" holds " ", which a Secrets Manager name cannot: ${chars} (--param="tenantSecretPrefix=…")`,
      `slackSecretId "bm:slack" holds ":", which a Secrets Manager name cannot: ${chars} (--param="slackSecretId=…")`,
      `the policy file p.yml: tenants.a.secret "bm tenant/a" holds " ", which a Secrets Manager name cannot: ${chars}`,
    ]);
  });

  it("takes a tenant secret under another prefix when the deployment names it", () => {
    expect(
      secretProblems(policy({ a: "ecl/a" }), { ...opts(), tenantSecretPrefix: "ecl/" }),
    ).toEqual([]);
  });
});
