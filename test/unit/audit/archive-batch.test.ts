import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { archiveJson } from "../../../lib/audit/archive";
import {
  ArchiveConflict,
  type ArchiverDeps,
  type ArchiveStore,
  type AuditBus,
  archiveBatch,
  UnreadableRecord,
} from "../../../lib/audit/archive-batch";
import type { BusEntry } from "../../../lib/audit/event-bus";
import { describeError, isPassing } from "../../../lib/errors";

const BUS = "arn:aws:events:ap-northeast-1:123456789012:event-bus/security";
const SEEN = Date.parse("2026-12-02T03:00:00Z") / 1000;

function item(seq: number, userId = "U0REQ") {
  return {
    operationId: "op-1",
    event: `e${String(seq).padStart(6, "0")}`,
    seq,
    at: "2026-12-01T10:00:00.000Z",
    action: "approved",
    actor: { userId },
  };
}
type Item = ReturnType<typeof item>;

function record(
  eventName: "INSERT" | "MODIFY" | "REMOVE",
  seq: number,
  images: { old?: Item; new?: Item },
): DynamoDBRecord {
  const keyed = (images.new ?? images.old) as Item;
  return {
    eventName,
    dynamodb: {
      Keys: marshall({ operationId: keyed.operationId, event: keyed.event }) as never,
      SequenceNumber: String(1000 + seq),
      ApproximateCreationDateTime: SEEN,
      ...(images.new ? { NewImage: marshall(images.new) as never } : {}),
      ...(images.old ? { OldImage: marshall(images.old) as never } : {}),
    },
  };
}
const insert = (seq: number, userId?: string) => record("INSERT", seq, { new: item(seq, userId) });
const eventKey = (seq: number) => `events/2026-12-01/op-1/e${String(seq).padStart(6, "0")}.json`;
const failures = (...seqs: number[]) => ({
  batchItemFailures: seqs.map((s) => ({ itemIdentifier: String(1000 + s) })),
});

/** The archive in memory, write-once as S3 with If-None-Match; `failOn` keys fail. */
function memoryArchive(failOn: (key: string) => boolean = () => false) {
  const objects = new Map<string, string>();
  const puts: string[] = [];
  const store: ArchiveStore = {
    async putOnce({ key, body }) {
      puts.push(key);
      if (failOn(key))
        throw Object.assign(new Error("injected"), {
          name: "InternalError",
          $metadata: { httpStatusCode: 500 },
        });
      const existing = objects.get(key);
      if (existing !== undefined) return { written: false, existing };
      objects.set(key, body);
      return { written: true };
    },
  };
  return { store, objects, puts };
}

/** A bus that records each call; `answer` says, per call, which entries it refuses (or throws). */
function fakeBus(
  answer: (entries: BusEntry[], call: number) => boolean[] = (e) => e.map(() => false),
) {
  const calls: BusEntry[][] = [];
  const bus: AuditBus = {
    async publish(entries) {
      calls.push(entries);
      return answer(entries, calls.length);
    },
  };
  return { bus, calls };
}

function deps(archive: ArchiveStore, bus?: AuditBus) {
  const logs: Array<[string, string, object | undefined]> = [];
  const metrics: Array<[string, number]> = [];
  const d: ArchiverDeps = {
    archive,
    bus: bus ? { port: bus, name: BUS } : undefined,
    log: { error: (m, e) => logs.push(["error", m, e]) },
    metrics: { put: (name, value) => metrics.push([name, value]), flush() {} },
  };
  return { deps: d, logs, metrics };
}

