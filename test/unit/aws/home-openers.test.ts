/**
 * Who has opened the Home, against a document client that keeps items as DynamoDB does: each
 * opening renews `home#*` before `home#<user>`, so that `anyone` never says no while someone is
 * remembered; `among` finds the users remembered; a failure is thrown, never taken for a no.
 */
import type { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import {
  ANYONE_KEY,
  DynamoHomeOpeners,
  HOME_OPENER_TTL_S,
} from "../../../lib/aws/dynamo/home-openers";

const AT = new Date("2026-12-03T00:00:00.000Z");

/** A table keyed by `id`; `failOn` makes the nth command (from 1) throw. */
function table(failOn?: number) {
  const items = new Map<string, Record<string, unknown>>();
  const sent: Array<PutCommand["input"] | GetCommand["input"]> = [];
  const db = {
    send: async (command: PutCommand | GetCommand) => {
      const input = command.input;
      sent.push(input);
      if (sent.length === failOn) throw new RangeError("down");
      if ("Item" in input) {
        const item = input.Item as Record<string, unknown>;
        items.set(item.id as string, item);
        return {};
      }
      const item = items.get((input as GetCommand["input"]).Key?.id as string);
      return item ? { Item: item } : {};
    },
  } as unknown as DynamoDBDocumentClient;
  return { db, items, sent };
}

describe("DynamoHomeOpeners", () => {
  it("an opening puts home#* and then home#<user>, each with its time and 30 days' TTL", async () => {
    const { db, sent } = table();
    await new DynamoHomeOpeners(db, "ops").opened("U0A1", AT);
    const item = (id: string) => ({
      TableName: "ops",
      Item: {
        id,
        openedAt: "2026-12-03T00:00:00.000Z",
        expiresAt: AT.getTime() / 1000 + 2_592_000,
      },
    });
    expect(sent).toEqual([item("home#*"), item("home#U0A1")]);
    expect(ANYONE_KEY).toBe("home#*");
    expect(HOME_OPENER_TTL_S).toBe(2_592_000);
  });

  it("anyone: no until someone opens their Home, yes after, read from home#*", async () => {
    const { db, sent } = table();
    const homes = new DynamoHomeOpeners(db, "ops");
    expect(await homes.anyone()).toBe(false);
    expect(sent).toEqual([{ TableName: "ops", Key: { id: "home#*" } }]);
    await homes.opened("U0A1", AT);
    expect(await homes.anyone()).toBe(true);
  });

  it("home#* failing to be written: the user is not remembered either, and it is thrown", async () => {
    const { db, items } = table(1);
    const homes = new DynamoHomeOpeners(db, "ops");
    await expect(homes.opened("U0A1", AT)).rejects.toThrow(RangeError);
    expect([...items.keys()]).toEqual([]);
    expect(await homes.anyone()).toBe(false);
    expect(await homes.among(["U0A1"])).toEqual([]);
  });

  it("home#<user> failing after home#*: thrown; anyone says yes, among finds no one", async () => {
    const { db } = table(2);
    const homes = new DynamoHomeOpeners(db, "ops");
    await expect(homes.opened("U0A1", AT)).rejects.toThrow(RangeError);
    expect(await homes.anyone()).toBe(true);
    expect(await homes.among(["U0A1"])).toEqual([]);
  });

  it("among: those remembered, in the order asked; a failed read is thrown, not a no", async () => {
    const { db } = table();
    const homes = new DynamoHomeOpeners(db, "ops");
    await homes.opened("U0A2", AT);
    await homes.opened("U0A1", AT);
    expect(await homes.among(["U0A1", "U0A3", "U0A2"])).toEqual(["U0A1", "U0A2"]);
    const failing = table(1);
    await expect(new DynamoHomeOpeners(failing.db, "ops").anyone()).rejects.toThrow(RangeError);
  });
});
