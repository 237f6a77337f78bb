/**
 * The pace store's items, with a fake document client (no socket): what each read and write
 * sends, what an answer means, and that a later time already there stands.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { DynamoPaceStore } from "../../../lib/aws/dynamo/pace-store";

/** A client that records each command's input and answers from `items` (or throws `fail`). */
function fakeDb(items: Record<string, Record<string, unknown>> = {}, fail?: unknown) {
  const sent: Array<{ command: string; input: Record<string, unknown> }> = [];
  const db = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ command: command.constructor.name, input: command.input });
      if (fail) throw fail;
      const id = String((command.input.Key as { id: string }).id);
      return command.constructor.name === "GetCommand"
        ? items[id]
          ? { Item: items[id] }
          : {}
        : {};
    },
  } as unknown as DynamoDBDocumentClient;
  return { db, sent };
}

describe("DynamoPaceStore", () => {
  it("reads the method's item, and the channel's for a post, consistently", async () => {
    const { db, sent } = fakeDb({
      "pace#chat.postMessage": { id: "x", until: 5, tier: 6 },
      "pace#chat.postMessage#C1": { id: "y", tat: 7 },
    });
    const store = new DynamoPaceStore(db, "ops");
    expect(await store.read("chat.postMessage", "C1")).toEqual({ until: 5, tier: 6, tat: 7 });
    expect(await store.read("chat.postMessage")).toEqual({ until: 5, tier: 6 });
    expect(sent).toEqual([
      {
        command: "GetCommand",
        input: { TableName: "ops", Key: { id: "pace#chat.postMessage" }, ConsistentRead: true },
      },
      {
        command: "GetCommand",
        input: { TableName: "ops", Key: { id: "pace#chat.postMessage#C1" }, ConsistentRead: true },
      },
      {
        command: "GetCommand",
        input: { TableName: "ops", Key: { id: "pace#chat.postMessage" }, ConsistentRead: true },
      },
    ]);
  });

  it("knows nothing from an absent item, nor from a field that is not a finite number", async () => {
    const { db } = fakeDb({
      "pace#chat.update": { id: "x", until: "5", tier: Number.POSITIVE_INFINITY },
    });
    const store = new DynamoPaceStore(db, "ops");
    expect(await store.read("chat.update", "C1")).toEqual({});
    expect(await store.read("users.info")).toEqual({});
  });

  it("writes a time only if it is later, with a TTL an hour past it", async () => {
    const { db, sent } = fakeDb();
    const store = new DynamoPaceStore(db, "ops");
    await store.block("chat.update", 1_800_000_000_001);
    await store.called("chat.update", 1_800_000_002_000);
    await store.posted("C1", 1_800_000_003_000);
    const update = (id: string, field: string, value: number, expiresAt: number) => ({
      command: "UpdateCommand",
      input: {
        TableName: "ops",
        Key: { id },
        UpdateExpression: "SET #f = :v, expiresAt = :e",
        ConditionExpression: "attribute_not_exists(#f) OR #f < :v",
        ExpressionAttributeNames: { "#f": field },
        ExpressionAttributeValues: { ":v": value, ":e": expiresAt },
      },
    });
    expect(sent).toEqual([
      update("pace#chat.update", "until", 1_800_000_000_001, 1_800_000_001 + 3600),
      update("pace#chat.update", "tier", 1_800_000_002_000, 1_800_000_002 + 3600),
      update("pace#chat.postMessage#C1", "tat", 1_800_000_003_000, 1_800_000_003 + 3600),
    ]);
  });

  it("lets a later time already there stand, and throws any other failure", async () => {
    const later = new ConditionalCheckFailedException({ message: "later", $metadata: {} });
    await expect(
      new DynamoPaceStore(fakeDb({}, later).db, "ops").block("m", 1),
    ).resolves.toBeUndefined();
    const down = Object.assign(new Error("down"), { name: "TimeoutError" });
    await expect(new DynamoPaceStore(fakeDb({}, down).db, "ops").posted("C1", 1)).rejects.toBe(
      down,
    );
    await expect(new DynamoPaceStore(fakeDb({}, down).db, "ops").read("m")).rejects.toBe(down);
  });
});
