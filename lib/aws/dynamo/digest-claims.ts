/**
 * Media digests taken, in the operations table (`digest#<channel>#<local date>`): one conditional
 * put per channel and day, so that of two follow-ups at once exactly one posts it. The item
 * carries neither `tenant` nor `inflight`, so no index sees it, and `expiresAt`: DynamoDB's TTL
 * removes it after two days, when no follow-up can be on that date in any zone.
 *
 * As event claims do (event-claims.ts), each carries a token of its own (`putClaim`): the SDK's
 * second try of a put whose answer was lost finds its own claim.
 */
import { randomUUID } from "node:crypto";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { DigestClaims } from "../../followup/deps";
import { putClaim } from "./conditional-writes";

/** How long a digest's claim is kept. */
export const DIGEST_CLAIM_TTL_S = 2 * 24 * 3600;

/** The key of a channel's digest of one local date (the follow-up's role puts it: role-calls.ts). */
export function digestId(channelId: string, date: string): string {
  return `digest#${channelId}#${date}`;
}

export class DynamoDigestClaims implements DigestClaims {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  claim(channelId: string, date: string, at: Date, token = randomUUID()): Promise<boolean> {
    return putClaim(this.db, this.table, digestId(channelId, date), at, DIGEST_CLAIM_TTL_S, token);
  }
}
