/**
 * Media digests taken, in the operations table (`digest#<channel>#<local date>`): one conditional
 * put per channel and day, so that of two follow-ups at once exactly one posts it. The item
 * carries neither `tenant` nor `inflight`, so no index sees it, and `expiresAt`: DynamoDB's TTL
 * removes it after two days, when no follow-up can be on that date in any zone.
 *
 * As event claims do (event-claims.ts), each carries a token of its own, and the condition lets
 * that token through: the SDK's second try of a put whose answer was lost finds its own claim.
 */
import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { DigestClaims } from "../../followup/deps";

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

  async claim(channelId: string, date: string, at: Date, token = randomUUID()): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            id: digestId(channelId, date),
            claimedAt: at.toISOString(),
            claimedBy: token,
            expiresAt: Math.floor(at.getTime() / 1000) + DIGEST_CLAIM_TTL_S,
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
