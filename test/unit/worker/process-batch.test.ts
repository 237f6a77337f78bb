import type { SQSEvent, SQSRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { WorkMessage } from "../../../lib/operations/work-message";
import { processBatch } from "../../../lib/worker/process-batch";
import { eclServer, IMAGE, SERVER, workerFakes } from "../fakes";

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
      extra: { ...about, error: THROTTLED },
    });
    expect(f.logs).toEqual([
      left({ status: "web01" }),
      { level: "warn", message: "not a bm message; dropped", extra: { messageId: "m-junk" } },
      left({ choiceId: "ch-0123456789" }),
      ...["op-0000000001", "op-0000000002", "op-0000000003", "op-0000000004"].map((operationId) =>
        left({ operationId }),
      ),
    ]);
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
