import { createHash } from "node:crypto";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import {
  archiveJson,
  changeObjectKey,
  Digits,
  dayOf,
  differsFromArchive,
  type EventToArchive,
  eventObjectKey,
  keyPart,
  LONGEST_PART,
  meaningOf,
  UNDATED,
} from "../../../lib/audit/archive";

const ITEM = {
  operationId: "op-1",
  event: "e000002",
  seq: 2,
  at: "2026-12-01T23:59:59.999Z",
  action: "approved",
  actor: { userId: "U0CEO", name: "ceo" },
  facts: { channel: "C0CHANGES" },
};
/** 2026-12-02T03:00:00Z in epoch seconds, as Lambda hands ApproximateCreationDateTime. */
const SEEN = Date.parse("2026-12-02T03:00:00Z") / 1000;

type Item = Record<string, unknown>;

/** A stream record of the audit table, as Lambda hands it. */
function record(
  eventName: "INSERT" | "MODIFY" | "REMOVE",
  images: { old?: Item; new?: Item },
  extra: Partial<NonNullable<DynamoDBRecord["dynamodb"]>> = {},
): DynamoDBRecord {
  const keyed = images.new ?? images.old ?? ITEM;
  return {
    eventName,
    eventSource: "aws:dynamodb",
    dynamodb: {
      Keys: marshall({ operationId: keyed.operationId, event: keyed.event }) as never,
      SequenceNumber: "100000000000000000001",
      ApproximateCreationDateTime: SEEN,
      StreamViewType: "NEW_AND_OLD_IMAGES",
      ...(images.new ? { NewImage: marshall(images.new) as never } : {}),
      ...(images.old ? { OldImage: marshall(images.old) as never } : {}),
      ...extra,
    },
  };
}

describe("dayOf", () => {
  it.each([
    ["2026-12-01T23:59:59.999Z", "2026-12-01"],
    ["2026-12-02T00:00:00.000Z", "2026-12-02"],
    // An offset is read as the time it names, in UTC.
    ["2026-12-02T08:00:00+09:00", "2026-12-01"],
    ["2026-12-02T10:00:00Z", "2026-12-02"],
    ["2026-12-02", UNDATED],
    ["2026-13-45T00:00:00Z", UNDATED],
    ["yesterday", UNDATED],
    ["x2026-12-02T10:00:00Z", UNDATED],
    // An extended year parses, but is no day of bm's.
    ["-002026-12-02T10:00:00Z", UNDATED],
    [["2026-12-02T10:00:00Z"], UNDATED],
    [undefined, UNDATED],
    [1796220000, UNDATED],
  ])("%j is of %s", (at, day) => {
    expect(dayOf(at)).toBe(day);
  });
});

describe("the keys", () => {
  it("puts an event under events/<day>/<operationId>/<event key>.json", () => {
    expect(eventObjectKey("2026-12-01", "op-1", "e000002")).toBe(
      "events/2026-12-01/op-1/e000002.json",
    );
  });

  it("puts a change under changes/<day>/<operationId>/<event key>/<sequence number>.json", () => {
    expect(changeObjectKey("2026-12-02", "op-1", "e000002", "4100")).toBe(
      "changes/2026-12-02/op-1/e000002/4100.json",
    );
  });

  it.each([
    ["op-1", "op-1"],
    [
      "r2026-12-01T08:00:00.000Z#U0X#refused:not-allowed",
      "r2026-12-01T08%3A00%3A00.000Z%23U0X%23refused%3Anot-allowed",
    ],
    ["a/b", "a%2Fb"],
    ["../x", "..%2Fx"],
    [".", "%2E"],
    ["..", "%2E%2E"],
    ["...", "..."],
    ["~x", "%7Ex"],
    ["é", "%C3%A9"],
  ])("keeps %j one part of a key: %s", (text, part) => {
    expect(keyPart(text)).toBe(part);
  });

  it("turns a part too long for S3's keys into its SHA-256, and keeps one just short of it", () => {
    const longest = "x".repeat(LONGEST_PART);
    expect(keyPart(longest)).toBe(longest);
    const planted = "x".repeat(LONGEST_PART + 1);
    expect(keyPart(planted)).toBe(`~${createHash("sha256").update(planted).digest("hex")}`);
    // Measured once encoded: 84 "/" are 252 characters.
    const slashes = "/".repeat(84);
    expect(keyPart(slashes)).toBe(`~${createHash("sha256").update(slashes).digest("hex")}`);
    expect(keyPart("/".repeat(83))).toBe("%2F".repeat(83));
    const longestKey = changeObjectKey(UNDATED, planted, planted, planted);
    expect(Buffer.byteLength(eventObjectKey(UNDATED, longest, longest))).toBeLessThan(1024);
    expect(Buffer.byteLength(longestKey)).toBeLessThan(1024);
  });
});

