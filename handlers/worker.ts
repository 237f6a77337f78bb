/**
 * The worker: prepares and executes operations from the SQS queue.
 */
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { createBackend } from "../lib/runtime/backend";
import { once } from "../lib/runtime/once";
import { processBatch } from "../lib/worker/process-batch";

const backend = once(() => createBackend("worker"));

export const handler = async (event: SQSEvent, _context: Context): Promise<SQSBatchResponse> => {
  const deps = await backend();
  try {
    return await processBatch(deps, event);
  } finally {
    deps.metrics.flush();
  }
};
