/**
 * `npm run doctor` against the local stack of `npm start` (its policy, its sample secrets), with
 * each day-one failure made on purpose: the line that names it, and the exit code.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDoctor } from "../../lib/doctor/doctor";
import { exitCode, formatLine } from "../../lib/doctor/report";
import { LOCK_KEY } from "../../lib/doctor/role-calls";
import { queueOf } from "../../lib/doctor/role-checks";
import { doctorFromEnv } from "../../lib/runtime/doctor";
import { rolePolicies } from "../../local/role-policies";
import { type LocalStack, startLocalStack } from "../../local/stack";
import { IamStandIn } from "../../local/stand-ins/iam";
import type { Statement } from "../../local/stand-ins/iam-policy";
import { packTemplate, roleStatements } from "../support/template";

let stack: LocalStack;
let dir: string;
let secrets: Record<string, Record<string, unknown>>;

beforeAll(async () => {
  stack = await startLocalStack({
    frontDoorPort: 0,
    dynamoPort: 0,
    eclPort: 0,
    // These tests run the doctor a dozen times in a minute against one workspace, 5
    // conversations.info each: past Tier 3's 50 (the doctor then says "Slack rate-limited bm
    // (retry after 55 s)"). A person runs it once. docs/testing.md#slacks-rate-limits
    slackRateLimits: false,
  });
  dir = await mkdtemp(join(tmpdir(), "bm-doctor-"));
  secrets = JSON.parse(await readFile(stack.env.BM_SECRETS_FILE as string, "utf8"));
}, 30_000);
afterAll(async () => {
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});

/** The doctor's lines (as printed) and exit code, with these variables changed. */
async function doctor(env: Record<string, string> = {}, timeoutMs = 3000) {
  const run = doctorFromEnv({ ...stack.env, ...env }, timeoutMs);
  try {
    const lines = await runDoctor(run.ports, run.plan);
    return { lines: lines.map(formatLine), code: exitCode(lines) };
  } finally {
    await run.close();
  }
}

/** The lines that failed. */
const failed = (lines: string[]) => lines.filter((l) => l.startsWith("FAIL"));