describe("archiveJson", () => {
  it("sorts every object's keys, at every depth, and keeps arrays in order", () => {
    expect(archiveJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("writes DynamoDB's numbers with their own digits, none rounded", () => {
    expect(archiveJson([new Digits("12345678901234567890123"), new Digits("-1.5E+3")])).toBe(
      "[12345678901234567890123,-1.5E+3]",
    );
    // Not a JSON number: kept as its text.
    expect(archiveJson(new Digits("01"))).toBe('"01"');
    expect(archiveJson([new Digits("1.25"), new Digits("1E+10"), new Digits("2e5")])).toBe(
      "[1.25,1E+10,2e5]",
    );
    expect(archiveJson(new Digits("1."))).toBe('"1."');
  });

  it("writes a set as a sorted array, binary as base64, and strings, booleans and null as JSON", () => {
    expect(archiveJson(new Set(["b", "a"]))).toBe('["a","b"]');
    expect(archiveJson(new Uint8Array([104, 105]))).toBe('"aGk="');
    // Left out, as DynamoDB drops it (and as the chain's hash leaves it out).
    expect(archiveJson({ s: 'q"\n', t: true, f: false, n: null, u: undefined })).toBe(
      '{"f":false,"n":null,"s":"q\\"\\n","t":true}',
    );
  });
});

describe("meaningOf", () => {
  it("archives an INSERT's new image, whole, under the day of its at", () => {
    expect(meaningOf(record("INSERT", { new: ITEM }))).toEqual({
      kind: "event",
      key: "events/2026-12-01/op-1/e000002.json",
      body: archiveJson(ITEM),
      operationId: "op-1",
      event: "e000002",
      sequenceNumber: "100000000000000000001",
    });
  });

  it("archives a planted INSERT without a time of its own under undated", () => {
    const planted = { ...ITEM, at: "soon" };
    expect(meaningOf(record("INSERT", { new: planted }))).toMatchObject({
      kind: "event",
      key: "events/undated/op-1/e000002.json",
      body: archiveJson(planted),
    });
  });

  it("keeps a MODIFY as evidence, both images, under the day the stream saw it", () => {
    const rewritten = { ...ITEM, actor: { userId: "U0APPROVER2" } };
    const meaning = meaningOf(record("MODIFY", { old: ITEM, new: rewritten }));
    expect(meaning).toEqual({
      kind: "change",
      eventName: "MODIFY",
      key: "changes/2026-12-02/op-1/e000002/100000000000000000001.json",
      body: expect.any(String),
      operationId: "op-1",
      event: "e000002",
      sequenceNumber: "100000000000000000001",
    });
    expect(JSON.parse((meaning as { body: string }).body)).toEqual({
      eventName: "MODIFY",
      why: "changed",
      sequenceNumber: "100000000000000000001",
      seenAt: "2026-12-02T03:00:00.000Z",
      keys: { operationId: "op-1", event: "e000002" },
      oldImage: ITEM,
      newImage: rewritten,
    });
  });

  it("keeps a REMOVE as evidence, its old image and no new one", () => {
    const meaning = meaningOf(record("REMOVE", { old: ITEM }));
    expect(meaning).toMatchObject({
      kind: "change",
      eventName: "REMOVE",
      key: "changes/2026-12-02/op-1/e000002/100000000000000000001.json",
    });
    expect(JSON.parse((meaning as { body: string }).body)).toMatchObject({
      why: "removed",
      oldImage: ITEM,
      newImage: null,
    });
  });

  it("dates a change the stream gives no time by the event it changed, else undated", () => {
    const untimed = { ApproximateCreationDateTime: undefined };
    expect(meaningOf(record("REMOVE", { old: ITEM }, untimed))).toMatchObject({
      key: "changes/2026-12-01/op-1/e000002/100000000000000000001.json",
    });
    expect(
      meaningOf(record("MODIFY", { old: { ...ITEM, at: "?" }, new: ITEM }, untimed)),
    ).toMatchObject({ key: "changes/undated/op-1/e000002/100000000000000000001.json" });
    expect(
      meaningOf(record("MODIFY", { new: ITEM }, { ...untimed, OldImage: undefined })),
    ).toMatchObject({ key: "changes/2026-12-01/op-1/e000002/100000000000000000001.json" });
    expect(
      meaningOf(record("REMOVE", { old: ITEM }, { ...untimed, OldImage: undefined })),
    ).toMatchObject({ key: "changes/undated/op-1/e000002/100000000000000000001.json" });
  });

  it.each([
    ["no sequence number", record("INSERT", { new: ITEM }, { SequenceNumber: undefined })],
    ["no operationId and event keys", record("INSERT", { new: ITEM }, { Keys: undefined })],
    [
      "no operationId and event keys",
      record("INSERT", { new: ITEM }, { Keys: marshall({ operationId: 7, event: "e1" }) as never }),
    ],
    [
      "no operationId and event keys",
      record("INSERT", { new: ITEM }, { Keys: marshall({ operationId: "op-1" }) as never }),
    ],
    ["an INSERT without its new image", record("INSERT", { old: ITEM })],
    [
      'an unknown event name "TRUNCATE"',
      { ...record("INSERT", { new: ITEM }), eventName: "TRUNCATE" } as unknown as DynamoDBRecord,
    ],
    [
      "an unknown event name null",
      { ...record("INSERT", { new: ITEM }), eventName: undefined } as DynamoDBRecord,
    ],
  ])("cannot read a record with %s", (why, r) => {
    expect(meaningOf(r)).toEqual({
      kind: "unreadable",
      why,
      sequenceNumber: r.dynamodb?.SequenceNumber,
    });
  });

  it("cannot read a record without its stream part", () => {
    expect(meaningOf({ eventName: "INSERT" })).toEqual({
      kind: "unreadable",
      why: "no sequence number",
      sequenceNumber: undefined,
    });
  });

  it("keeps numbers past JavaScript's precision exact in the archived body", () => {
    const r = record("INSERT", { new: ITEM });
    (r.dynamodb?.NewImage as Record<string, unknown>).seq = { N: "900719925474099312345" };
    expect((meaningOf(r) as EventToArchive).body).toContain('"seq":900719925474099312345');
  });
});

describe("differsFromArchive", () => {
  it("keeps the new content and the archived one under changes/, by the day the stream saw it", () => {
    const again = { ...ITEM, actor: { userId: "U0PLANTED" } };
    const r = record("INSERT", { new: again });
    const insert = meaningOf(r) as EventToArchive;
    const archived = archiveJson(ITEM);
    const evidence = differsFromArchive(r, insert, archived);
    expect(evidence.key).toBe("changes/2026-12-02/op-1/e000002/100000000000000000001.json");
    expect(JSON.parse(evidence.body)).toEqual({
      eventName: "INSERT",
      why: "differs-from-archive",
      sequenceNumber: "100000000000000000001",
      seenAt: "2026-12-02T03:00:00.000Z",
      keys: { operationId: "op-1", event: "e000002" },
      oldImage: null,
      newImage: again,
      archived,
    });
  });
});
