import { describe, expect, it } from "vitest";
import { runDoctor } from "../../../lib/doctor/doctor";
import { formatLine } from "../../../lib/doctor/report";
import { PolicyError } from "../../../lib/policy/policy";
import { goodPorts, PLAN } from "./fakes";

const lines = async (ports = goodPorts(), plan = PLAN) =>
  (await runDoctor(ports, plan)).map(formatLine);

describe("runDoctor", () => {
  it("prints every check, in a fixed order, and records its run", async () => {
    const ports = goodPorts();
    const printed = await lines(ports);
    expect(printed.slice(0, -1)).toEqual([
      "ok   policy: policy.yml loads: 2 channels, 1 tenant",
      "ok   Slack secret: bm/slack has signing_secret and bot_token",
      "ok   Slack token: works: bot B0BM (user U0BM) in workspace T1",
      "ok   Slack scopes: the token has all 6 that bm uses",
      "ok   channel C0INC: bm is a member",
      "ok   channel C0CHG: bm is a member",
      "ok   channel C0AUDIT: bm is a member",
      "ok   user group S0OPS: exists",
      "ok   user group S0APP: exists",
      "ok   tenant prod: secret: bm/tenant/prod holds a tenant id and Keystone credentials",
      "ok   tenant prod: Keystone: https://keystone.example issues a token",
      "ok   tenant prod: endpoint: https://baremetal.example lists servers (3 on the first page)",
      "ok   table ops: exists, active, and reads",
      "ok   audit table audit: exists, active, and reads",
      "ok   queue https://sqs.ap-northeast-1.amazonaws.com/123456789012/bm-work: exists, 2 messages waiting",
      "ok   role SlackRole: may make its 12 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack",
      "ok   role WorkerRole: may make its 19 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack, secret bm/tenant/prod",
      "ok   role FollowupRole: may make its 18 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack, secret bm/tenant/prod",
      "ok   role AuditCheckRole: may make its 5 calls, on table ops, table audit, secret bm/slack",
    ]);
    const [event] = ports.appended;
    expect(printed.at(-1)).toBe(
      `ok   audit audit: this run is recorded as ${event?.operationId} (viewed:doctor)`,
    );
    expect(event).toMatchObject({
      seq: 0,
      at: "2026-12-02T10:00:00.000Z",
      action: "viewed:doctor",
      actor: { teamId: "T1", userId: "bm" },
      facts: { checks: 19, failed: 0 },
    });
    expect(event?.operationId).toMatch(/^rd-[0-9a-z]{10}$/);
  });

  it("with a policy that does not load, says so and checks what needs no policy", async () => {
    const ports = goodPorts();
    ports.loadPolicy = async () => {
      throw new PolicyError("the policy is invalid: channels.C1.approvals: must be a number");
    };
    expect(await lines(ports)).toEqual([
      "FAIL policy: the policy is invalid: channels.C1.approvals: must be a number (its channels, user groups and tenants are checked once it loads)",
      "ok   Slack secret: bm/slack has signing_secret and bot_token",
      "ok   Slack token: works: bot B0BM (user U0BM) in workspace T1",
      "ok   Slack scopes: the token has all 6 that bm uses",
      "ok   table ops: exists, active, and reads",
      "ok   audit table audit: exists, active, and reads",
      "ok   queue https://sqs.ap-northeast-1.amazonaws.com/123456789012/bm-work: exists, 2 messages waiting",
      "ok   role SlackRole: may make its 12 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack",
      "ok   role WorkerRole: may make its 18 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack; its tenant secrets are checked once the policy loads",
      "ok   role FollowupRole: may make its 17 calls, on table ops, index ops/tenant, index ops/inflight, table audit, queue bm-work, secret bm/slack; its tenant secrets are checked once the policy loads",
      "ok   role AuditCheckRole: may make its 5 calls, on table ops, table audit, secret bm/slack",
      expect.stringMatching(/^ok {3}audit audit: this run is recorded as rd-/),
    ]);
    expect(ports.appended[0]?.actor).toEqual({ teamId: "-", userId: "bm" });
    expect(ports.appended[0]?.facts).toEqual({ checks: 11, failed: 1 });
  });

  it("with a Slack secret it cannot read, asks Slack nothing", async () => {
    const ports = goodPorts();
    delete ports.secrets["bm/slack"];
    ports.slack.whoAmI = async () => {
      throw new Error("asked");
    };
    const printed = await lines(ports, { ...PLAN, region: undefined });
    expect(printed[1]).toBe(
      'FAIL Slack secret: secret "bm/slack" was not found: create it with `aws secretsmanager create-secret --name bm/slack --secret-string \'{…}\'`: it needs signing_secret and bot_token (`aws secretsmanager put-secret-value --secret-id bm/slack --secret-string \'{"signing_secret":"…","bot_token":"xoxb-…"}\'`); Slack is checked once it reads',
    );
    expect(printed[2]).toBe(
      "ok   tenant prod: secret: bm/tenant/prod holds a tenant id and Keystone credentials",
    );
  });

  it("with a token Slack refuses, checks no channel or group", async () => {
    const ports = goodPorts();
    ports.slack.whoAmI = async () => ({ ok: false, code: "invalid_auth" });
    ports.slack.channel = async () => {
      throw new Error("asked");
    };
    const printed = await lines(ports);
    expect(printed[2]).toBe(
      "FAIL Slack token: Slack refused the bot token (invalid_auth): reinstall the app to the workspace and put its bot token (xoxb-…) in the secret bm/slack",
    );
    expect(printed[3]).toMatch(/^ok {3}tenant prod: secret/);
  });

  it("says a table that is not active, and AWS's refusals with the variable to check", async () => {
    const ports = goodPorts();
    ports.aws.table = async (name) => {
      if (name === "ops") return "CREATING";
      throw Object.assign(new Error("x"), {
        name: "ResourceNotFoundException",
        $metadata: {},
      });
    };
    ports.aws.queue = async () => {
      throw Object.assign(new Error("x"), { name: "AccessDenied", $metadata: {} });
    };
    const printed = await lines(ports);
    expect(printed.slice(12, 15)).toEqual([
      "FAIL table ops: is CREATING, not ACTIVE: wait for it, or see the stack's events",
      "FAIL audit table audit: AWS answered ResourceNotFoundException: none of that name in ap-northeast-1; check BM_AUDIT_TABLE (the stack's outputs name it) and the region",
      "FAIL queue https://sqs.ap-northeast-1.amazonaws.com/123456789012/bm-work: AWS answered AccessDenied",
    ]);
  });

  it("names BM_TABLE and BM_QUEUE_URL, without a region when none is known", async () => {
    const ports = goodPorts();
    const missing = (name: string) => Object.assign(new Error("x"), { name, $metadata: {} });
    ports.aws.table = async (name) => {
      if (name === "ops") throw missing("ResourceNotFoundException");
      return "ACTIVE";
    };
    ports.aws.queue = async () => {
      throw missing("QueueDoesNotExist");
    };
    const printed = await lines(ports, { ...PLAN, region: undefined });
    expect(printed.slice(12, 15)).toEqual([
      "FAIL table ops: AWS answered ResourceNotFoundException: none of that name; check BM_TABLE (the stack's outputs name it) and the region",
      "ok   audit table audit: exists, active, and reads",
      "FAIL queue https://sqs.ap-northeast-1.amazonaws.com/123456789012/bm-work: AWS answered QueueDoesNotExist: none of that name; check BM_QUEUE_URL (the stack's outputs name it) and the region",
    ]);
  });

  it("holds the token's workspace to the policy's team_ids", async () => {
    const ports = goodPorts();
    ports.slack.whoAmI = async () => ({
      ok: true,
      value: { teamId: "T9", userId: "U", botId: "B", scopes: [] },
    });
    expect((await lines(ports))[2]).toBe(
      "FAIL Slack token: the token is of workspace T9, which the policy's team_ids (T1) does not name: add it there, or install the app in the right workspace",
    );
  });

  it("says an AWS failure that is no error at all, without a variable to check", async () => {
    const ports = goodPorts();
    ports.aws.queue = () => Promise.reject(undefined);
    expect((await lines(ports))[14]).toBe(
      "FAIL queue https://sqs.ap-northeast-1.amazonaws.com/123456789012/bm-work: internal error (undefined); nothing more is shown, to keep secrets out of messages",
    );
  });

  it("records each run under a read id of its own", async () => {
    const ports = goodPorts();
    await runDoctor(ports, PLAN);
    await runDoctor(ports, PLAN);
    const [a, b] = ports.appended.map((e) => e.operationId);
    expect(a).not.toBe(b);
  });

  it("says when its run could not be recorded", async () => {
    const ports = goodPorts();
    ports.audit = async () => {
      throw new Error("denied");
    };
    expect((await lines(ports)).at(-1)).toBe(
      "FAIL audit audit: this run's event (viewed:doctor) was not recorded (Error); see the audit table's line above",
    );
  });

  it("gives each check the plan's timeout, so one that hangs fails alone", async () => {
    const ports = goodPorts();
    ports.aws.queue = () => new Promise(() => {});
    const printed = await lines(ports, { ...PLAN, timeoutMs: 30 });
    expect(printed.filter((l) => l.startsWith("FAIL"))).toEqual([
      "FAIL queue https://sqs.ap-northeast-1.amazonaws.com/123456789012/bm-work: no answer within 0.03 s",
    ]);
  });
});
