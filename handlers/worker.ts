/**
 * The worker: prepares and executes operations from the SQS queue.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { backOffBatch, createBackend } from "../lib/runtime/backend";
import { once } from "../lib/runtime/once";
import { processBatch } from "../lib/worker/process-batch";

const backend = once(() => createBackend("worker"));

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const deps = await backend().catch(async (error: unknown) => {
    await backOffBatch(event);
    throw error;
  });
  try {
    return await processBatch(deps, event, () => context.getRemainingTimeInMillis());
  } finally {
    deps.metrics.flush();
  }
};
