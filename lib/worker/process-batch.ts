/**
 * An SQS batch for the worker: each message processed, the unfinished ones reported back so SQS
 * redelivers only those. The worker reads its time left: it takes a message only while one could
 * still finish (Lambda kills an invocation at its timeout, and every message of the batch comes
 * back with its receive count raised); the rest go back to the queue at once. A message that
 * meets a passing failure comes back after a short back-off, not after the queue's visibility
 * timeout (six minutes), and never before the wait its cause asks for (a rate-limited Slack
 * call's Retry-After: {@link waitAskedS}).
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { describeError } from "../errors";
import { MAX_VISIBILITY_S } from "../operations/ports";
import { parseWorkMessage, type WorkMessage } from "../operations/work-message";
import { answerMedia } from "./answer-media";
import { answerStatus } from "./answer-status";
import { answerLookup } from "./lookup";
import { processMessage, type WorkerDeps } from "./process-message";
import { answerRecheck } from "./recheck";
import { waitAskedS } from "./retry-later";

/**
 * The longest one message may take, from the ECL timeouts: a detach POST's (30 s by default) and
 * a read of the server's three phases (connect, headers, body: 5 s each at most), 45 s in all; the
 * store's and Slack's calls are short beside them. A message is taken only with this much left.
 */
export function messageBudgetMs(config: { eclActionTimeoutMs: number; eclTimeoutMs: number }) {
  return config.eclActionTimeoutMs + 3 * config.eclTimeoutMs;
}

/**
 * Seconds before the `receiveCount`th failure of a message is seen again, from the first back-off
 * (`BM_RETRY_BACKOFF_S`): 10, 30, 90 and 270 s by default, 400 s in all before the dead letters.
 */
export function backOffS(receiveCount: number, firstS: number): number {
  return firstS * 3 ** (Math.max(1, receiveCount) - 1);
}

/**
 * Seconds before a message that failed with `error` at its `receiveCount`th receive is seen
 * again: its back-off, or the wait the failure asks for ({@link waitAskedS}) when that is longer
 * (in whole seconds, rounded up so that it is never shortened), at most the 12 hours SQS allows.
 */
export function comeBackInS(error: unknown, receiveCount: number, firstS: number): number {
  const asked = Math.ceil(waitAskedS(error) ?? 0);
  return Math.min(MAX_VISIBILITY_S, Math.max(backOffS(receiveCount, firstS), asked));
}

export async function processBatch(
  deps: WorkerDeps,
  event: SQSEvent,
  remainingMs: () => number = () => Number.POSITIVE_INFINITY,
): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  // One at a time: a batch is small, and two messages of one operation must not race.
  for (const [index, record] of event.Records.entries()) {
    if (remainingMs() < deps.messageBudgetMs) {
      const rest = event.Records.slice(index);
      deps.log.info("too little time left for the rest of the batch; it goes back to the queue", {
        remainingMs: remainingMs(),
        messages: rest.length,
      });
      for (const skipped of rest) {
        failures.push({ itemIdentifier: skipped.messageId });
        await comeBack(deps, skipped, 0);
      }
      break;
    }
    const message = parseWorkMessage(record.body);
    if (!message) {
      deps.log.warn("not a bm message; dropped", { messageId: record.messageId });
      continue;
    }
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    try {
      await handle(deps, message, receiveCount);
    } catch (error) {
      const seconds = comeBackInS(error, receiveCount, deps.retryBackOffS);
      const asked = waitAskedS(error);
      deps.log.warn("message left for redelivery", {
        ...about(message),
        error: describeError(error),
        comesBackInS: seconds,
        ...(asked === undefined ? {} : { waitAskedS: asked }),
      });
      failures.push({ itemIdentifier: record.messageId });
      await comeBack(deps, record, seconds);
    }
  }
  return { batchItemFailures: failures };
}

/**
 * Makes a message left in the queue visible again in `seconds`. Best effort: should SQS refuse,
 * the message comes back after the queue's visibility timeout all the same.
 */
async function comeBack(deps: WorkerDeps, record: SQSRecord, seconds: number): Promise<void> {
  try {
    await deps.redeliver(record.receiptHandle, seconds);
  } catch (error) {
    deps.log.warn("could not shorten the message's wait; it comes back after the queue's", {
      messageId: record.messageId,
      error: describeError(error),
    });
  }
}

/** One message, to the worker's job for its kind. */
function handle(deps: WorkerDeps, message: WorkMessage, receiveCount: number): Promise<void> {
  switch (message.kind) {
    case "status":
      return answerStatus(deps, message.request, receiveCount);
    case "media":
      return answerMedia(deps, message.request, receiveCount);
    case "lookup":
      return answerLookup(deps, message, receiveCount);
    case "recheck":
      return answerRecheck(deps, message, receiveCount);
    case "prepare":
    case "execute":
    case "announce":
      return processMessage(deps, message, receiveCount);
  }
}

/** What a log line names of a message: its operation, its choice, or what was looked up. */
function about(message: WorkMessage): Record<string, string> {
  switch (message.kind) {
    case "status":
      return { status: message.request.target };
    case "media":
      return { media: message.request.target ?? "all" };
    case "lookup":
      return { choiceId: message.choiceId };
    default:
      return { operationId: message.operationId };
  }
}
