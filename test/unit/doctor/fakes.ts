/**
 * The doctor's ports in memory: a policy, secrets, Slack, ECL and AWS that answer as told.
 * Built inside a test, never at a describe's top level.
 */
import type { DoctorPlan, DoctorPorts, RoleProbe, SlackProbe } from "../../../lib/doctor/ports";
import { EclApiError } from "../../../lib/ecl/errors";
import type { AuditEvent } from "../../../lib/operations/operation";
import { parsePolicy } from "../../../lib/policy/policy";
import { SecretError } from "../../../lib/secrets/secret-source";

export const TENANT_ID = "b322a85578de48beba0f92acce57869b";

export const POLICY = {
  team_ids: ["T1"],
  audit_channel: "C0AUDIT",
  tenants: { prod: { secret: "bm/tenant/prod" } },
  channels: {
    C0INC: { tenant: "prod", requesters: ["*"], approvals: 0 },
    C0CHG: {
      tenant: "prod",
      requesters: ["S0OPS", "U0REQ"],
      approvers: ["S0APP", "S0OPS"],
      approvals: 1,
    },
  },
};

/** A role's ARN as CloudFormation names an unnamed role of stack bm-prod. */
export function role(id: string): string {
  return `arn:aws:iam::123456789012:role/bm-prod-${id}-A1B2C3`;
}

export const PLAN: DoctorPlan = {
  policyPath: "policy.yml",
  slackSecretId: "bm/slack",
  table: "ops",
  auditTable: "audit",
  queueUrl: "https://sqs.ap-northeast-1.amazonaws.com/123456789012/bm-work",
  roles: {
    SlackRole: role("SlackRole"),
    WorkerRole: role("WorkerRole"),
    FollowupRole: role("FollowupRole"),
    AuditCheckRole: role("AuditCheckRole"),
  },
  region: "ap-northeast-1",
  timeoutMs: 1000,
};

export const SCOPES = [
  "commands",
  "chat:write",
  "usergroups:read",
  "users:read",
  "channels:read",
  "groups:read",
];

/** A Slack that answers well: a member of every channel, both groups enabled. */
export function goodSlack(): SlackProbe {
  return {
    whoAmI: async () => ({
      ok: true,
      value: { teamId: "T1", userId: "U0BM", botId: "B0BM", scopes: [...SCOPES] },
    }),
    channel: async () => ({ ok: true, value: { member: true, archived: false } }),
    userGroups: async () => ({
      ok: true,
      value: [
        { id: "S0OPS", disabled: false },
        { id: "S0APP", disabled: false },
      ],
    }),
  };
}

/** A question the fake IAM was asked. */
export type Asked = Parameters<RoleProbe["simulate"]>[0];

/**
 * An IAM that allows everything but what `decisions` says otherwise, keyed by
 * `<role> <action> <resource>`, and records each question.
 */
export function fakeIam(decisions: Record<string, string | undefined> = {}) {
  const asked: Asked[] = [];
  const probe: RoleProbe = {
    simulate: async (request) => {
      asked.push(request);
      return request.actions.map((action) => {
        const key = `${request.role} ${action} ${request.resource}`;
        return {
          action,
          resource: request.resource,
          decision: key in decisions ? decisions[key] : "allowed",
        };
      });
    },
  };
  return { asked, probe };
}

export interface FakePorts extends DoctorPorts {
  appended: AuditEvent[];
  secrets: Record<string, Record<string, unknown>>;
}

/** Ports over which every check holds. */
export function goodPorts(): FakePorts {
  const appended: AuditEvent[] = [];
  const secrets: Record<string, Record<string, unknown>> = {
    "bm/slack": { signing_secret: "s", bot_token: "xoxb-1" },
    "bm/tenant/prod": {
      tenant_id: TENANT_ID,
      identity_endpoint: "https://keystone.example",
      api_key: "k",
      api_secret: "s",
    },
  };
  return {
    appended,
    secrets,
    loadPolicy: async () => parsePolicy(POLICY),
    readSecret: async (id) => {
      const value = secrets[id];
      if (!value) throw new SecretError("not_found", id, "was not found");
      return value;
    },
    slack: goodSlack(),
    ecl: {
      token: async () => ({
        token: "tok",
        expiresAt: 0,
        endpoint: "https://baremetal.example",
      }),
      firstPage: async () => 3,
    },
    aws: { table: async () => "ACTIVE", queue: async () => 2 },
    iam: fakeIam().probe,
    audit: async (event) => {
      appended.push(event);
    },
    now: () => new Date("2026-12-02T10:00:00Z"),
  };
}

/** ECL's refusal with this status. */
export const eclStatus = (status: number, service: "keystone" | "baremetal" = "baremetal") =>
  new EclApiError({ service, status, method: "GET", path: "/" });
