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
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { EventClaims } from "../../front-door/deps";
import { putClaim } from "./conditional-writes";

/** How long an event's claim is kept: Slack retries for about 6 minutes. */
export const EVENT_CLAIM_TTL_S = 24 * 3600;

export class DynamoEventClaims implements EventClaims {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  claim(eventId: string, at: Date, token: string = randomUUID()): Promise<boolean> {
    return putClaim(this.db, this.table, `event#${eventId}`, at, EVENT_CLAIM_TTL_S, token);
  }
}