describe("archiveBatch", () => {
  it("archives each INSERT in order, once, as its whole item, and says nothing", async () => {
    const archive = memoryArchive();
    const { deps: d, logs, metrics } = deps(archive.store);
    expect(await archiveBatch(d, [insert(1), insert(2)])).toEqual({ batchItemFailures: [] });
    expect(archive.puts).toEqual([eventKey(1), eventKey(2)]);
    expect(archive.objects.get(eventKey(2))).toBe(archiveJson(item(2)));
    expect([logs, metrics]).toEqual([[], []]);
  });

  it("takes a replay (the same content already there) as done, counting nothing", async () => {
    const archive = memoryArchive();
    const { deps: d, logs, metrics } = deps(archive.store);
    await archiveBatch(d, [insert(1), insert(2)]);
    expect(await archiveBatch(d, [insert(1), insert(2)])).toEqual({ batchItemFailures: [] });
    expect(archive.objects.size).toBe(2);
    expect([logs, metrics]).toEqual([[], []]);
  });

  it("keeps an INSERT whose archived copy differs as evidence, counts it once, and goes on", async () => {
    const archive = memoryArchive();
    const { deps: d, logs, metrics } = deps(archive.store);
    await archiveBatch(d, [insert(1)]);
    const planted = insert(1, "U0PLANTED");
    expect(await archiveBatch(d, [planted, insert(2)])).toEqual({ batchItemFailures: [] });
    const evidenceKey = "changes/2026-12-02/op-1/e000001/1001.json";
    expect([...archive.objects.keys()].sort()).toEqual([evidenceKey, eventKey(1), eventKey(2)]);
    expect(archive.objects.get(eventKey(1))).toBe(archiveJson(item(1)));
    expect(JSON.parse(archive.objects.get(evidenceKey) as string)).toMatchObject({
      why: "differs-from-archive",
      newImage: { actor: { userId: "U0PLANTED" } },
    });
    expect(metrics).toEqual([["AuditTampered", 1]]);
    expect(logs).toEqual([
      [
        "error",
        "audit event differs from its archived copy",
        { operationId: "op-1", event: "e000001", sequenceNumber: "1001", key: evidenceKey },
      ],
    ]);
    // Again: the evidence is there, nothing is counted twice.
    expect(await archiveBatch(d, [planted])).toEqual({ batchItemFailures: [] });
    expect(metrics).toHaveLength(1);
  });

  it.each([
    ["MODIFY", "changed", { old: item(2), new: item(2, "U0APPROVER2") }],
    ["REMOVE", "removed", { old: item(2) }],
  ] as const)(
    "keeps a %s under changes/, counted once as AuditTampered, logged as %s",
    async (name, word, images) => {
      const archive = memoryArchive();
      const { deps: d, logs, metrics } = deps(archive.store);
      const change = record(name, 7, images);
      expect(await archiveBatch(d, [change])).toEqual({ batchItemFailures: [] });
      const key = "changes/2026-12-02/op-1/e000002/1007.json";
      expect([...archive.objects.keys()]).toEqual([key]);
      expect(metrics).toEqual([["AuditTampered", 1]]);
      expect(logs).toEqual([
        [
          "error",
          `audit event ${word}`,
          { operationId: "op-1", event: "e000002", sequenceNumber: "1007", key },
        ],
      ]);
      expect(await archiveBatch(d, [change])).toEqual({ batchItemFailures: [] });
      expect(metrics).toHaveLength(1);
      expect(logs).toHaveLength(1);
    },
  );

  it("reports the record the store failed on and every later one, and archives none after it", async () => {
    const archive = memoryArchive((key) => key === eventKey(2));
    const { deps: d, logs } = deps(archive.store);
    expect(await archiveBatch(d, [insert(1), insert(2), insert(3)])).toEqual(failures(2, 3));
    expect(archive.puts).toEqual([eventKey(1), eventKey(2)]);
    expect(logs).toEqual([
      [
        "error",
        "audit record not archived; retried from it on",
        { sequenceNumber: "1002", error: "AWS answered InternalError" },
      ],
    ]);
  });

  it("reports an unreadable record and every later one", async () => {
    const archive = memoryArchive();
    const { deps: d, logs } = deps(archive.store);
    const noImage = record("INSERT", 2, { old: item(2) });
    expect(await archiveBatch(d, [insert(1), noImage, insert(3)])).toEqual(failures(2, 3));
    expect(logs).toEqual([
      [
        "error",
        "audit record not archived; retried from it on",
        { sequenceNumber: "1002", error: "an INSERT without its new image" },
      ],
    ]);
  });

  it("reports a record without a sequence number by an empty identifier (Lambda retries the batch)", async () => {
    const archive = memoryArchive();
    const { deps: d } = deps(archive.store);
    const broken = insert(1);
    delete broken.dynamodb?.SequenceNumber;
    expect(await archiveBatch(d, [broken])).toEqual({
      batchItemFailures: [{ itemIdentifier: "" }],
    });
  });

  it("reports a record without its stream part by an empty identifier, and every later one", async () => {
    const archive = memoryArchive();
    const { deps: d, logs } = deps(archive.store);
    const bare = { eventName: "INSERT" } as DynamoDBRecord;
    expect(await archiveBatch(d, [bare, insert(2)])).toEqual({
      batchItemFailures: [{ itemIdentifier: "" }, { itemIdentifier: "1002" }],
    });
    expect(logs).toEqual([
      [
        "error",
        "audit record not archived; retried from it on",
        { sequenceNumber: undefined, error: "no sequence number" },
      ],
    ]);
  });

  it("fails a change whose key holds other content (ArchiveConflict), and every later record", async () => {
    const archive = memoryArchive();
    const { deps: d, metrics, logs } = deps(archive.store);
    archive.objects.set("changes/2026-12-02/op-1/e000002/1002.json", "{}");
    const change = record("REMOVE", 2, { old: item(2) });
    expect(await archiveBatch(d, [insert(1), change, insert(3)])).toEqual(failures(2, 3));
    expect(logs).toEqual([
      [
        "error",
        "audit record not archived; retried from it on",
        {
          sequenceNumber: "1002",
          error: "changes/2026-12-02/op-1/e000002/1002.json holds other content",
        },
      ],
    ]);
    expect(metrics).toEqual([]);
  });

  it("fails an INSERT whose archived copy differs and whose evidence key holds other content", async () => {
    const archive = memoryArchive();
    const { deps: d, metrics } = deps(archive.store);
    archive.objects.set(eventKey(1), "{}");
    archive.objects.set("changes/2026-12-02/op-1/e000001/1001.json", "{}");
    expect(await archiveBatch(d, [insert(1)])).toEqual(failures(1));
    expect(metrics).toEqual([]);
  });

  it("says an ArchiveConflict and an UnreadableRecord are final, and their words (keys, no content) may be logged", () => {
    for (const error of [new ArchiveConflict("k"), new UnreadableRecord("w")]) {
      expect([error.name, error.passing, isPassing(error), describeError(error)]).toEqual([
        error.constructor.name,
        false,
        false,
        error.message,
      ]);
    }
  });
});

