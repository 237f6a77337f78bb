/**
 * What AWS does to run the worker and the follow-up: the SQS event source mapping (receive a
 * batch, invoke the worker, delete what it finished) and the schedule (the follow-up every
 * budget, one at a time, as with reserved concurrency 1).
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { lambdaContext, sqsRecord } from "../lambda-events";
import type { Closers } from "./closers";

export type WorkerFn = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
export type FollowupFn = (event: ScheduledEvent, context: Context) => Promise<void>;

const QUEUE_ARN = "arn:aws:sqs:local:000000000000:bm-work";

/**
 * Delivers the visible queue messages to the worker once, hiding each for `visibilityS` while the
 * worker has it; returns how many.
 */
export function eventSourceMapping(
  queueUrl: string,
  worker: WorkerFn,
  log: (l: string) => void,
  visibilityS = 30,
) {
  const sqs = new SQSClient({});
  return async (): Promise<number> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 5,
        VisibilityTimeout: visibilityS,
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
      }),
    );
    if (Messages.length === 0) return 0;
    const records = Messages.map((m) =>
      sqsRecord(
        {
          messageId: m.MessageId ?? "",
          receiptHandle: m.ReceiptHandle ?? "",
          body: m.Body ?? "",
          receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
          sentAt: Number(m.Attributes?.SentTimestamp ?? Date.now()),
        },
        QUEUE_ARN,
      ),
    );
    let failed = new Set(records.map((r) => r.messageId));
    try {
      const result = await worker({ Records: records }, lambdaContext("bm-worker", 60_000));
      failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    } catch (error) {
      log(`worker: invocation failed (${(error as Error).name}); the batch will be redelivered`);
    }
    for (const record of records) {
      if (!failed.has(record.messageId))
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }),
        );
    }
    return records.length;
  };
}

/**
 * The follow-up invoked as EventBridge invokes it, with this much time left; `once` runs one at
 * a time, as reserved concurrency 1 does (the schedule and the worker's starts share it).
 */
export function followupInvoker(followupHandler: FollowupFn) {
  const invoke = (budgetMs: number) =>
    followupHandler(
      { "detail-type": "Scheduled Event", source: "aws.events" } as ScheduledEvent,
      lambdaContext("bm-followup", budgetMs),
    );
  let running: Promise<void> = Promise.resolve();
  const once = (budgetMs: number) => {
    const run = running.then(() => invoke(budgetMs));
    running = run.catch(() => undefined);
    return run;
  };
  return { invoke, once };
}

/**
 * Delivers queue messages and runs the follow-up by themselves (npm start): the queue polled
 * every 200 ms while empty, the follow-up a budget after its last start (rate(1 minute)).
 */
export function runByThemselves(
  closers: Closers,
  deliver: () => Promise<number>,
  followupOnce: (budgetMs: number) => Promise<void>,
  budget: number,
  log: (l: string) => void,
): void {
  let running = true;
  const pause = () => new Promise((r) => setTimeout(r, 200));
  const deliverLoop = (async () => {
    while (running) {
      if ((await deliver().catch(() => 0)) === 0) await pause();
    }
  })();
  const followupLoop = (async () => {
    while (running) {
      const started = Date.now();
      await followupOnce(budget).catch((error: unknown) =>
        log(`follow-up: failed (${(error as Error).name})`),
      );
      // rate(1 minute): the next invocation starts a budget after the last one started.
      while (running && Date.now() - started < budget) await pause();
    }
  })();
  closers.first(async () => {
    running = false;
    await Promise.all([deliverLoop, followupLoop]);
  });
}
