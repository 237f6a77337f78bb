/**
 * The lock on one image of one server, in the operations table: at most one operation on them is
 * in flight.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from "@aws-sdk/lib-dynamodb";
import type { OperationStore } from "../../operations/ports";

export class DynamoLocks implements Pick<OperationStore, "lock" | "unlock" | "takeLock"> {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  // Locks live in the operations table under ids of their own (`lock#…`); they carry neither
  // `tenant` nor `inflight`, so no index sees them.
  async lock(key: string, opId: string): Promise<{ held: true } | { held: false; holder: string }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { id: key, holder: opId, at: new Date().toISOString() },
          ConditionExpression: "attribute_not_exists(id) OR holder = :op",
          ExpressionAttributeValues: { ":op": opId },
        }),
      );
      return { held: true } as const;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.table, Key: { id: key }, ConsistentRead: true }),
      );
      // Released in between: try once more.
      if (!Item) return this.lock(key, opId);
      return { held: false, holder: String(Item.holder) } as const;
    }
  }

  async unlock(key: string, opId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { id: key },
          ConditionExpression: "holder = :op",
          ExpressionAttributeValues: { ":op": opId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async takeLock(key: string, from: string, opId: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { id: key, holder: opId, at: new Date().toISOString() },
          ConditionExpression: "holder = :from",
          ExpressionAttributeValues: { ":from": from },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