/** A secrets file with these secrets changed, for BM_SECRETS_FILE. */
async function secretsWith(changes: Record<string, Record<string, unknown>>) {
  const file = join(dir, `secrets-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ ...secrets, ...changes }));
  return { BM_SECRETS_FILE: file };
}
const tenant = () => secrets["bm/tenant/sample"] as Record<string, unknown>;
const ecl = () => String(tenant().identity_endpoint);

describe("npm run doctor, against the local stack", () => {
  it("prints every check, and fails on C0NOBOT alone, with the fix", async () => {
    const { lines, code } = await doctor();
    expect(lines.map((l) => l.replace(/:\d+/g, ":PORT").replace(/rd-\w+/, "rd-…"))).toEqual([
      `ok   policy: ${stack.env.BM_POLICY} loads: 4 channels, 1 tenant`,
      "ok   Slack secret: bm/slack has signing_secret and bot_token",
      "ok   Slack token: works: bot B0BM (user U0BM) in workspace T0LOCAL",
      "ok   Slack scopes: the token has all 6 that bm uses",
      "ok   channel C0INCIDENT: bm is a member",
      "ok   channel C0OPS: bm is a member",
      "ok   channel C0CHANGES: bm is a member",
      "FAIL channel C0NOBOT: bm is not a member: invite it with `/invite @bm`",
      "ok   channel C0AUDIT: bm is a member",
      "ok   user group S0OPERATORS: exists",
      "ok   user group S0APPROVERS: exists",
      "ok   tenant sample: secret: bm/tenant/sample holds a tenant id and Keystone credentials",
      "ok   tenant sample: Keystone: http://127.0.0.1:PORT issues a token",
      "ok   tenant sample: endpoint: http://127.0.0.1:PORT lists servers (6 on the first page)",
      "ok   table bm-local-operations: exists, active, and reads",
      "ok   audit table bm-local-audit: exists, active, and reads",
      `ok   queue ${stack.env.BM_QUEUE_URL?.replace(/:\d+/, ":PORT")}: exists, 0 messages waiting`,
      // The local stack's IAM holds serverless.yml's role policies (local/role-policies.ts).
      "ok   role SlackRole: may make its 12 calls, on table bm-local-operations, index bm-local-operations/tenant, index bm-local-operations/inflight, table bm-local-audit, queue bm-work, secret bm/slack",
      "ok   role WorkerRole: may make its 19 calls, on table bm-local-operations, index bm-local-operations/tenant, index bm-local-operations/inflight, table bm-local-audit, queue bm-work, secret bm/slack, secret bm/tenant/sample",
      "ok   role FollowupRole: may make its 18 calls, on table bm-local-operations, index bm-local-operations/tenant, index bm-local-operations/inflight, table bm-local-audit, queue bm-work, secret bm/slack, secret bm/tenant/sample",
      "ok   role AuditCheckRole: may make its 5 calls, on table bm-local-operations, table bm-local-audit, secret bm/slack",
      "ok   audit bm-local-audit: this run is recorded as rd-… (viewed:doctor)",
    ]);
    expect(code).toBe(1);
  });

  it("exits 0 once bm is invited to C0NOBOT", async () => {
    stack.slack?.setChannel("C0NOBOT", { member: true });
    try {
      const { lines, code } = await doctor();
      expect(failed(lines)).toEqual([]);
      expect(code).toBe(0);
    } finally {
      stack.slack?.setChannel("C0NOBOT", { member: false });
    }
  });

  it("records its run in the audit table, as a read", async () => {
    const { lines } = await doctor();
    const id = /rd-\w+/.exec(lines.at(-1) ?? "")?.[0];
    const { QueryCommand } = await import("@aws-sdk/client-dynamodb");
    const { Items = [] } = await stack.dynamo.send(
      new QueryCommand({
        TableName: stack.env.BM_AUDIT_TABLE,
        KeyConditionExpression: "operationId = :id",
        ExpressionAttributeValues: { ":id": { S: id as string } },
      }),
    );
    expect(Items.map((i) => [i.action?.S, i.facts?.M?.failed?.N])).toEqual([
      ["viewed:doctor", "1"],
    ]);
  });

  it("names a scope the token lacks, and the channels it cannot check without it", async () => {
    stack.slack?.scopes.delete("channels:read");
    try {
      const { lines, code } = await doctor();
      expect(failed(lines)).toEqual([
        "FAIL Slack scopes: the token lacks channels:read: add it to the app (OAuth & Permissions, or update the app from infra/slack-app-manifest.yml) and reinstall it to the workspace",
        ...["C0INCIDENT", "C0OPS", "C0CHANGES", "C0NOBOT", "C0AUDIT"].map(
          (c) =>
            `FAIL channel ${c}: not checked: the token lacks channels:read: add it to the app (OAuth & Permissions, or update the app from infra/slack-app-manifest.yml) and reinstall it to the workspace`,
        ),
      ]);
      expect(code).toBe(1);
    } finally {
      stack.slack?.scopes.add("channels:read");
    }
  });

  it("names a user group id Slack has not got", async () => {
    const policy = (await readFile(stack.env.BM_POLICY as string, "utf8")).replace(
      "[S0OPERATORS]",
      "[S0OPERATRS]",
    );
    const file = join(dir, "policy-typo.yml");
    await writeFile(file, policy);
    const { lines } = await doctor({ BM_POLICY: file });
    expect(failed(lines)).toEqual([
      "FAIL channel C0NOBOT: bm is not a member: invite it with `/invite @bm`",
      'FAIL user group S0OPERATRS: Slack has no such user group among its 2 groups: check the id in the policy (the group\'s page in Slack, "Copy group ID")',
    ]);
  });

  it("names a Slack secret missing its bot token", async () => {
    const { lines } = await doctor(
      await secretsWith({ "bm/slack": { signing_secret: "only-this" } }),
    );
    expect(failed(lines)[0]).toBe(
      `FAIL Slack secret: Slack secret "bm/slack" is invalid: bot_token is missing: it needs signing_secret and bot_token (\`aws secretsmanager put-secret-value --secret-id bm/slack --region ap-northeast-1 --secret-string '{"signing_secret":"…","bot_token":"xoxb-…"}'\`); Slack is checked once it reads`,
    );
    // Nothing of Slack is asked without a token.
    expect(lines.filter((l) => / (channel|Slack token|Slack scopes|user group) /.test(l))).toEqual(
      [],
    );
  });

  it("names a tenant secret of the wrong shape, by its fields", async () => {
    const { lines } = await doctor(
      await secretsWith({ "bm/tenant/sample": { tenant_id: "sample", api_key: "k" } }),
    );
    expect(failed(lines)).toContain(
      "FAIL tenant sample: secret: tenant secret \"bm/tenant/sample\" is invalid: tenant_id must be a tenant (project) id: 32 hexadecimal digits (dashes allowed): fix it with `aws secretsmanager put-secret-value --secret-id bm/tenant/sample --region ap-northeast-1 --secret-string '{…}'` (its fields: docs/deploy.md#tenant-secrets)",
    );
  });

  it("says Keystone refused a rotated key", async () => {
    const { lines } = await doctor(
      await secretsWith({ "bm/tenant/sample": { ...tenant(), api_secret: "rotated" } }),
    );
    expect(failed(lines)).toContain(
      `FAIL tenant sample: Keystone: ${ecl()} refused the api_key and api_secret (401): were they rotated? Put the current ones (ECL portal, API key) in bm/tenant/sample: \`aws secretsmanager put-secret-value --secret-id bm/tenant/sample --region ap-northeast-1 --secret-string '{…}'\``,
    );
  });

  it("says the catalog has no endpoint in a region that is not the tenant's", async () => {
    const { lines } = await doctor(
      await secretsWith({ "bm/tenant/sample": { ...tenant(), region: "uk1" } }),
    );
    expect(failed(lines)).toContain(
      "FAIL tenant sample: endpoint: Keystone's catalog names no public baremetal-server endpoint in region uk1: is the secret's region this tenant's? Set region (or api_endpoint) in bm/tenant/sample",
    );
  });

  it("says an endpoint cannot be reached", async () => {
    const { lines } = await doctor(
      await secretsWith({
        "bm/tenant/sample": { ...tenant(), api_endpoint: "http://127.0.0.1:9" },
      }),
    );
    expect(failed(lines)).toContain(
      "FAIL tenant sample: endpoint: http://127.0.0.1:9: ECL at http://127.0.0.1:9 could not be reached: check region (or api_endpoint) in the secret, and that bm's network reaches it",
    );
  });

  it("says a table or the queue is not there, and which variable names it", async () => {
    const { lines } = await doctor({
      BM_TABLE: "bm-nope",
      BM_QUEUE_URL: String(stack.env.BM_QUEUE_URL).replace("bm-work", "bm-nope"),
    });
    // The roles may not reach a table or queue of another name: their lines fail too.
    expect(
      failed(lines)
        .filter((l) => !l.startsWith("FAIL role "))
        .map((l) => l.replace(/:\d+/g, ":PORT")),
    ).toEqual([
      "FAIL channel C0NOBOT: bm is not a member: invite it with `/invite @bm`",
      "FAIL table bm-nope: AWS answered ResourceNotFoundException: none of that name in ap-northeast-1; check BM_TABLE (the stack's outputs name it) and the region",
      "FAIL queue http://127.0.0.1:PORT/000000000000/bm-nope: AWS answered QueueDoesNotExist: none of that name in ap-northeast-1; check BM_QUEUE_URL (the stack's outputs name it) and the region",
    ]);
  });

  it("says when the audit table is not there that its run was not recorded", async () => {
    const { lines } = await doctor({ BM_AUDIT_TABLE: "bm-nope-audit" });
    expect(failed(lines).filter((l) => l.startsWith("FAIL role ")).length).toBe(4);
    expect(
      failed(lines)
        .filter((l) => !l.startsWith("FAIL role "))
        .slice(1),
    ).toEqual([
      "FAIL audit table bm-nope-audit: AWS answered ResourceNotFoundException: none of that name in ap-northeast-1; check BM_AUDIT_TABLE (the stack's outputs name it) and the region",
      "FAIL audit bm-nope-audit: this run's event (viewed:doctor) was not recorded (ResourceNotFoundException); see the audit table's line above",
    ]);
  });
});

