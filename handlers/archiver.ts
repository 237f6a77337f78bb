/**
 * The archiver: every record of the audit table's stream, to the write-once archive bucket.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { archiveBatch } from "../lib/audit/archive-batch";
import { createArchiver } from "../lib/runtime/archiver";
import { once } from "../lib/runtime/once";

const archiver = once(async () => createArchiver());

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const deps = await archiver();
  try {
    return await archiveBatch(deps, event.Records);
  } finally {
    deps.metrics.flush();
  }
};
