/**
 * The calls each function makes on what the doctor checks (the tables, the queue, the secrets),
 * by role: the one list that `npm run doctor` asks IAM about, and that
 * test/integration/deployment.test.ts holds to both the code (every DynamoDB call of the stores)
 * and the template (every call granted). Item calls name the key they touch, as
 * `dynamodb:LeadingKeys`: the roles delete locks and the lease, never an operation.
 */
import { digestId } from "../aws/dynamo/digest-claims";
import { INFLIGHT_INDEX, TENANT_INDEX } from "../aws/dynamo/documents";
import { LEASE_ID } from "../aws/dynamo/lease";
import { sightingsId } from "../aws/dynamo/sightings";
import { lockKeyFor, shortId } from "../operations/operation";

/** What a call is made on. */
export type Target =
  | "operations"
  | "inflight index"
  | "tenant index"
  | "audit"
  | "queue"
  | "Slack secret"
  | "tenant secrets";

/** Some actions on one target, with the item key they name (item calls only). */
export interface Call {
  actions: readonly string[];
  on: Target;
  key?: string;
}

/** A function's role: its logical id, the doctor's variable for its ARN, the output that gives it. */
export interface RoleCalls {
  role: "SlackRole" | "WorkerRole" | "FollowupRole" | "AuditCheckRole";
  variable: string;
  output: string;
  calls: readonly Call[];
}

/** An operation's key, and a lock's: each the shape the stores write. */
export const OPERATION_KEY = shortId("op", "doctor");
export const LOCK_KEY = lockKeyFor("doctor", "server", "image");

/** The operations table as the front door, the worker and the follow-up use it. */
const OPERATIONS: readonly Call[] = [
  {
    actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
    on: "operations",
    key: OPERATION_KEY,
  },
  // lib/aws/dynamo/locks.ts: take, read, release.
  {
    actions: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"],
    on: "operations",
    key: LOCK_KEY,
  },
  { actions: ["dynamodb:Query"], on: "tenant index" },
  // The Home tab (front door, worker) and what is in flight (follow-up).
  { actions: ["dynamodb:Scan"], on: "inflight index" },
];
/** Appends, and the consistent read of an event whose conditional put met one. */
const AUDIT: Call = { actions: ["dynamodb:PutItem", "dynamodb:GetItem"], on: "audit" };
const SLACK_SECRET: Call = { actions: ["secretsmanager:GetSecretValue"], on: "Slack secret" };
const TENANT_SECRETS: Call = { actions: ["secretsmanager:GetSecretValue"], on: "tenant secrets" };

export const ROLE_CALLS: readonly RoleCalls[] = [
  {
    role: "SlackRole",
    variable: "BM_SLACK_ROLE_ARN",
    output: "SlackRoleArn",
    calls: [...OPERATIONS, AUDIT, { actions: ["sqs:SendMessage"], on: "queue" }, SLACK_SECRET],
  },
  {
    role: "WorkerRole",
    variable: "BM_WORKER_ROLE_ARN",
    output: "WorkerRoleArn",
    calls: [
      ...OPERATIONS,
      // lib/aws/dynamo/sightings.ts: /bm media's first sightings, read and written once an answer.
      {
        actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
        on: "operations",
        key: sightingsId("doctor"),
      },
      AUDIT,
      // SendMessage: the busy re-check; ChangeMessageVisibility: a back-off; the rest: the
      // queue's event source, which polls with the function's role.
      {
        actions: [
          "sqs:SendMessage",
          "sqs:ChangeMessageVisibility",
          "sqs:ReceiveMessage",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
        ],
        on: "queue",
      },
      SLACK_SECRET,
      TENANT_SECRETS,
    ],
  },
  {
    role: "FollowupRole",
    variable: "BM_FOLLOWUP_ROLE_ARN",
    output: "FollowupRoleArn",
    calls: [
      ...OPERATIONS,
      // lib/aws/dynamo/lease.ts: take and renew, let go.
      { actions: ["dynamodb:PutItem", "dynamodb:DeleteItem"], on: "operations", key: LEASE_ID },
      // lib/aws/dynamo/digest-claims.ts: a channel's media digest of a day, claimed once.
      { actions: ["dynamodb:PutItem"], on: "operations", key: digestId("doctor", "2026-01-01") },
      // lib/aws/dynamo/sightings.ts: the digest's listing refreshes the sightings.
      {
        actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
        on: "operations",
        key: sightingsId("doctor"),
      },
      AUDIT,
      // Re-sends an approved operation whose message was lost.
      { actions: ["sqs:SendMessage"], on: "queue" },
      SLACK_SECRET,
      TENANT_SECRETS,
    ],
  },
  {
    role: "AuditCheckRole",
    variable: "BM_AUDIT_CHECK_ROLE_ARN",
    output: "AuditCheckRoleArn",
    calls: [
      { actions: ["dynamodb:Scan"], on: "operations" },
      { actions: ["dynamodb:Scan", "dynamodb:PutItem", "dynamodb:GetItem"], on: "audit" },
      SLACK_SECRET,
    ],
  },
];

/** The index of the operations table each index target names. */
export const INDEX: Record<"inflight index" | "tenant index", string> = {
  "inflight index": INFLIGHT_INDEX,
  "tenant index": TENANT_INDEX,
};
