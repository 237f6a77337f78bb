/**
 * Drives the local stack as Slack and AWS would: signed slash commands (built from the real
 * payload in test/fixtures), queue deliveries, follow-up invocations; and reads back the
 * operations, the audit trail and the Slack channel.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { DynamoOperationStore, documentClient } from "../../lib/aws/dynamo-operation-store";
import { httpApiEvent, lambdaContext } from "../../lib/local/lambda";
import { slackEncode, slackHeaders } from "../../lib/local/slack-request";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../lib/local/stack";
import type { AuditEvent, Operation } from "../../lib/operations/operation";
import { isTerminal } from "../../lib/operations/operation";

const FIXTURE = readFileSync(
  join(import.meta.dirname, "../fixtures/slash-command.txt"),
  "utf8",
).trim();

let triggers = 0;

/**
 * Slack's own sample slash command body, with bm's fields put in: the text encoded as Slack
 * encodes it, and a response_url of the Slack stand-in.
 */
export function slashBody(fields: {
  text: string;
  user?: string;
  channel?: string;
  team?: string;
  triggerId?: string;
  responseUrl?: string;
}): string {
  const body = new URLSearchParams(FIXTURE);
  body.set("command", "/bm");
  body.set("text", slackEncode(fields.text));
  body.set("response_url", fields.responseUrl ?? "http://127.0.0.1:9/hooks/none");
  body.set("user_id", fields.user ?? "U0REQUESTER");
  body.set("channel_id", fields.channel ?? "C0INCIDENT");
  body.set("team_id", fields.team ?? "T0001");
  body.set(
    "trigger_id",
    fields.triggerId ?? `13345224609.738474920.${Date.now().toString(16)}${++triggers}`,
  );
  return body.toString();
}

/** The operation id an answer names. */
export function operationIdOf(text: string): string {
  return /`(op-[a-z0-9]{10})`/.exec(text)?.[1] ?? "";
}

export interface Answer {
  status: number;
  text: string;
  operationId: string | undefined;
}

/** Sends a signed request through the front door handler, as API Gateway would. */
export async function sendToFrontDoor(
  stack: LocalStack,
  body: string,
  headers = slackHeaders(stack.signingSecret, body),
): Promise<Answer> {
  const result = (await stack.handlers.slack(
    httpApiEvent("POST", "/slack/events", headers, body),
    lambdaContext("bm-slack", 6000),
  )) as {
    statusCode?: number;
    body?: string;
  };
  const text = result.body ? ((JSON.parse(result.body) as { text?: string }).text ?? "") : "";
  return {
    status: result.statusCode ?? 200,
    text,
    operationId: operationIdOf(text) || undefined,
  };
}

export function slash(
  stack: LocalStack,
  text: string,
  fields: { user?: string; channel?: string; triggerId?: string; responseUrl?: string } = {},
): Promise<Answer> {
  const responseUrl = stack.slack?.newResponseUrl(
    fields.channel ?? "C0INCIDENT",
    fields.user ?? "U0REQUESTER",
  );
  return sendToFrontDoor(
    stack,
    slashBody({ text, ...(responseUrl ? { responseUrl } : {}), ...fields }),
  );
}

