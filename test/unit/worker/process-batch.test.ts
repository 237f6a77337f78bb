import type { SQSEvent, SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { WorkMessage } from "../../../lib/operations/work-message";
import { SlackApiError } from "../../../lib/slack/slack-error";
import {
  backOffS,
  comeBackInS,
  messageBudgetMs,
  processBatch,
} from "../../../lib/worker/process-batch";
import { RetryLater } from "../../../lib/worker/retry-later";

const MESSAGE_BUDGET_MS = 45_000;

import { eclServer, IMAGE, NOW, operationIn, SERVER, workerFakes } from "../fakes";

const URL = "https://hooks.slack.com/commands/T1/1/x";
const STATUS: WorkMessage = {
  kind: "status",
  request: {
    teamId: "T1",
    channelId: "C0INC",
    userId: "U0ASK",
    target: "web01",
    tenant: "t",
    secretId: "bm/tenant/t",
    responseUrl: URL,
  },
};
/** One of each kind, naming a choice or an operation the store does not have. */
const OTHERS: WorkMessage[] = [
  { kind: "lookup", choiceId: "ch-0123456789" },
  { kind: "recheck", operationId: "op-0000000001", userId: "U0CLK" },
  { kind: "prepare", operationId: "op-0000000002" },
  { kind: "execute", operationId: "op-0000000003" },
  { kind: "announce", operationId: "op-0000000004" },
];

/**
 * An SQS record, first received unless `attributes` say otherwise (SQS sends
 * ApproximateReceiveCount as a string); `null`: a record without attributes at all.
 */
const sqsRecord = (
  messageId: string,
  body: WorkMessage | string,
  attributes: Partial<SQSRecord["attributes"]> | null = { ApproximateReceiveCount: "1" },
) =>
  ({
    messageId,
    receiptHandle: `rh-${messageId}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(attributes === null ? {} : { attributes }),
  }) as unknown as SQSRecord;
const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** What the status answer for web01 says, idle with the image attached. */
const WEB01 = `*web01* \`${SERVER}\`: ACTIVE, power RUNNING, task_state None (idle)\nMedia: \`${IMAGE}\`\nNo operation in flight for it.`;

/** A DynamoDB-like failure: an AWS SDK error, told by its name, passing. */
const throttled = () =>
  Object.assign(new Error("slow down"), {
    name: "ProvisionedThroughputExceededException",
    $metadata: {},
  });
const THROTTLED = "AWS answered ProvisionedThroughputExceededException";

describe("an SQS batch", () => {
  it("each message to its kind's job, in order; what is not bm's dropped; none left over", async () => {
    const f = workerFakes({ reads: [eclServer()] });
    const records = [
      sqsRecord("m0", STATUS),
      sqsRecord("m-junk", "not json"),
      ...OTHERS.map((m, i) => sqsRecord(`m${i + 1}`, m)),
    ];
    const result = await processBatch(f.deps, batch(...records));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(f.slack).toEqual([{ method: "respond", text: WEB01 }]);
    expect(f.logs).toEqual([
      { level: "warn", message: "not a bm message; dropped", extra: { messageId: "m-junk" } },
      {
        level: "warn",
        message: "no such choice; message dropped",
        extra: { choiceId: "ch-0123456789" },
      },
      {
        level: "warn",
        message: "no such operation; re-check dropped",
        extra: { operationId: "op-0000000001" },
      },
      ...["op-0000000002", "op-0000000003", "op-0000000004"].map((operationId) => ({
        level: "warn",
        message: "no such operation; message dropped",
        extra: { operationId },
      })),
    ]);
  });

  it("a message whose job fails is left for redelivery, alone, logged with what it is about", async () => {
    const f = workerFakes({}, { openTenant: async () => Promise.reject(throttled()) });
    f.deps.store = { ...f.deps.store, get: async () => Promise.reject(throttled()) };
    f.deps.choices = { ...f.deps.choices, getChoice: async () => Promise.reject(throttled()) };
    const records = [
      sqsRecord("m0", STATUS),
      sqsRecord("m-junk", "{}"),
      ...OTHERS.map((m, i) => sqsRecord(`m${i + 1}`, m)),
    ];
    const result = await processBatch(f.deps, batch(...records));
    expect(result).toEqual({
      batchItemFailures: ["m0", "m1", "m2", "m3", "m4", "m5"].map((itemIdentifier) => ({
        itemIdentifier,
      })),
    });
    const left = (about: object) => ({
      level: "warn",
      message: "message left for redelivery",
      extra: { ...about, error: THROTTLED, comesBackInS: 10 },
    });
    expect(f.logs).toEqual([
      left({ status: "web01" }),
      { level: "warn", message: "not a bm message; dropped", extra: { messageId: "m-junk" } },
      left({ choiceId: "ch-0123456789" }),
      ...["op-0000000001", "op-0000000002", "op-0000000003", "op-0000000004"].map((operationId) =>
        left({ operationId }),
      ),
    ]);
    // Each comes back after the first back-off, not after the queue's six minutes.
    expect(f.redelivered).toEqual(
      ["m0", "m1", "m2", "m3", "m4", "m5"].map((id) => ({
        receiptHandle: `rh-${id}`,
        seconds: 10,
      })),
    );
  });

  it.each([
    [undefined, "all"],
    ["web01", "web01"],
  ])(
    "a media answer (of %s) whose job fails: left for redelivery, logged with what was asked",
    async (target, about) => {
      const f = workerFakes({}, { openTenant: async () => Promise.reject(throttled()) });
      const { target: _, ...request } = (STATUS as Extract<WorkMessage, { kind: "status" }>)
        .request;
      const media: WorkMessage = {
        kind: "media",
        request: target === undefined ? request : { ...request, target },
      };
      const result = await processBatch(f.deps, batch(sqsRecord("m0", media)));
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m0" }] });
      expect(f.logs).toEqual([
        {
          level: "warn",
          message: "message left for redelivery",
          extra: { media: about, error: THROTTLED, comesBackInS: 10 },
        },
      ]);
    },
  );

  it.each([
    [1, 10],
    [2, 30],
    [3, 90],
    [4, 270],
  ])("the failure at receive %i comes back in %i s", async (receive, seconds) => {
    expect(backOffS(receive, 10)).toBe(seconds);
    expect(backOffS(receive, 2)).toBe(seconds / 5);
    const f = workerFakes({}, { openTenant: async () => Promise.reject(throttled()) });
    const attributes = { ApproximateReceiveCount: String(receive) };
    await processBatch(f.deps, batch(sqsRecord("m0", STATUS, attributes)));
    expect(f.redelivered).toEqual([{ receiptHandle: "rh-m0", seconds }]);
  });

  it("a back-off SQS refuses is logged; the message is left for redelivery all the same", async () => {
    const f = workerFakes(
      {},
      {
        openTenant: async () => Promise.reject(throttled()),
        redeliver: async () => Promise.reject(throttled()),
      },
    );
    const result = await processBatch(f.deps, batch(sqsRecord("m0", STATUS)));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m0" }] });
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not shorten the message's wait; it comes back after the queue's",
      extra: { messageId: "m0", error: THROTTLED },
    });
  });

  it("one message's budget: a POST's timeout and a read's three phases", () => {
    expect(messageBudgetMs({ eclActionTimeoutMs: 30_000, eclTimeoutMs: 5000 })).toBe(45_000);
    expect(messageBudgetMs({ eclActionTimeoutMs: 800, eclTimeoutMs: 400 })).toBe(2000);
  });

  it("a message is taken only while one could still finish; the rest go back at once", async () => {
    const f = workerFakes({ reads: [eclServer()] });
    // Each answered status takes 20 s of the invocation's time.
    let left = MESSAGE_BUDGET_MS + 40_000;
    const respond = f.deps.chat.respond;
    f.deps.chat = {
      ...f.deps.chat,
      respond: async (url, message) => {
        left -= 20_000;
        return respond(url, message);
      },
    };
    const records = ["m0", "m1", "m2", "m3", "m4"].map((id) => sqsRecord(id, STATUS));
    const result = await processBatch(f.deps, batch(...records), () => left);
    // m0 and m1 leave the budget at exactly MESSAGE_BUDGET_MS: m2 is taken, then too little is left.
    expect(f.slack).toHaveLength(3);
    expect(result).toEqual({
      batchItemFailures: [{ itemIdentifier: "m3" }, { itemIdentifier: "m4" }],
    });
    expect(f.redelivered).toEqual([
      { receiptHandle: "rh-m3", seconds: 0 },
      { receiptHandle: "rh-m4", seconds: 0 },
    ]);
    expect(f.logs).toContainEqual({
      level: "info",
      message: "too little time left for the rest of the batch; it goes back to the queue",
      extra: { remainingMs: MESSAGE_BUDGET_MS - 20_000, messages: 2 },
    });
  });

  it("with no time for even one, the whole batch goes back untouched", async () => {
    const f = workerFakes({ reads: [eclServer()] });
    const records = ["m0", "m1"].map((id) => sqsRecord(id, STATUS));
    const result = await processBatch(f.deps, batch(...records), () => MESSAGE_BUDGET_MS - 1);
    expect(f.slack).toEqual([]);
    expect(f.calls).toEqual([]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m0" }, { itemIdentifier: "m1" }]);
  });

  it.each([
    ["the first receive", { ApproximateReceiveCount: "1" }, true],
    ["the fourth receive", { ApproximateReceiveCount: "4" }, true],
    ["a record without a receive count, taken as the first", {}, true],
    ["a record without attributes, taken as the first", null, true],
    ["the last receive", { ApproximateReceiveCount: "5" }, false],
  ])(
    "a passing failure at %s: left for redelivery unless it is the last",
    async (_, attributes, left) => {
      const f = workerFakes({}, { openTenant: async () => Promise.reject(throttled()) });
      const result = await processBatch(f.deps, batch(sqsRecord("m0", STATUS, attributes)));
      expect(result).toEqual({ batchItemFailures: left ? [{ itemIdentifier: "m0" }] : [] });
      // At the last receive the asker is told instead.
      expect(f.slack).toEqual(
        left ? [] : [{ method: "respond", text: `bm could not look up \`web01\`: ${THROTTLED}` }],
      );
    },
  );
});

describe("a failure that asks for a wait (Slack's Retry-After, the pacer's) comes back no sooner", () => {
  const before = new Date(NOW.getTime() - 10_000).toISOString();
  const expires = new Date(NOW.getTime() + 60_000).toISOString();
  /** A batch of one detach whose check of the policy in force meets `groupLookup`'s failure. */
  async function paced(groupLookup: Error, receive: number, firstS = 10) {
    const f = workerFakes({}, { groupMembers: async () => Promise.reject(groupLookup) });
    f.deps.retryBackOffS = firstS;
    const op = operationIn(f.ops, "C0CHG", ["approved"], {
      serverId: "s",
      approvals: [
        { userId: "U0A1", at: before },
        { userId: "U0A2", at: before },
      ],
      requestExpiresAt: expires,
    });
    const record = sqsRecord(
      "m0",
      { kind: "execute", operationId: op.id },
      { ApproximateReceiveCount: String(receive) },
    );
    const result = await processBatch(f.deps, batch(record));
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "m0" }] });
    return { f, op };
  }
  const ratelimited = (retryAfterS?: number) =>
    new SlackApiError("usergroups.users.list", "ratelimited", "passing", retryAfterS);

  it.each([
    // [receive, Slack's wait, seconds]: the back-off is 10 s at the first receive, 30 at the second.
    [1, 9, 10], // a wait shorter than the back-off: the back-off
    [1, 10, 10], // as long: either
    [1, 11, 11], // longer: the wait
    [2, 29, 30],
    [2, 31, 31],
    [4, 300, 300], // past the fourth back-off (270 s): the retries do not burn out first
    [1, 43_199, 43_199],
    [1, 43_200, 43_200], // SQS's longest: 12 hours
    [1, 43_201, 43_200], // longer: clamped
    [1, 100_000, 43_200],
  ])(
    "receive %i, Slack asks %i s: the message comes back in %i s, logged with both",
    async (receive, waitS, seconds) => {
      const { f, op } = await paced(ratelimited(waitS), receive);
      expect(f.redelivered).toEqual([{ receiptHandle: "rh-m0", seconds }]);
      expect(f.logs).toContainEqual({
        level: "warn",
        message: "message left for redelivery",
        extra: {
          operationId: op.id,
          error: "Slack could not say who is in the channel's user groups",
          comesBackInS: seconds,
          waitAskedS: waitS,
        },
      });
    },
  );

  it("a failure that asks for no wait: the back-off alone, and no wait logged", async () => {
    const { f, op } = await paced(
      new SlackApiError("usergroups.users.list", "service_unavailable", "passing"),
      2,
    );
    expect(f.redelivered).toEqual([{ receiptHandle: "rh-m0", seconds: 30 }]);
    // Strictly: no `waitAskedS` key at all, not one holding undefined.
    expect(f.logs.find((l) => l.message === "message left for redelivery")).toStrictEqual({
      level: "warn",
      message: "message left for redelivery",
      extra: {
        operationId: op.id,
        error: "Slack could not say who is in the channel's user groups",
        comesBackInS: 30,
      },
    });
  });

  it("the back-off scaled down (tests, BM_RETRY_BACKOFF_S): Slack's wait still holds", async () => {
    const { f } = await paced(ratelimited(3), 1, 1);
    expect(f.redelivered).toEqual([{ receiptHandle: "rh-m0", seconds: 3 }]);
  });

  it("the seconds, one by one", () => {
    const later = (waitS?: number) =>
      new RetryLater("later", waitS === undefined ? undefined : { cause: ratelimited(waitS) });
    expect(comeBackInS(later(), 1, 10)).toBe(10);
    expect(comeBackInS(later(), 3, 10)).toBe(90);
    expect(comeBackInS(new Error("down"), 2, 10)).toBe(30);
    expect(comeBackInS(undefined, 2, 10)).toBe(30);
    expect(comeBackInS(later(0), 1, 10)).toBe(10);
    expect(comeBackInS(later(10.2), 1, 10)).toBe(11); // rounded up, never shortened
    expect(comeBackInS(later(10), 1, 10)).toBe(10);
    expect(comeBackInS(later(89), 3, 10)).toBe(90);
    expect(comeBackInS(later(91), 3, 10)).toBe(91);
    // A Slack error thrown as it is asks the same as one wrapped.
    expect(comeBackInS(ratelimited(20), 1, 10)).toBe(20);
    // The clamp holds for the back-off too (a huge receive count), and for the wait.
    expect(comeBackInS(later(), 12, 10)).toBe(43_200);
    expect(comeBackInS(later(43_200.5), 1, 10)).toBe(43_200);
  });
});
