import { describe, expect, it } from "vitest";
import type { DoctorPlan, RoleProbe } from "../../../lib/doctor/ports";
import { formatLine } from "../../../lib/doctor/report";
import { LOCK_KEY, OPERATION_KEY } from "../../../lib/doctor/role-calls";
import { checkRoles, queueOf } from "../../../lib/doctor/role-checks";
import { fakeIam, PLAN, role } from "./fakes";

const lines = async (
  iam: RoleProbe = fakeIam().probe,
  plan: DoctorPlan = PLAN,
  tenantSecrets: readonly string[] | undefined = ["bm/tenant/prod"],
) => (await checkRoles({ iam }, plan, tenantSecrets)).map(formatLine);

const ARN = "arn:aws:dynamodb:ap-northeast-1:123456789012:table";
const SECRET = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret";
const QUEUE = "arn:aws:sqs:ap-northeast-1:123456789012:bm-work";
const worker = role("WorkerRole");

describe("checkRoles", () => {
  it("asks IAM about each call of each function, on this installation's ARNs, one resource at a time", async () => {
    const iam = fakeIam();
    await lines(iam.probe);
    expect(iam.asked.filter((a) => a.role === worker)).toStrictEqual([
      {
        role: worker,
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        resource: `${ARN}/ops`,
        key: OPERATION_KEY,
      },
      {
        role: worker,
        actions: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"],
        resource: `${ARN}/ops`,
        key: LOCK_KEY,
      },
      { role: worker, actions: ["dynamodb:Query"], resource: `${ARN}/ops/index/tenant` },
      { role: worker, actions: ["dynamodb:Scan"], resource: `${ARN}/ops/index/inflight` },
      {
        role: worker,
        actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
        resource: `${ARN}/ops`,
        key: "sightings#doctor",
      },
      { role: worker, actions: ["dynamodb:PutItem", "dynamodb:GetItem"], resource: `${ARN}/audit` },
      {
        role: worker,
        actions: [
          "sqs:SendMessage",
          "sqs:ChangeMessageVisibility",
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
        ],
        resource: QUEUE,
      },
      {
        role: worker,
        actions: ["secretsmanager:GetSecretValue"],
        resource: `${SECRET}:bm/slack-??????`,
      },
      {
        role: worker,
        actions: ["secretsmanager:GetSecretValue"],
        resource: `${SECRET}:bm/tenant/prod-??????`,
      },
    ]);
    const followup = role("FollowupRole");
    expect(iam.asked.filter((a) => a.role === followup && a.key === "lease#followup")).toEqual([
      {
        role: followup,
        actions: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
        resource: `${ARN}/ops`,
        key: "lease#followup",
      },
    ]);
    expect(iam.asked.filter((a) => a.role === role("AuditCheckRole"))).toStrictEqual([
      { role: role("AuditCheckRole"), actions: ["dynamodb:Scan"], resource: `${ARN}/ops` },
      {
        role: role("AuditCheckRole"),
        actions: ["dynamodb:Scan", "dynamodb:PutItem", "dynamodb:GetItem"],
        resource: `${ARN}/audit`,
      },
      {
        role: role("AuditCheckRole"),
        actions: ["secretsmanager:GetSecretValue"],
        resource: `${SECRET}:bm/slack-??????`,
      },
    ]);
    // The rest, in short: each role's questions, in order (service, and the key's kind).
    const short = (id: string) =>
      iam.asked
        .filter((a) => a.role === role(id))
        .map((a) =>
          [a.actions.join(","), a.resource.split(":")[2], a.key?.slice(0, 3)]
            .filter(Boolean)
            .join(" "),
        );
    const items = [
      "dynamodb:GetItem,dynamodb:PutItem,dynamodb:UpdateItem dynamodb op-",
      "dynamodb:PutItem,dynamodb:GetItem,dynamodb:DeleteItem dynamodb loc",
      "dynamodb:Query dynamodb",
      "dynamodb:Scan dynamodb",
      "dynamodb:PutItem,dynamodb:GetItem dynamodb",
    ];
    expect(short("SlackRole")).toEqual([
      ...items,
      "sqs:SendMessage sqs",
      "secretsmanager:GetSecretValue secretsmanager",
    ]);
    expect(short("FollowupRole")).toEqual([
      ...items.slice(0, 4),
      "dynamodb:PutItem,dynamodb:DeleteItem dynamodb lea",
      "dynamodb:PutItem dynamodb dig",
      "dynamodb:GetItem,dynamodb:PutItem dynamodb sig",
      items[4],
      "sqs:SendMessage sqs",
      "secretsmanager:GetSecretValue secretsmanager",
      "secretsmanager:GetSecretValue secretsmanager",
    ]);
    // shortId("op", "doctor"): an operation id of the shape the front door makes.
    expect(OPERATION_KEY).toBe("op-jmy9pbbmp2");
    expect(LOCK_KEY).toBe("lock#doctor#server#image");
  });

  it("names the partition and account of the role's own ARN", async () => {
    const iam = fakeIam();
    const arn = "arn:aws-cn:iam::210987654321:role/bm-cn-WorkerRole-X";
    await lines(iam.probe, { ...PLAN, roles: { WorkerRole: arn } }, []);
    expect(iam.asked.map((a) => a.resource).slice(0, 1)).toEqual([
      "arn:aws-cn:dynamodb:ap-northeast-1:210987654321:table/ops",
    ]);
    // The queue's account is the queue URL's.
    expect(iam.asked.find((a) => a.actions[0] === "sqs:SendMessage")?.resource).toBe(
      "arn:aws-cn:sqs:ap-northeast-1:123456789012:bm-work",
    );
  });

  it("says each role may make its calls, and when the policy does not load, that tenant secrets wait for it", async () => {
    // Called as runDoctor does with a policy that does not load (a default would fill undefined).
    const printed = (await checkRoles({ iam: fakeIam().probe }, PLAN, undefined)).map(formatLine);
    expect(printed).toEqual([
      "ok   role SlackRole: may make its 12 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack",
      "ok   role WorkerRole: may make its 18 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack; its tenant secrets are checked once the policy loads",
      "ok   role FollowupRole: may make its 17 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack; its tenant secrets are checked once the policy loads",
      "ok   role AuditCheckRole: may make its 5 calls, on table ops, table audit, secret bm/slack",
    ]);
    expect((await lines(undefined, PLAN, []))[1]).toBe(
      "ok   role WorkerRole: may make its 18 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack",
    );
  });

  it("fails a role whose variable is not set, naming the output to set it from", async () => {
    const iam = fakeIam();
    expect(await lines(iam.probe, { ...PLAN, roles: {} })).toEqual([
      "FAIL role SlackRole: not checked: BM_SLACK_ROLE_ARN is not set: set BM_SLACK_ROLE_ARN to the stack's output SlackRoleArn",
      "FAIL role WorkerRole: not checked: BM_WORKER_ROLE_ARN is not set: set BM_WORKER_ROLE_ARN to the stack's output WorkerRoleArn",
      "FAIL role FollowupRole: not checked: BM_FOLLOWUP_ROLE_ARN is not set: set BM_FOLLOWUP_ROLE_ARN to the stack's output FollowupRoleArn",
      "FAIL role AuditCheckRole: not checked: BM_AUDIT_CHECK_ROLE_ARN is not set: set BM_AUDIT_CHECK_ROLE_ARN to the stack's output AuditCheckRoleArn",
    ]);
    expect(iam.asked).toEqual([]);
  });

  it("asks nothing without a region, or with a queue URL it cannot read the queue's ARN from", async () => {
    const iam = fakeIam();
    const one = { roles: { SlackRole: role("SlackRole") } };
    expect((await lines(iam.probe, { ...PLAN, ...one, region: undefined }))[0]).toBe(
      "FAIL role SlackRole: not checked: the region is not known: set AWS_REGION (the ARNs of the tables, the queue and the secrets name it)",
    );
    expect((await lines(iam.probe, { ...PLAN, ...one, queueUrl: "https://sqs.x/q" }))[0]).toBe(
      "FAIL role SlackRole: not checked: BM_QUEUE_URL is not a queue's URL (https://sqs.<region>.amazonaws.com/<account>/<name>)",
    );
    expect(iam.asked).toEqual([]);
  });

  it("names each call IAM denies, with its decision, and the fix", async () => {
    const { probe } = fakeIam({
      [`${worker} dynamodb:DeleteItem ${ARN}/ops`]: "implicitDeny",
      [`${worker} sqs:ReceiveMessage ${QUEUE}`]: "explicitDeny",
    });
    expect((await lines(probe))[1]).toBe(
      `FAIL role WorkerRole: may not dynamodb:DeleteItem on table ops (key ${LOCK_KEY}) (implicitDeny), sqs:ReceiveMessage on queue bm-work (explicitDeny): deploy the stack again from this version's serverless.yml, or check that BM_WORKER_ROLE_ARN is the stack's output WorkerRoleArn`,
    );
  });

  it("takes a decision IAM did not give, or gave for another action or resource, for an unknown", async () => {
    const probe: RoleProbe = {
      simulate: async ({ actions, resource }) =>
        actions.map((action) => {
          if (action === "sqs:SendMessage") return { action, resource, decision: undefined };
          if (action === "dynamodb:Query")
            return { action, resource: undefined, decision: "allowed" };
          if (action === "dynamodb:Scan")
            return { action: "dynamodb:Scan*", resource, decision: "allowed" };
          if (action === "dynamodb:UpdateItem") return { action, resource, decision: "Allowed" };
          if (action === "secretsmanager:GetSecretValue")
            return { action, resource, decision: "implicitDeny" };
          return { action, resource, decision: "allowed" };
        }),
    };
    expect((await lines(probe))[0]).toBe(
      `FAIL role SlackRole: may not secretsmanager:GetSecretValue on secret bm/slack (implicitDeny): deploy the stack again from this version's serverless.yml, or check that BM_SLACK_ROLE_ARN is the stack's output SlackRoleArn; IAM's answer did not say whether it may dynamodb:UpdateItem on table ops (key ${OPERATION_KEY}), dynamodb:Query on index ops/tenant, dynamodb:Scan on index ops/inflight, sqs:SendMessage on queue bm-work: run the doctor again`,
    );
    const none: RoleProbe = { simulate: async () => [] };
    expect((await lines(none))[3]).toBe(
      "FAIL role AuditCheckRole: IAM's answer did not say whether it may dynamodb:Scan on table ops, dynamodb:Scan on table audit, dynamodb:PutItem on table audit, dynamodb:GetItem on table audit, secretsmanager:GetSecretValue on secret bm/slack: run the doctor again",
    );
  });

  it("says IAM's refusals: the deployer may not simulate, no such role, or any other error", async () => {
    const refusing = (name: string): RoleProbe => ({
      simulate: async () => {
        throw Object.assign(new Error("refused"), { name, $metadata: {} });
      },
    });
    for (const name of ["AccessDenied", "AccessDeniedException"])
      expect((await lines(refusing(name)))[0]).toBe(
        `FAIL role SlackRole: not checked: the deployer may not ask IAM about ${role("SlackRole")} (AccessDenied): give it iam:SimulatePrincipalPolicy on bm's roles (statement DoctorRoleChecks of infra/deployer-policy.json)`,
      );
    for (const name of ["NoSuchEntity", "NoSuchEntityException"])
      expect((await lines(refusing(name)))[1]).toBe(
        `FAIL role WorkerRole: IAM has no role ${worker}: set BM_WORKER_ROLE_ARN to the stack's output WorkerRoleArn`,
      );
    // Only those: a name that merely contains one is another error.
    expect((await lines(refusing("NotAccessDenied")))[0]).toBe(
      "FAIL role SlackRole: not checked: AWS answered NotAccessDenied",
    );
    expect((await lines(refusing("ThrottlingException")))[2]).toBe(
      "FAIL role FollowupRole: not checked: AWS answered ThrottlingException",
    );
    expect((await lines({ simulate: async () => Promise.reject("a string") }))[2]).toBe(
      "FAIL role FollowupRole: not checked: internal error (string); nothing more is shown, to keep secrets out of messages",
    );
    expect((await lines({ simulate: async () => Promise.reject(undefined) }))[2]).toBe(
      "FAIL role FollowupRole: not checked: internal error (undefined); nothing more is shown, to keep secrets out of messages",
    );
  });

  it("gives each role the plan's timeout: one that hangs fails alone", async () => {
    const probe: RoleProbe = {
      simulate: (request) =>
        request.role === worker ? new Promise(() => {}) : fakeIam().probe.simulate(request),
    };
    const printed = await lines(probe, { ...PLAN, timeoutMs: 50 });
    expect(printed.filter((l) => l.startsWith("FAIL"))).toEqual([
      "FAIL role WorkerRole: not checked: no answer within 0.05 s",
    ]);
    expect(printed).toHaveLength(4);
  });
});

describe("queueOf", () => {
  it.each([
    [
      "https://sqs.ap-northeast-1.amazonaws.com/123456789012/bm-work",
      { account: "123456789012", name: "bm-work" },
    ],
    ["http://127.0.0.1:4566/000000000000/bm-work", { account: "000000000000", name: "bm-work" }],
    ["https://sqs.x/12345678901/bm-work", undefined],
    ["https://sqs.x/1234567890123/bm-work", undefined],
    ["https://sqs.x/123456789012/bm-work/more", undefined],
    ["https://sqs.x/123456789012", undefined],
    ["not a url", undefined],
  ])("%s", (url, expected) => {
    expect(queueOf(url)).toEqual(expected);
  });
});
