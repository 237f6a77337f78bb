/**
 * An SQS batch for the worker: each message processed, the unfinished ones reported back so SQS
 * redelivers only those.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { parseWorkMessage } from "../aws/sqs-work-queue";
import { describeError } from "../errors";
import { answerStatus } from "./answer-status";
import { answerLookup } from "./lookup";
import { processMessage, type WorkerDeps } from "./process-message";
import { answerRecheck } from "./recheck";

export async function processBatch(deps: WorkerDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  // One at a time: a batch is small, and two messages of one operation must not race.
  for (const record of event.Records) {
    let message: ReturnType<typeof parseWorkMessage>;
    try {
      message = parseWorkMessage(record.body);
    } catch {
      deps.log.warn("not a bm message; dropped", { messageId: record.messageId });
      continue;
    }
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
    try {
      if (message.kind === "status") await answerStatus(deps, message.request, receiveCount);
      else if (message.kind === "lookup") await answerLookup(deps, message, receiveCount);
      else if (message.kind === "recheck") await answerRecheck(deps, message, receiveCount);
      else await processMessage(deps, message, receiveCount);
    } catch (error) {
      const about =
        message.kind === "status"
          ? { status: message.request.target }
          : message.kind === "lookup"
            ? { choiceId: message.choiceId }
            : { operationId: message.operationId };
      deps.log.warn("message left for redelivery", { ...about, error: describeError(error) });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