describe("npm run doctor's role checks, against IAM holding the template's own role policies", () => {
  const ACCOUNT = "123456789012";
  const REGION = "ap-northeast-1";
  /** An unnamed role's ARN, as CloudFormation names it in stack bm-ci. */
  const arn = (id: string) => `arn:aws:iam::${ACCOUNT}:role/bm-ci-${id}-T35T`;
  const ROLES = ["SlackRole", "WorkerRole", "FollowupRole", "AuditCheckRole"];
  let iam: IamStandIn;
  let policies: Record<string, Statement[]>;
  let deployer: Statement[];
  let local: Record<string, Statement[]>;
  let generated: Record<string, Statement[]>;
  const roleVariables = {
    BM_SLACK_ROLE_ARN: arn("SlackRole"),
    BM_WORKER_ROLE_ARN: arn("WorkerRole"),
    BM_FOLLOWUP_ROLE_ARN: arn("FollowupRole"),
    BM_AUDIT_CHECK_ROLE_ARN: arn("AuditCheckRole"),
  };
  const roleLines = (lines: string[]) => lines.filter((l) => / role \w+Role: /.test(l));

  beforeAll(async () => {
    // The template osls generates from serverless.yml, filled in with the local stack's tables
    // and queue: what IAM would hold for each role in a stack made from this version.
    const into = await mkdtemp(join(tmpdir(), "bm-doctor-template-"));
    const template = await packTemplate(into).finally(() =>
      rm(into, { recursive: true, force: true }),
    );
    const table = (name: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`;
    const queue = queueOf(String(stack.env.BM_QUEUE_URL));
    const place = {
      partition: "aws",
      region: REGION,
      account: ACCOUNT,
      attributes: {
        OperationsTable: { Arn: table(String(stack.env.BM_TABLE)) },
        AuditTable: { Arn: table(String(stack.env.BM_AUDIT_TABLE)) },
        WorkQueue: { Arn: `arn:aws:sqs:${REGION}:${queue?.account}:${queue?.name}` },
        AuditArchiveBucket: { Arn: "arn:aws:s3:::bm-ci-auditarchivebucket-t35t" },
      },
    };
    policies = Object.fromEntries(
      ROLES.map((id) => [arn(id), roleStatements(template, id, place)]),
    );
    // The local stack reads serverless.yml itself (local/role-policies.ts): the same statements.
    local = await rolePolicies("serverless.yml", ROLES, "ci", place);
    generated = Object.fromEntries(ROLES.map((id) => [id, roleStatements(template, id, place)]));
    deployer = JSON.parse(await readFile("infra/deployer-policy.json", "utf8")).Statement;
    iam = await new IamStandIn({ roles: policies, caller: deployer }).start();
    // The SDK reads its endpoints from the process's environment, as on a deployer's machine.
    process.env.AWS_ENDPOINT_URL_IAM = iam.url;
  }, 60_000);
  afterAll(async () => {
    process.env.AWS_ENDPOINT_URL_IAM = stack.env.AWS_ENDPOINT_URL_IAM;
    await iam?.close();
  });

  it("loads in the local stack the very statements osls generates for each role", () => {
    expect(Object.keys(local)).toEqual(ROLES);
    expect(local).toEqual(generated);
  });

  it("finds every role may make every call its function makes, asking IAM with the keys it touches", async () => {
    const { lines, code } = await doctor(roleVariables);
    expect(roleLines(lines)).toEqual([
      "ok   role SlackRole: may make its 12 calls, on table bm-local-operations, index bm-local-operations/tenant, index bm-local-operations/inflight, table bm-local-audit, queue bm-work, secret bm/slack",
      "ok   role WorkerRole: may make its 19 calls, on table bm-local-operations, index bm-local-operations/tenant, index bm-local-operations/inflight, table bm-local-audit, queue bm-work, secret bm/slack, secret bm/tenant/sample",
      "ok   role FollowupRole: may make its 18 calls, on table bm-local-operations, index bm-local-operations/tenant, index bm-local-operations/inflight, table bm-local-audit, queue bm-work, secret bm/slack, secret bm/tenant/sample",
      "ok   role AuditCheckRole: may make its 5 calls, on table bm-local-operations, table bm-local-audit, secret bm/slack",
    ]);
    expect(failed(lines)).toEqual([
      "FAIL channel C0NOBOT: bm is not a member: invite it with `/invite @bm`",
    ]);
    expect(code).toBe(1);
    expect(
      iam.calls.find(
        (c) =>
          c.role === arn("FollowupRole") &&
          c.actions.includes("dynamodb:DeleteItem") &&
          c.context["dynamodb:LeadingKeys"]?.[0] === "lease#followup",
      ),
    ).toBeDefined();
  });

  it("names the call a role lost with one statement of its policy, and the fix", async () => {
    const worker = arn("WorkerRole");
    const whole = policies[worker] as Statement[];
    iam.setRole(
      worker,
      whole.filter((s) => !(s.Action === "dynamodb:DeleteItem")),
    );
    try {
      const { lines, code } = await doctor(roleVariables);
      expect(failed(lines).slice(1)).toEqual([
        `FAIL role WorkerRole: may not dynamodb:DeleteItem on table bm-local-operations (key ${LOCK_KEY}) (implicitDeny): deploy the stack again from this version's serverless.yml, or check that BM_WORKER_ROLE_ARN is the stack's output WorkerRoleArn`,
      ]);
      expect(code).toBe(1);
    } finally {
      iam.setRole(worker, whole);
    }
  });

  it("names a role IAM has not got, and the output to take it from", async () => {
    const { lines } = await doctor({ ...roleVariables, BM_FOLLOWUP_ROLE_ARN: arn("Nope") });
    expect(failed(lines).slice(1)).toEqual([
      `FAIL role FollowupRole: IAM has no role ${arn("Nope")}: set BM_FOLLOWUP_ROLE_ARN to the stack's output FollowupRoleArn`,
    ]);
  });

  it("says the deployer needs iam:SimulatePrincipalPolicy when its policy lacks DoctorRoleChecks", async () => {
    iam.caller = deployer.filter((s) => (s as { Sid?: string }).Sid !== "DoctorRoleChecks");
    try {
      const { lines } = await doctor(roleVariables);
      expect(failed(lines).slice(1)).toEqual(
        ROLES.map(
          (id) =>
            `FAIL role ${id}: not checked: the deployer may not ask IAM about ${arn(id)} (AccessDenied): give it iam:SimulatePrincipalPolicy on bm's roles (statement DoctorRoleChecks of infra/deployer-policy.json)`,
        ),
      );
    } finally {
      iam.caller = deployer;
    }
  });

  it("takes an answer without its decisions for an unknown, not for allowed", async () => {
    iam.omit.add("EvalDecision");
    try {
      const { lines } = await doctor(roleVariables);
      const said = roleLines(lines);
      expect(said).toHaveLength(4);
      ROLES.forEach((id, i) => {
        expect(
          said[i]?.startsWith(`FAIL role ${id}: IAM's answer did not say whether it may `),
        ).toBe(true);
        expect(said[i]?.endsWith(": run the doctor again")).toBe(true);
      });
    } finally {
      iam.omit.clear();
    }
  });

  it("with IAM hanging, fails the role lines at the timeout and prints every other line", async () => {
    iam.hang = true;
    try {
      const started = Date.now();
      const { lines, code } = await doctor(roleVariables, 1000);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(roleLines(lines)).toEqual(
        ROLES.map((id) => `FAIL role ${id}: not checked: no answer within 1 s`),
      );
      expect(lines).toHaveLength(22);
      expect(lines.at(-1)).toMatch(/^ok {3}audit bm-local-audit: this run is recorded as rd-/);
      expect(failed(lines)).toHaveLength(5);
      expect(code).toBe(1);
    } finally {
      iam.hang = false;
    }
  });
});

