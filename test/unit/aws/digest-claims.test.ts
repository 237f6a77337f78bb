/**
 * The digest claim's conditional puts, against a document client that evaluates their
 * conditions as DynamoDB would: one follow-up takes a digest; a claim given back is taken again
 * only once its `retryAt` has passed, its tries counted; a claim whose put failed is put again
 * with the same token; anything but the condition's refusal is thrown.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import {
  DIGEST_CLAIM_TTL_S,
  DynamoDigestClaims,
  digestId,
} from "../../../lib/aws/dynamo/digest-claims";

const AT = new Date("2026-12-03T00:00:00.000Z");
const ID = "digest#C0INC#2026-12-03";

/** A table of one key; `fail` throws that many puts' errors first (after or before they land). */
function table() {
  const items = new Map<string, Record<string, unknown>>();
  const puts: PutCommand["input"][] = [];
  let failing: { times: number; landed: boolean } = { times: 0, landed: false };
  const db = {
    send: async (command: PutCommand) => {
      const input = command.input;
      puts.push(input);
      const item = input.Item as Record<string, unknown>;
      const old = items.get(item.id as string);
      const values = input.ExpressionAttributeValues ?? {};
      const met =
        input.ConditionExpression ===
        "attribute_not_exists(id) OR claimedBy = :token OR retryAt <= :now"
          ? !old ||
            old.claimedBy === values[":token"] ||
            (typeof old.retryAt === "number" && old.retryAt <= (values[":now"] as number))
          : old?.claimedBy === values[":token"] || old?.claimedBy === values[":released"];
      if (failing.times > 0 && !failing.landed) {
        failing.times--;
        throw new Error("timed out");
      }
      if (!met) throw new ConditionalCheckFailedException({ message: "failed", $metadata: {} });
      items.set(item.id as string, item);
      if (failing.times > 0) {
        failing.times--;
        throw new Error("answer lost");
      }
      return input.ReturnValues === "ALL_OLD" && old ? { Attributes: old } : {};
    },
  } as unknown as DynamoDBDocumentClient;
  const fail = (times: number, landed: boolean) => {
    failing = { times, landed };
  };
  return { db, items, puts, fail };
}

function tokens() {
  let n = 0;
  return () => `tok-${++n}`;
}

describe("DynamoDigestClaims", () => {
  it("puts digest#<channel>#<date> with its time, its token and two days' TTL", async () => {
    const { db, puts } = table();
    const claims = new DynamoDigestClaims(db, "ops", tokens());
    expect(await claims.claim("C0INC", "2026-12-03", AT)).toEqual({ token: "tok-1", tries: 0 });
    expect(puts).toEqual([
      {
        TableName: "ops",
        Item: {
          id: ID,
          claimedAt: "2026-12-03T00:00:00.000Z",
          claimedBy: "tok-1",
          expiresAt: AT.getTime() / 1000 + 2 * 86_400,
        },
        ConditionExpression: "attribute_not_exists(id) OR claimedBy = :token OR retryAt <= :now",
        ExpressionAttributeValues: { ":token": "tok-1", ":now": AT.getTime() },
        ReturnValues: "ALL_OLD",
      },
    ]);
    expect(DIGEST_CLAIM_TTL_S).toBe(172_800);
    expect(digestId("C1", "2026-01-02")).toBe("digest#C1#2026-01-02");
  });

  it("one follow-up takes it: another's claim is refused", async () => {
    const { db } = table();
    expect(
      await new DynamoDigestClaims(db, "ops", tokens()).claim("C0INC", "2026-12-03", AT),
    ).toEqual({
      token: "tok-1",
      tries: 0,
    });
    const other = new DynamoDigestClaims(db, "ops", () => "other");
    expect(await other.claim("C0INC", "2026-12-03", AT)).toBeUndefined();
    expect(await other.claim("C0INC", "2026-12-04", AT)).toEqual({ token: "other", tries: 0 });
  });

  it("given back: no one takes it before retryAt; from then on, one does, its tries counted", async () => {
    const { db, items, puts } = table();
    const first = new DynamoDigestClaims(db, "ops", tokens());
    const claim = await first.claim("C0INC", "2026-12-03", AT);
    const retryAt = new Date(AT.getTime() + 600_000);
    await first.release("C0INC", "2026-12-03", claim as { token: string; tries: number }, retryAt);
    expect(puts[1]).toEqual({
      TableName: "ops",
      Item: {
        id: ID,
        claimedBy: "released:tok-1",
        retryAt: retryAt.getTime(),
        tries: 1,
        expiresAt: retryAt.getTime() / 1000 + 2 * 86_400,
      },
      ConditionExpression: "claimedBy = :token OR claimedBy = :released",
      ExpressionAttributeValues: { ":token": "tok-1", ":released": "released:tok-1" },
    });
    const other = new DynamoDigestClaims(db, "ops", () => "other");
    expect(
      await other.claim("C0INC", "2026-12-03", new Date(retryAt.getTime() - 1)),
    ).toBeUndefined();
    // Not its giver either, by its old token.
    expect(
      await first.claim("C0INC", "2026-12-03", new Date(retryAt.getTime() - 1)),
    ).toBeUndefined();
    expect(await other.claim("C0INC", "2026-12-03", retryAt)).toEqual({ token: "other", tries: 1 });
    expect(items.get(ID)?.claimedBy).toBe("other");
    expect(await first.claim("C0INC", "2026-12-03", retryAt)).toBeUndefined();
  });

  it("a giving back tried again by the SDK (its answer lost) finds itself; another's is a no-op", async () => {
    const { db, items, fail } = table();
    const claims = new DynamoDigestClaims(db, "ops", tokens());
    const claim = (await claims.claim("C0INC", "2026-12-03", AT)) as {
      token: string;
      tries: number;
    };
    const retryAt = new Date(AT.getTime() + 600_000);
    fail(1, true);
    await expect(claims.release("C0INC", "2026-12-03", claim, retryAt)).rejects.toThrow(
      "answer lost",
    );
    await claims.release("C0INC", "2026-12-03", claim, retryAt);
    expect(items.get(ID)?.claimedBy).toBe("released:tok-1");
    // A claim no longer its own (taken by another meanwhile) is left as it is.
    await new DynamoDigestClaims(db, "ops", () => "other").claim("C0INC", "2026-12-03", retryAt);
    await claims.release("C0INC", "2026-12-03", claim, new Date(retryAt.getTime() + 1));
    expect(items.get(ID)?.claimedBy).toBe("other");
  });

  it.each([
    ["that landed", true],
    ["that did not", false],
  ])(
    "a claim whose put failed, %s: the next claim puts the same token again",
    async (_, landed) => {
      const { db, puts, fail } = table();
      const claims = new DynamoDigestClaims(db, "ops", tokens());
      fail(1, landed);
      await expect(claims.claim("C0INC", "2026-12-03", AT)).rejects.toThrow();
      expect(await claims.claim("C0INC", "2026-12-03", AT)).toEqual({ token: "tok-1", tries: 0 });
      // Once answered, a later claim makes a token of its own.
      await claims.claim("C0INC", "2026-12-03", AT);
      expect(puts.map((p) => (p.Item as { claimedBy: string }).claimedBy)).toEqual([
        "tok-1",
        "tok-1",
        "tok-2",
      ]);
    },
  );
});
