/**
 * The event claim's conditional put, against a document client that answers as DynamoDB would:
 * the first claim of an event wins, another delivery's is refused, the same claim tried again
 * by the SDK (its answer lost) is its own, and anything but the condition's refusal is thrown.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoEventClaims, EVENT_CLAIM_TTL_S } from "../../../lib/aws/dynamo/event-claims";

const AT = new Date("2026-12-03T00:00:00.000Z");

/** A table of one key, evaluating the claim's condition as DynamoDB does. */
function table() {
  const items = new Map<string, Record<string, unknown>>();
  const puts: PutCommand["input"][] = [];
  const db = {
    send: async (command: PutCommand) => {
      const input = command.input;
      puts.push(input);
      const item = input.Item as Record<string, unknown>;
      const old = items.get(item.id as string);
      const token = input.ExpressionAttributeValues?.[":token"];
      if (old && old.claimedBy !== token)
        throw new ConditionalCheckFailedException({ message: "failed", $metadata: {} });
      items.set(item.id as string, item);
      return {};
    },
  } as unknown as DynamoDBDocumentClient;
  return { db, items, puts };
}

describe("DynamoEventClaims", () => {
  it("puts event#<id> with its time, its token and a day's TTL, on the condition named", async () => {
    const { db, puts } = table();
    expect(await new DynamoEventClaims(db, "ops").claim("Ev1", AT, "tok-1")).toBe(true);
    expect(puts).toEqual([
      {
        TableName: "ops",
        Item: {
          id: "event#Ev1",
          claimedAt: "2026-12-03T00:00:00.000Z",
          claimedBy: "tok-1",
          expiresAt: AT.getTime() / 1000 + 86_400,
        },
        ConditionExpression: "attribute_not_exists(id) OR claimedBy = :token",
        ExpressionAttributeValues: { ":token": "tok-1" },
      },
    ]);
    expect(EVENT_CLAIM_TTL_S).toBe(86_400);
  });

  it("the first claim wins; another delivery's is refused; the same claim again is its own", async () => {
    const { db } = table();
    const claims = new DynamoEventClaims(db, "ops");
    expect(await claims.claim("Ev1", AT, "first")).toBe(true);
    expect(await claims.claim("Ev1", AT, "retry")).toBe(false);
    expect(await claims.claim("Ev1", AT, "first")).toBe(true);
    expect(await claims.claim("Ev2", AT, "retry")).toBe(true);
  });

  it("each claim has a token of its own when none is given", async () => {
    const { db, puts } = table();
    const claims = new DynamoEventClaims(db, "ops");
    expect(await claims.claim("Ev1", AT)).toBe(true);
    expect(await claims.claim("Ev1", AT)).toBe(false);
    const tokens = puts.map((p) => (p.Item as { claimedBy: string }).claimedBy);
    expect(tokens[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokens[1]).not.toBe(tokens[0]);
  });

  it("any other error is thrown, never taken for a claim or a repeat", async () => {
    const db = {
      send: async () => {
        throw new TypeError("socket hang up");
      },
    } as unknown as DynamoDBDocumentClient;
    await expect(new DynamoEventClaims(db, "ops").claim("Ev1", AT)).rejects.toThrow(TypeError);
  });
});
