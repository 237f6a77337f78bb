/**
 * The conditional writes the stores share: single-item puts only (dynalite implements them
 * faithfully; it has no transactions).
 */
import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";

/** `next` as the write after `prev`: the next revision, and a `writeId` no other write has. */
export function nextWrite<T extends { rev: number; writeId?: string }>(prev: T, next: T): T {
  return { ...next, rev: prev.rev + 1, writeId: randomBytes(8).toString("hex") };
}

/**
 * Puts `item` unless one with its id exists; then returns that one (read with `read`). A failed
 * condition with nothing to read (the item went meanwhile) is thrown as it is.
 */
export async function putNew<T>(
  db: DynamoDBDocumentClient,
  table: string,
  item: object,
  read: () => Promise<T | undefined>,
): Promise<{ created: true } | { created: false; existing: T }> {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
    return { created: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await read();
    if (!existing) throw error;
    return { created: false, existing };
  }
}

/**
 * Puts `item` (which stores `written`) if the stored one still meets `condition`: `written` when
 * it did, undefined when another writer got there first. A refused condition may also be this
 * very write, landed with its answer lost and the SDK's retry then refused: the stored item's
 * `writeId` says which.
 */
export async function putIfUnchanged<T extends { writeId?: string }>(
  db: DynamoDBDocumentClient,
  table: string,
  item: object,
  written: T,
  condition: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
  read: () => Promise<T | undefined>,
): Promise<T | undefined> {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
      }),
    );
    return written;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const stored = await read();
    return stored?.writeId === written.writeId ? stored : undefined;
  }
}
