/**
 * What `npm run doctor` asks of the outside, behind small ports: the composition root
 * (`lib/runtime/doctor.ts`) gives the real adapters, the unit tests fakes.
 */
import type { KeystoneCredentials } from "../ecl/keystone";
import type { IssuedToken } from "../ecl/tokens";
import type { AuditEvent } from "../operations/operation";
import type { Policy } from "../policy/policy";

/**
 * A Slack answer the doctor reads, or Slack's refusal: its code, the scope it needed
 * (`missing_scope`), and why, when no answer came at all.
 */
export type SlackAnswer<T> = { ok: true; value: T } | SlackRefusal;
export type SlackRefusal = { ok: false; code: string; needed?: string; detail?: string };

export interface SlackProbe {
  /** `auth.test`, and the token's scopes from its `x-oauth-scopes` header (undefined: none). */
  whoAmI(
    token: string,
  ): Promise<
    SlackAnswer<{ teamId: string; userId: string; botId: string; scopes: string[] | undefined }>
  >;
  /** `conversations.info`: whether bm is in the channel, and whether it is archived. */
  channel(token: string, id: string): Promise<SlackAnswer<{ member: boolean; archived: boolean }>>;
  /** `usergroups.list` with `include_disabled`: every group, and whether it is disabled. */
  userGroups(token: string): Promise<SlackAnswer<Array<{ id: string; disabled: boolean }>>>;
}

export interface EclProbe {
  /** A Keystone token for these credentials, with its catalog's endpoints. */
  token(credentials: KeystoneCredentials): Promise<IssuedToken>;
  /** How many servers the first page of List Servers (detail) holds, read with this token. */
  firstPage(tenant: { apiEndpoint: string; tenantId: string; token: string }): Promise<number>;
}

export interface AwsProbe {
  /** DescribeTable, then a GetItem on its key: the table's status. */
  table(name: string): Promise<string>;
  /** GetQueueAttributes: how many messages wait. */
  queue(url: string): Promise<number>;
}

/** IAM's decision on one action on one resource; undefined where its answer did not say. */
export interface Evaluation {
  action: string | undefined;
  resource: string | undefined;
  decision: string | undefined;
}

export interface RoleProbe {
  /**
   * SimulatePrincipalPolicy: whether this role may make each of these actions on this resource,
   * with `dynamodb:LeadingKeys` when a key is given. @throws IAM's refusal (AccessDenied,
   * NoSuchEntity, …).
   */
  simulate(request: {
    role: string;
    actions: readonly string[];
    resource: string;
    key?: string;
  }): Promise<Evaluation[]>;
}

export interface DoctorPorts {
  loadPolicy(path: string): Promise<Policy>;
  readSecret(id: string): Promise<Record<string, unknown>>;
  slack: SlackProbe;
  ecl: EclProbe;
  aws: AwsProbe;
  iam: RoleProbe;
  /** Appends the doctor's own audit event (a read). */
  audit(event: AuditEvent): Promise<void>;
  now(): Date;
}

/** Where the doctor looks: what the functions read from their environment (lib/config.ts). */
export interface DoctorPlan {
  policyPath: string;
  slackSecretId: string;
  table: string;
  auditTable: string;
  queueUrl: string;
  /** The functions' roles the doctor asks IAM about, by logical id (lib/doctor/role-calls.ts). */
  roles: Partial<Record<string, string>>;
  /** The AWS region, for the commands the fixes give and the ARNs the role checks name. */
  region: string | undefined;
  /** How long one check may take. */
  timeoutMs: number;
}

/** One line of the doctor's report. */
export interface Line {
  ok: boolean;
  /** What was checked: `policy`, `channel C0OPS`, `tenant prod: Keystone`. */
  check: string;
  /** What holds; or what is wrong, and the fix. */
  text: string;
}
