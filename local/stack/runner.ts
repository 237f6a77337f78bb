/**
 * What AWS does to run the worker and the follow-up: the SQS event source mapping (receive a
 * batch, invoke the worker, delete what it finished) and the schedule (the follow-up every
 * budget), with Lambda's rules: an invocation past its timeout is killed (its answer never read,
 * its whole batch seen again after the visibility timeout), and one that recursive loop
 * detection stops is not run (lineage.ts).
 */
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { lambdaContext, sqsRecord } from "../lambda-events";
import type { Lineage } from "../stand-ins/lineage";
import type { Closers } from "./closers";

export type WorkerFn = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
export type FollowupFn = (
  event: ScheduledEvent | { source: "bm.worker" },
  context: Context,
) => Promise<void>;

const QUEUE_ARN = "arn:aws:sqs:local:000000000000:bm-work";
/** serverless.yml: the worker's batch size and timeout. */
export const WORKER_BATCH = 5;
export const WORKER_TIMEOUT_MS = 60_000;

export interface EventSourceOptions {
  lineage: Lineage;
  /** The worker's timeout: past it, the invocation is killed. */
  timeoutMs?: number;
  /**
   * Hides each received message this long instead of the queue's own visibility timeout: for an
   * SQS that is not the stand-in (moto), whose clock the local stack cannot scale.
   */
  visibilityS?: number;
  /** Moves a message to the dead letters at once (the SQS stand-in can; another SQS cannot). */
  deadLetter?: (receiptHandle: string) => void;
  log: (line: string) => void;
}

/** What the event source mapping saw, for tests. */
export interface EventSourceFigures {
  invocations: number;
  /** Invocations killed at the worker's timeout. */
  timedOut: number;
}

/**
 * Delivers the visible queue messages to the worker once; returns how many. As Lambda does, a
 * batch answer naming a message that is not in the batch fails the whole batch.
 */
export function eventSourceMapping(
  queueUrl: string,
  worker: WorkerFn,
  options: EventSourceOptions,
) {
  const sqs = new SQSClient({});
  const timeoutMs = options.timeoutMs ?? WORKER_TIMEOUT_MS;
  const figures: EventSourceFigures = { invocations: 0, timedOut: 0 };
  const deliver = async (): Promise<number> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: WORKER_BATCH,
        // No VisibilityTimeout: the queue's own, as the event source mapping receives.
        ...(options.visibilityS === undefined ? {} : { VisibilityTimeout: options.visibilityS }),
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp", "AWSTraceHeader"],
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
          traceHeader: m.Attributes?.AWSTraceHeader,
        },
        QUEUE_ARN,
      ),
    );
    const all = new Set(records.map((r) => r.messageId));
    let failed = all;
    let answered = false;
    const ran = await options.lineage.invoke(
      "bm-worker",
      records.map((r) => r.attributes.AWSTraceHeader),
      async () => {
        figures.invocations++;
        const context = lambdaContext("bm-worker", timeoutMs);
        let timer: NodeJS.Timeout | undefined;
        const killed = new Promise<"killed">((resolve) => {
          timer = setTimeout(() => resolve("killed"), timeoutMs);
        });
        try {
          const result = await Promise.race([worker({ Records: records }, context), killed]);
          if (result === "killed") {
            figures.timedOut++;
            options.log(
              `worker: timed out after ${timeoutMs} ms; the batch is seen again after the visibility timeout`,
            );
            return;
          }
          answered = true;
          const named = result.batchItemFailures.map((f) => f.itemIdentifier);
          // An identifier that is not one of the batch's fails the whole batch, as on Lambda.
          failed = named.every((id) => all.has(id)) ? new Set(named) : all;
        } catch (error) {
          options.log(
            `worker: invocation failed (${(error as Error).name}); the batch will be redelivered`,
          );
        } finally {
          clearTimeout(timer);
        }
      },
    );
    if (!ran) {
      options.log(
        "worker: recursive loop detection stopped the invocation; its messages are dead letters",
      );
      for (const record of records) options.deadLetter?.(record.receiptHandle);
      return records.length;
    }
    if (!answered) return records.length;
    for (const record of records) {
      if (!failed.has(record.messageId))
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }),
        );
    }
    return records.length;
  };
  return Object.assign(deliver, { figures });
}

/**
 * The follow-up invoked as EventBridge invokes it (a new chain each time), or as the worker's
 * Invoke does (continuing the worker's chain), with this much time left. Invocations overlap, as
 * on Lambda without reserved concurrency: bm's lease keeps one polling.
 */
export function followupInvoker(followupHandler: FollowupFn, lineage: Lineage) {
  const SCHEDULED = { "detail-type": "Scheduled Event", source: "aws.events" } as ScheduledEvent;
  const run =
    (budgetMs: number, event: Parameters<FollowupFn>[0] = SCHEDULED) =>
    () =>
      followupHandler(event, lambdaContext("bm-followup", budgetMs));
  /** The schedule's invocation: a new chain. */
  const invoke = async (budgetMs: number): Promise<void> => {
    let failure: unknown;
    await lineage.invoke("bm-followup", "new", () =>
      run(budgetMs)().catch((error: unknown) => {
        failure = error;
      }),
    );
    if (failure) throw failure;
  };
  /** An Invoke from a function whose trace header is `trace`; false when Lambda stops it. */
  const invoked = (budgetMs: number, trace: string | undefined): Promise<boolean> =>
    lineage.invoke("bm-followup", [trace], () =>
      run(budgetMs, { source: "bm.worker" })().catch(() => undefined),
    );
  return { invoke, invoked };
}

/**
 * Delivers queue messages and runs the follow-up by themselves (npm start): the queue polled by
 * `pollers` at once (the event source's maximum concurrency), each every 200 ms while empty; the
 * follow-up every budget (rate(1 minute)), whether or not the last one has ended, as EventBridge
 * does.
 */
export function runByThemselves(
  closers: Closers,
  deliver: () => Promise<number>,
  followup: (budgetMs: number) => Promise<void>,
  budget: number,
  log: (l: string) => void,
  pollers = 2,
): void {
  let running = true;
  const pause = () => new Promise((r) => setTimeout(r, 200));
  const deliverLoops = Array.from({ length: pollers }, async () => {
    while (running) {
      if ((await deliver().catch(() => 0)) === 0) await pause();
    }
  });
  const runs = new Set<Promise<void>>();
  const tick = () => {
    const run = followup(budget)
      .catch((error: unknown) => log(`follow-up: failed (${(error as Error).name})`))
      .finally(() => runs.delete(run));
    runs.add(run);
  };
  tick();
  const schedule = setInterval(tick, budget);
  closers.first(async () => {
    running = false;
    clearInterval(schedule);
    await Promise.all([...deliverLoops, ...runs]);
  });
}
