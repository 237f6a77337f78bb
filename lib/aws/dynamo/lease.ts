/**
 * The follow-up's lease, in the operations table: at most one follow-up invocation polls at a
 * time, without reserved concurrency (which a new account cannot spare). The item carries
 * neither `tenant` nor `inflight`, so no index sees it, and `expiresAt`, so a lease its holder
 * never let go of is removed by DynamoDB's TTL in time (it stops counting at `until` anyway).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Lease } from "../../followup/deps";

/** The lease's key: the follow-up's role may delete it (serverless.yml, lib/doctor/role-calls.ts). */
export const LEASE_ID = "lease#followup";

export class DynamoLease implements Lease {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async take(holder: string, untilMs: number, nowMs: number): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            id: LEASE_ID,
            holder,
            until: untilMs,
            expiresAt: Math.ceil(untilMs / 1000) + 3600,
          },
          ConditionExpression: "attribute_not_exists(id) OR #until < :now OR holder = :holder",
          ExpressionAttributeNames: { "#until": "until" },
          ExpressionAttributeValues: { ":now": nowMs, ":holder": holder },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async release(holder: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { id: LEASE_ID },
          ConditionExpression: "holder = :holder",
          ExpressionAttributeValues: { ":holder": holder },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