describe("archiveBatch with a bus", () => {
  it("puts each archived event on the bus, in order, 10 a call, and no change", async () => {
    const archive = memoryArchive();
    const { bus, calls } = fakeBus();
    const { deps: d } = deps(archive.store, bus);
    const records = [
      ...Array.from({ length: 11 }, (_, i) => insert(i + 1)),
      record("MODIFY", 12, { old: item(1), new: item(1, "U0X") }),
      insert(13),
    ];
    expect(await archiveBatch(d, records)).toEqual({ batchItemFailures: [] });
    expect(calls.map((c) => c.length)).toEqual([10, 2]);
    expect(calls.flat().map((e) => JSON.parse(e.Detail).seq)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13,
    ]);
    expect(calls[0]?.[0]).toEqual({
      EventBusName: BUS,
      Source: "bm.audit",
      DetailType: "bm audit event",
      Detail: archiveJson(item(1)),
    });
  });

  it("puts a replayed event again (the bus is at least once; the archive is exactly once)", async () => {
    const archive = memoryArchive();
    const { bus, calls } = fakeBus();
    const { deps: d } = deps(archive.store, bus);
    await archiveBatch(d, [insert(1)]);
    await archiveBatch(d, [insert(1)]);
    expect(calls.map((c) => c.length)).toEqual([1, 1]);
  });

  it("reports the first record the bus refused and every later one, and puts no later batch", async () => {
    const archive = memoryArchive();
    const { bus, calls } = fakeBus((entries) => entries.map((_, i) => i === 3 || i === 5));
    const { deps: d, logs } = deps(archive.store, bus);
    const records = Array.from({ length: 12 }, (_, i) => insert(i + 1));
    expect(await archiveBatch(d, records)).toEqual(failures(4, 5, 6, 7, 8, 9, 10, 11, 12));
    expect(calls).toHaveLength(1);
    expect(archive.objects.size).toBe(12);
    expect(logs).toEqual([
      ["error", "the bus refused an audit event; retried from it on", { sequenceNumber: "1004" }],
    ]);
  });

  it("counts an entry the bus gave no answer for as refused", async () => {
    const archive = memoryArchive();
    const { bus } = fakeBus(() => [false]);
    const { deps: d } = deps(archive.store, bus);
    expect(await archiveBatch(d, [insert(1), insert(2), insert(3)])).toEqual(failures(2, 3));
  });

  it("reports the whole batch of a call that failed, from its first record on", async () => {
    const archive = memoryArchive();
    const { bus, calls } = fakeBus((entries, call) => {
      if (call === 2) throw Object.assign(new Error("down"), { name: "ServiceUnavailable" });
      return entries.map(() => false);
    });
    const { deps: d, logs } = deps(archive.store, bus);
    const records = Array.from({ length: 21 }, (_, i) => insert(i + 1));
    expect(await archiveBatch(d, records)).toEqual(
      failures(...Array.from({ length: 11 }, (_, i) => i + 11)),
    );
    expect(calls).toHaveLength(2);
    expect(logs).toEqual([
      [
        "error",
        "audit events not put on the bus; retried",
        { error: describeError(Object.assign(new Error(), { name: "ServiceUnavailable" })) },
      ],
    ]);
  });

  it("puts only what was archived before the store failed, and reports from the earlier failure", async () => {
    const archive = memoryArchive((key) => key === eventKey(3));
    const { bus, calls } = fakeBus((entries) => entries.map((_, i) => i === 1));
    const { deps: d } = deps(archive.store, bus);
    expect(await archiveBatch(d, [insert(1), insert(2), insert(3), insert(4)])).toEqual(
      failures(2, 3, 4),
    );
    expect(calls.flat().map((e) => JSON.parse(e.Detail).seq)).toEqual([1, 2]);
  });

  it("reports from the store's failure when the bus took everything before it", async () => {
    const archive = memoryArchive((key) => key === eventKey(2));
    const { bus } = fakeBus();
    const { deps: d } = deps(archive.store, bus);
    expect(await archiveBatch(d, [insert(1), insert(2), insert(3)])).toEqual(failures(2, 3));
  });

  it("puts nothing when the first record fails", async () => {
    const archive = memoryArchive(() => true);
    const { bus, calls } = fakeBus();
    const { deps: d } = deps(archive.store, bus);
    expect(await archiveBatch(d, [insert(1)])).toEqual(failures(1));
    expect(calls).toEqual([]);
  });
});
