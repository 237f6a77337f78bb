/**
 * Drives the local stack as Slack and AWS would: signed slash commands (built from the real
 * payload in test/fixtures), queue deliveries, follow-up invocations; and reads back the
 * operations, the audit trail and the Slack channel.
 */
import { execFile } from "node:child_process";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { QueryCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import {
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { expect } from "vitest";
import { DynamoAuditLog } from "../../lib/aws/dynamo/audit-log";
import { documentClient } from "../../lib/aws/dynamo/documents";
import { DynamoOperationStore } from "../../lib/aws/dynamo/operation-store";
import type { AuditEvent, Operation } from "../../lib/operations/operation";
import { isTerminal } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { httpApiEvent, lambdaContext } from "../../local/lambda-events";
import { blockActionsBody, slackEncode, slackHeaders } from "../../local/slack-request";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "../../local/stack";
import type { Ephemeral } from "../../local/stand-ins/slack";
import type { EarlyCall } from "../../local/stand-ins/slack-rate";

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
  /** For a detach bm looked up first: what the worker then told the requester privately. */
  followUp?: string;
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

/**
 * A slash command through the front door. A detach that names its server by name (or has no
 * image) is looked up by the worker first, which answers through the response_url: unless told
 * `follow: false`, that lookup is delivered too, and the answer carries what it said (and the
 * operation it recorded, if it did). Nothing else is delivered beyond it.
 */
export async function slash(
  stack: LocalStack,
  text: string,
  fields: {
    user?: string;
    channel?: string;
    triggerId?: string;
    responseUrl?: string;
    follow?: boolean;
  } = {},
): Promise<Answer> {
  const { follow = true, ...rest } = fields;
  const channel = rest.channel ?? "C0INCIDENT";
  const user = rest.user ?? "U0REQUESTER";
  const responseUrl = stack.slack?.newResponseUrl(channel, user);
  const seen = stack.slack?.ephemeralsOf(channel, user).length ?? 0;
  const answer = await sendToFrontDoor(
    stack,
    slashBody({ text, ...(responseUrl ? { responseUrl } : {}), ...rest }),
  );
  if (!follow || answer.operationId || !answer.text.startsWith("Looking up ")) return answer;
  const said = () => stack.slack?.ephemeralsOf(channel, user)[seen]?.text;
  await drain(stack, async () => said() !== undefined);
  const followUp = said() ?? "";
  return { ...answer, followUp, operationId: operationIdOf(followUp) || undefined };
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
    if (until ? await until() : (await queueDepth(stack)) === 0) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`drain: still not settled after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Messages waiting, delayed or in flight: in the stand-in, or in the SQS the stack was given. */
export async function queueDepth(stack: LocalStack): Promise<number> {
  if (stack.queue) return stack.queue.depth;
  const { Attributes = {} } = await new SQSClient({}).send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.env.BM_QUEUE_URL,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return Object.values(Attributes).reduce((sum, n) => sum + Number(n), 0);
}

/** Puts a message on the work queue, as another sender would (a redelivery, a duplicate). */
export async function enqueue(stack: LocalStack, body: string): Promise<void> {
  if (stack.queue) {
    stack.queue.send(body);
    return;
  }
  await new SQSClient({}).send(
    new SendMessageCommand({ QueueUrl: stack.env.BM_QUEUE_URL, MessageBody: body }),
  );
}

/** Empties the work queue: every message, waiting, delayed or in flight, is gone. */
export async function purgeQueue(stack: LocalStack): Promise<void> {
  if (stack.queue) {
    stack.queue.messages.splice(0);
    return;
  }
  await new SQSClient({}).send(new PurgeQueueCommand({ QueueUrl: stack.env.BM_QUEUE_URL }));
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

/**
 * The items of the operations table but Slack's pace (`pace#…`, lib/aws/dynamo/pace-store.ts),
 * which any Slack call may write.
 */
export async function operationCount(stack: LocalStack): Promise<number> {
  const { Items = [] } = await stack.dynamo.send(
    new ScanCommand({ TableName: stack.env.BM_TABLE, ProjectionExpression: "id" }),
  );
  return Items.filter((i) => !String(i.id?.S).startsWith("pace#")).length;
}

/** The ids of every operation recorded (not the pending choices or locks beside them), sorted. */
export async function operationIds(stack: LocalStack): Promise<string[]> {
  const { Items = [] } = await stack.dynamo.send(
    new ScanCommand({ TableName: stack.env.BM_TABLE, ProjectionExpression: "id" }),
  );
  return Items.map((i) => String(i.id?.S))
    .filter((id) => id.startsWith("op-"))
    .sort();
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

/** A button of a message, as a person sees it. */
export interface ShownButton {
  label: string;
  value: string;
  actionId: string;
  blockId: string;
}

/** The buttons of a message bm sent, in order. */
export function buttonsOf(message: { blocks?: unknown[] } | undefined): ShownButton[] {
  const found: ShownButton[] = [];
  for (const block of (message?.blocks ?? []) as Array<Record<string, unknown>>) {
    const elements = [
      ...(block.accessory ? [block.accessory] : []),
      ...((block.elements as unknown[]) ?? []),
    ] as Array<Record<string, unknown>>;
    for (const e of elements)
      if (e.type === "button")
        found.push({
          label: String((e.text as { text?: string } | undefined)?.text ?? ""),
          value: String(e.value ?? ""),
          actionId: String(e.action_id ?? ""),
          blockId: String(block.block_id ?? ""),
        });
  }
  return found;
}

/** What `user` sees privately in `channel` (C0INCIDENT unless told), oldest first. */
export function privateMessages(stack: LocalStack, user: string, channel = "C0INCIDENT") {
  return stack.slack?.ephemeralsOf(channel, user) ?? [];
}

/**
 * A click on a button of a private message bm sent (`label`, or the button at that place), by
 * `user` (the one who sees it unless told), as Slack sends it: no `message` in the payload, and a
 * response_url that replaces or deletes the message clicked.
 */
export async function clickPrivate(
  stack: LocalStack,
  shown: Ephemeral | undefined,
  which: string | number,
  user = shown?.user ?? "",
): Promise<Answer> {
  if (!shown) throw new Error("no message to click on");
  const buttons = buttonsOf(shown);
  const button =
    typeof which === "number" ? buttons[which] : buttons.find((b) => b.label === which);
  if (!button)
    throw new Error(`no button ${which} in ${JSON.stringify(buttons.map((b) => b.label))}`);
  const responseUrl =
    stack.slack?.newResponseUrl(shown.channel, user, Date.now(), { ephemeralTs: shown.ts }) ?? "";
  return sendToFrontDoor(
    stack,
    blockActionsBody({
      teamId: "T0001",
      channelId: shown.channel,
      userId: user,
      messageTs: shown.ts,
      actionId: button.actionId,
      blockId: button.blockId,
      value: button.value,
      responseUrl,
      ephemeral: true,
    }),
  );
}

/**
 * The reject modal submitted, as Slack sends it: with the private_metadata of the modal bm
 * opened (`privateMetadata`; the operation's id, as a card's Reject opens it, unless told).
 */
export async function submitReject(
  stack: LocalStack,
  op: Operation,
  user: string,
  reason: string,
  privateMetadata = op.id,
): Promise<{ status: number; body: string }> {
  const payload = structuredClone(VIEW_SUBMISSION);
  payload.user = { ...payload.user, id: user, team_id: op.teamId };
  payload.team = { ...payload.team, id: op.teamId };
  payload.view = {
    ...payload.view,
    callback_id: "bm_reject_reason",
    private_metadata: privateMetadata,
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
 * moto_server's URL, when one runs for the tests (`BM_TEST_MOTO_URL`, set by .ci/run): the AWS of
 * the `moto` project, and of the adapter tests' second backend.
 */
export const MOTO_URL = process.env.BM_TEST_MOTO_URL?.trim() || undefined;

/**
 * The AWS the stacks of this test file use: moto's in the `moto` project (vitest.config.ts sets
 * `BM_TEST_AWS=moto`), else dynalite and the stand-ins.
 */
export const AGAINST_MOTO = process.env.BM_TEST_AWS === "moto";

/**
 * A fresh server with the sample image, and a request to detach it made in `channel` (one that
 * needs approvals), left awaiting approval with its card up.
 */
export async function awaitingApproval(
  stack: LocalStack,
  channel = "C0CHANGES",
  requester = "U0REQUESTER",
): Promise<{ op: Operation; serverId: string }> {
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: `aw-${Math.random().toString(36).slice(2, 8)}`,
    media: [SAMPLE.image],
  });
  const answer = await slash(stack, `detach ${server?.name} ${SAMPLE.image} CHG-1`, {
    channel,
    user: requester,
  });
  await drain(
    stack,
    async () => (await operation(stack, answer.operationId)).state === "awaiting_approval",
  );
  await drain(stack);
  return { op: await operation(stack, answer.operationId), serverId: server?.id as string };
}

/** Runs the queue and the follow-up until the operation has settled; returns it. */
export async function finished(stack: LocalStack, id: string): Promise<Operation> {
  await drain(stack, async () => {
    await stack.followup(200);
    return settled(stack, id);
  });
  return operation(stack, id);
}

/** The detach requests the ECL simulator received for one server. */
export const detachesOf = (stack: LocalStack, serverId: string) =>
  ECL_ACTIONS(stack).filter((r) => r.path.includes(serverId));

/**
 * The calls bm made to the Slack stand-in before a Retry-After it was given had passed: Slack
 * warns that an app that keeps calling when told to wait may be disabled, so every test stack's
 * `close()` fails on any (testStack).
 */
export function earlyCalls(stack: LocalStack): readonly EarlyCall[] {
  return stack.slack?.earlyCalls() ?? [];
}

/**
 * With `BM_TEST_SLACK_RATE_REPORT` set to a file, each test stack appends one JSON line when it
 * closes: its test file, the 429s Slack's limits gave it and its early calls, by method. How the
 * suites were measured with the limits on (docs/testing.md#slacks-rate-limits).
 */
function reportRates(stack: LocalStack, file: string | undefined): void {
  const to = process.env.BM_TEST_SLACK_RATE_REPORT;
  if (!to || !stack.slack) return;
  const byMethod = (calls: readonly { method: string }[]) => {
    const counts: Record<string, number> = {};
    for (const c of calls) counts[c.method] = (counts[c.method] ?? 0) + 1;
    return counts;
  };
  const refused = stack.slack.rateRefusals();
  const early = stack.slack.earlyCalls();
  appendFileSync(
    to,
    `${JSON.stringify({
      file,
      calls: stack.slack.calls.length,
      refused: refused.length,
      refusedBy: byMethod(refused),
      early: early.length,
      earlyBy: byMethod(early),
      earlyCalls: early.slice(0, 40),
    })}\n`,
  );
}

/**
 * What `close()` says when the stand-in counted early calls a test did not make on purpose: each
 * one's method, channel and how early it came. Empty when there are none.
 */
export function earlyCallsError(
  early: readonly EarlyCall[],
  allowEarly: (call: EarlyCall) => boolean = () => false,
): string {
  const unasked = early.filter((c) => !allowEarly(c));
  if (unasked.length === 0) return "";
  const lines = unasked.map(
    (c) =>
      `  ${c.method}${c.channel ? ` in ${c.channel}` : ""}, ${c.allowedAt - c.at} ms early` +
      ` (a Retry-After for the ${c.scope})${c.what.text ? `: "${c.what.text}"` : ""}`,
  );
  return `bm called Slack ${unasked.length} time(s) before a Retry-After it was given had passed:\n${lines.join("\n")}`;
}

/** testStack's options: the local stack's, and the early calls a test makes on purpose. */
export interface TestStackOptions extends LocalStackOptions {
  /**
   * The early calls the test itself makes on purpose (never one of bm's): `close()` fails on any
   * other.
   */
  allowEarly?: (call: EarlyCall) => boolean;
}

/**
 * The local stack as the integration tests run it: secrets through the Secrets Manager stand-in
 * (or moto's, in the `moto` project), the tests' policy, fast queue delays and polling. `options`
 * adds to or overrides these. Its `close()` closes it, then fails (and with it the file) when the
 * Slack stand-in counted an early call that `allowEarly` does not allow: Slack's limits are on,
 * and bm must make none. The one check of it for every test stack.
 */
export async function testStack(options: TestStackOptions = {}): Promise<LocalStack> {
  if (AGAINST_MOTO && !MOTO_URL) throw new Error("the moto project needs BM_TEST_MOTO_URL");
  const file = expect.getState().testPath;
  const { allowEarly, ...local } = options;
  const stack = await startLocalStack({
    ...(AGAINST_MOTO && MOTO_URL ? { awsEndpoint: MOTO_URL } : {}),
    secretsVia: "secrets-manager",
    policyFile: join(import.meta.dirname, "../fixtures/policy.yml"),
    taskMs: 150,
    queueTimeScale: 0.05,
    groups: { S0APPROVERS: ["U0APPROVER1", "U0APPROVER2"], S0OPERATORS: ["U0OPERATOR"] },
    botNotIn: ["C0NOBOT", "C0NOBOTCHANGES"],
    // A kind ECL, whatever BM_SIMULATOR_* says; a test makes it unkind through the model.
    unkind: {},
    ...local,
    env: {
      BM_POLL_INTERVAL_MS: "100",
      BM_FOLLOWUP_MARGIN_MS: "100",
      BM_AWS_TIMEOUT_MS: "300",
      // Passing failures back off 1, 3, 9 and 27 s (× the queue's 0.05: 2 s in all); moto's
      // clock is not scaled, so there they come back at once.
      BM_RETRY_BACKOFF_S: AGAINST_MOTO ? "0" : "1",
      // Metrics are lines on stdout: the tests that read them turn them on (test/integration/metrics.test.ts).
      POWERTOOLS_METRICS_DISABLED: "true",
      ...local.env,
    },
  });
  const close = stack.close.bind(stack);
  stack.close = async () => {
    reportRates(stack, file);
    const early = earlyCallsError(earlyCalls(stack), allowEarly);
    await close();
    if (early) throw new Error(early);
  };
  return stack;
}

/** What `npm run audit -- …` answered: its exit code and its output. */
export interface AuditRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run audit -- …args` (scripts/audit.ts) as a terminal would, with `env` added. */
export function runAudit(
  env: Record<string, string | undefined>,
  ...args: string[]
): Promise<AuditRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "scripts/audit.ts", ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

/**
 * Appends, through bm's own audit log, a refusal made at `at` (by U0MALLORY, in C0CHANGES), as
 * the front door writes one: an event of a day past, for the seals to cover.
 */
export async function refusalAt(stack: LocalStack, operationId: string, at: string): Promise<void> {
  await new DynamoAuditLog(documentClient(stack.dynamo), stack.env.BM_AUDIT_TABLE as string).append(
    {
      operationId,
      seq: 0,
      at,
      action: "refused:not_an_approver",
      actor: { teamId: "T0001", userId: "U0MALLORY" },
      facts: { channel: "C0CHANGES" },
    },
  );
}