/** Delivers queue messages until the queue is empty or `until` holds, waiting out delays. */
export async function drain(
  stack: LocalStack,
  until?: () => Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    await stack.deliver();
    if (until ? await until() : stack.queue?.depth === 0) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`drain: still not settled after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function store(stack: LocalStack): DynamoOperationStore {
  return new DynamoOperationStore(documentClient(stack.dynamo), stack.env.BM_TABLE as string);
}

export async function operation(stack: LocalStack, id: string | undefined): Promise<Operation> {
  const op = id ? await store(stack).get(id) : undefined;
  if (!op) throw new Error(`no operation ${id}`);
  return op;
}

/** True once the operation has ended, its last message is posted and its trail is written. */
export async function settled(stack: LocalStack, id: string | undefined): Promise<boolean> {
  const op = id ? await store(stack).get(id) : undefined;
  return !!op && isTerminal(op.state) && (op.noticedSeq ?? 0) >= op.seq && !op.unaudited?.length;
}

export async function auditOf(stack: LocalStack, id: string): Promise<AuditEvent[]> {
  const { Items = [] } = await stack.dynamo.send(
    new QueryCommand({
      TableName: stack.env.BM_AUDIT_TABLE,
      KeyConditionExpression: "operationId = :id",
      ExpressionAttributeValues: { ":id": { S: id } },
    }),
  );
  return Items.map((i) => unmarshall(i) as AuditEvent);
}

export async function operationCount(stack: LocalStack): Promise<number> {
  const { Count = 0 } = await stack.dynamo.send(
    new ScanCommand({ TableName: stack.env.BM_TABLE, Select: "COUNT" }),
  );
  return Count;
}

/** The parent message of an operation and its thread, as text a person reads. */
export function thread(stack: LocalStack, op: Operation): { parent: string; replies: string[] } {
  const parent = stack.slack?.history(op.channelId).find((m) => m.ts === op.parentTs);
  if (!parent) return { parent: "", replies: [] };
  const blocks = (parent.blocks ?? []) as Array<{
    text?: { text: string };
    fields?: Array<{ text: string }>;
    elements?: Array<{ text: string }>;
  }>;
  const text = blocks
    .map((b) =>
      [
        b.text?.text,
        ...(b.fields ?? []).map((f) => f.text),
        ...(b.elements ?? []).map((e) => e.text),
      ]
        .filter(Boolean)
        .join("\n"),
    )
    .join("\n");
  return { parent: text, replies: parent.replies.map((r) => r.text) };
}

export const ECL_ACTIONS = (stack: LocalStack) =>
  stack.ecl?.requests.filter((r) => r.route === "action") ?? [];

const BLOCK_ACTIONS = JSON.parse(
  readFileSync(join(import.meta.dirname, "../fixtures/block-actions.json"), "utf8"),
);
const VIEW_SUBMISSION = JSON.parse(
  readFileSync(join(import.meta.dirname, "../fixtures/view-submission.json"), "utf8"),
);

/** A click on one of the card's buttons, as Slack sends it: Slack's sample with bm's fields. */
export async function click(
  stack: LocalStack,
  op: Operation,
  actionId: string,
  user: string,
  options: { triggerAgeMs?: number } = {},
): Promise<Answer> {
  const payload = structuredClone(BLOCK_ACTIONS);
  payload.user = { ...payload.user, id: user, team_id: op.teamId };
  payload.team = { ...payload.team, id: op.teamId };
  payload.channel = { ...payload.channel, id: op.channelId };
  payload.container = { ...payload.container, channel_id: op.channelId, message_ts: op.parentTs };
  payload.message = { ...payload.message, ts: op.parentTs };
  payload.trigger_id = `${Date.now() - (options.triggerAgeMs ?? 0)}.${++triggers}.click`;
  payload.response_url = stack.slack?.newResponseUrl(op.channelId, user);
  payload.actions = [
    { ...payload.actions[0], block_id: "bm_approval", action_id: actionId, value: op.id },
  ];
  return sendToFrontDoor(
    stack,
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
  );
}

/** The reject modal submitted, as Slack sends it. */
export async function submitReject(
  stack: LocalStack,
  op: Operation,
  user: string,
  reason: string,
): Promise<{ status: number; body: string }> {
  const payload = structuredClone(VIEW_SUBMISSION);
  payload.user = { ...payload.user, id: user, team_id: op.teamId };
  payload.team = { ...payload.team, id: op.teamId };
  payload.view = {
    ...payload.view,
    callback_id: "bm_reject_reason",
    private_metadata: op.id,
    state: { values: { reason: { reason: { type: "plain_text_input", value: reason } } } },
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const result = (await stack.handlers.slack(
    httpApiEvent("POST", "/slack/events", slackHeaders(stack.signingSecret, body), body),
    lambdaContext("bm-slack", 6000),
  )) as {
    statusCode?: number;
    body?: string;
  };
  return { status: result.statusCode ?? 200, body: result.body ?? "" };
}

/**
 * The local stack as the integration tests run it: secrets through the Secrets Manager stand-in,
 * the tests' policy, fast queue delays and polling. `options` adds to or overrides these.
 */
export function testStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  return startLocalStack({
    secretsVia: "secrets-manager",
    policyFile: join(import.meta.dirname, "../fixtures/policy.yml"),
    taskMs: 150,
    queueTimeScale: 0.05,
    groups: { S0APPROVERS: ["U0APPROVER1", "U0APPROVER2"], S0OPERATORS: ["U0OPERATOR"] },
    botNotIn: ["C0NOBOT", "C0NOBOTCHANGES"],
    // A kind ECL, whatever BM_SIMULATOR_* says; a test makes it unkind through the model.
    unkind: {},
    ...options,
    env: {
      BM_POLL_INTERVAL_MS: "100",
      BM_FOLLOWUP_MARGIN_MS: "100",
      BM_AWS_TIMEOUT_MS: "300",
      // Metrics are lines on stdout: the tests that read them turn them on (test/integration/metrics.test.ts).
      POWERTOOLS_METRICS_DISABLED: "true",
      ...options.env,
    },
  });
}
