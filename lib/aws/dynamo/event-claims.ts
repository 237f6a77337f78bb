/**
 * Events API deliveries taken, in the operations table (`event#<event_id>`): one conditional put
 * per event, so that of an event and its retries (`X-Slack-Retry-Num`, sent by Slack while the
 * first may still be at work) exactly one does the work. The item carries neither `tenant` nor
 * `inflight`, so no index sees it, and `expiresAt`: DynamoDB's TTL removes it after a day, long
 * past Slack's last retry (about 6 minutes after the event).
 *
 * Each claim carries a token of its own (`claimedBy`), and the condition lets that token through:
 * the SDK tries a put again when its answer was lost, and that second try must find the claim its
 * own, not someone else's, or the delivery that took the event would drop it.
 */
import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { EventClaims } from "../../front-door/deps";

/** How long an event's claim is kept: Slack retries for about 6 minutes. */
export const EVENT_CLAIM_TTL_S = 24 * 3600;

export class DynamoEventClaims implements EventClaims {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async claim(eventId: string, at: Date, token: string = randomUUID()): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            id: `event#${eventId}`,
            claimedAt: at.toISOString(),
            claimedBy: token,
            expiresAt: Math.floor(at.getTime() / 1000) + EVENT_CLAIM_TTL_S,
          },
          ConditionExpression: "attribute_not_exists(id) OR claimedBy = :token",
          ExpressionAttributeValues: { ":token": token },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
