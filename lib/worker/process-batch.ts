/**
 * An SQS batch for the worker: each message processed, the unfinished ones reported back so SQS
 * redelivers only those.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { describeError } from "../errors";
import { parseWorkMessage, type WorkMessage } from "../operations/work-message";
import { answerStatus } from "./answer-status";
import { answerLookup } from "./lookup";
import { processMessage, type WorkerDeps } from "./process-message";
import { answerRecheck } from "./recheck";

export async function processBatch(deps: WorkerDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  // One at a time: a batch is small, and two messages of one operation must not race.
  for (const record of event.Records) {
    const message = parseWorkMessage(record.body);
    if (!message) {
      deps.log.warn("not a bm message; dropped", { messageId: record.messageId });
      continue;
    }
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    try {
      await handle(deps, message, receiveCount);
    } catch (error) {
      deps.log.warn("message left for redelivery", {
        ...about(message),
        error: describeError(error),
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}

/** One message, to the worker's job for its kind. */
function handle(deps: WorkerDeps, message: WorkMessage, receiveCount: number): Promise<void> {
  switch (message.kind) {
    case "status":
      return answerStatus(deps, message.request, receiveCount);
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
    case "lookup":
      return { choiceId: message.choiceId };
    default:
      return { operationId: message.operationId };
  }
}
