/**
 * Media digests taken, in the operations table (`digest#<channel>#<local date>`): one conditional
 * put per channel and day, so that of two follow-ups at once exactly one posts it. The item
 * carries neither `tenant` nor `inflight`, so no index sees it, and `expiresAt`: DynamoDB's TTL
 * removes it after two days, when no follow-up can be on that date in any zone.
 *
 * Each claim carries a token of its own (`claimedBy`), and the condition lets that token through:
 * the SDK's second try of a put whose answer was lost finds the claim its own, and so does this
 * container's next claim of that digest after a put that failed (it may have taken effect): it
 * claims with the same token again. A claim given back (`release`) is put again
 * with `retryAt`, its count of tries and the token marked given back (`released:<token>`): any
 * follow-up, this one too, may claim it once `retryAt` has passed, and none sooner.
 */
import { randomUUID } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { DigestClaim, DigestClaims } from "../../followup/deps";

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
    private readonly newToken: () => string = randomUUID,
  ) {}

  /** The token of each claim whose put failed: the next claim of that digest puts it again. */
  private readonly unanswered = new Map<string, string>();

  async claim(channelId: string, date: string, at: Date): Promise<DigestClaim | undefined> {
    const id = digestId(channelId, date);
    const token = this.unanswered.get(id) ?? this.newToken();
    this.unanswered.delete(id);
    try {
      const put = await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            id,
            claimedAt: at.toISOString(),
            claimedBy: token,
            expiresAt: Math.floor(at.getTime() / 1000) + DIGEST_CLAIM_TTL_S,
          },
          ConditionExpression: "attribute_not_exists(id) OR claimedBy = :token OR retryAt <= :now",
          ExpressionAttributeValues: { ":token": token, ":now": at.getTime() },
          ReturnValues: "ALL_OLD",
        }),
      );
      const tries = put.Attributes?.tries;
      return { token, tries: typeof tries === "number" ? tries : 0 };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      this.unanswered.set(id, token);
      throw error;
    }
  }

  async release(channelId: string, date: string, claim: DigestClaim, retryAt: Date) {
    const released = `released:${claim.token}`;
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            id: digestId(channelId, date),
            claimedBy: released,
            retryAt: retryAt.getTime(),
            tries: claim.tries + 1,
            expiresAt: Math.floor(retryAt.getTime() / 1000) + DIGEST_CLAIM_TTL_S,
          },
          // Its own second try finds it given back already.
          ConditionExpression: "claimedBy = :token OR claimedBy = :released",
          ExpressionAttributeValues: { ":token": claim.token, ":released": released },
        }),
      );
    } catch (error) {
      // Not this container's claim any more (its TTL ran out and another took it): nothing to give.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