/** `npm run doctor -- …` as a child process, with none of the functions' variables set. */
function command(
  args: string[],
  set: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("BM_") && !k.startsWith("AWS_")),
  );
  const port = new URL(stack.frontDoorUrl).port;
  return new Promise((resolve) => {
    execFile(
      "node_modules/.bin/tsx",
      ["scripts/doctor.ts", ...args],
      { env: { ...env, BM_PORT: port, ...set } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("the npm run doctor command", () => {
  it("with no variables set, checks the running local stack", async () => {
    const { code, stdout } = await command([]);
    const lines = stdout.trim().split("\n");
    expect(failed(lines)).toEqual([
      "FAIL channel C0NOBOT: bm is not a member: invite it with `/invite @bm`",
    ]);
    expect(lines).toHaveLength(23);
    expect(lines.at(-1)).toMatch(/^1 of 22 checks failed \(\d+\.\d s\)$/);
    expect(code).toBe(1);
  }, 30_000);

  it("answers a bad flag with one line and the usage, exit 2, no stack trace", async () => {
    const { code, stdout, stderr } = await command(["--timout", "10"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr.split("\n")[0]).toBe("doctor: Unknown option '--timout'");
    expect(stderr.split("\n")[1]).toBe("usage: npm run doctor -- [--timeout <ms>]");
    expect(stderr).not.toMatch(/\s+at /);
  }, 30_000);

  it("with some of the variables set, names those missing, exit 2", async () => {
    const { code, stderr } = await command([], { BM_TABLE: "bm-ops" });
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe(
      "doctor: bm cannot start: BM_SLACK_SECRET_ID is not set; BM_POLICY is not set; BM_AUDIT_TABLE is not set; BM_QUEUE_URL is not set",
    );
  }, 30_000);

  it("says what it does with --help, exit 0", async () => {
    const { code, stdout } = await command(["--help"]);
    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe("usage: npm run doctor -- [--timeout <ms>]");
  }, 30_000);

  it("refuses a timeout that is not a number of milliseconds, exit 2", async () => {
    const { code, stderr } = await command(["--timeout", "soon"]);
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe(
      'doctor: --timeout must be a whole number of milliseconds, not "soon"',
    );
  }, 30_000);
});
