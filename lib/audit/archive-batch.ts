/**
 * The archiver's use case: a batch of the audit table's stream records, archived in order, each
 * object written once (lib/audit/archive.ts says where and what), and, when a bus is configured,
 * each new event put on it. A record that fails stops the batch: it and every record after it
 * are reported as batch item failures, so Lambda retries from it on and the order within the
 * shard is kept.
 */
import type { DynamoDBBatchResponse, DynamoDBRecord } from "aws-lambda";
import { BmError, describeError } from "../errors";
import type { Metrics } from "../metrics";
import {
  type ArchiveObject,
  type ChangeToArchive,
  differsFromArchive,
  type EventToArchive,
  meaningOf,
} from "./archive";
import { type BusEntry, busEntry, inBatches } from "./event-bus";

/** What a write-once put found. */
export type PutOnce = { written: true } | { written: false; existing: string };

/** The archive bucket, as the archiver needs it. */
export interface ArchiveStore {
  /**
   * Writes the object unless one is already at its key; when one is, returns its content.
   * @throws on any failure of the store (nothing is known to be written then).
   */
  putOnce(object: ArchiveObject): Promise<PutOnce>;
}

/** An EventBridge bus, as the archiver needs it. */
export interface AuditBus {
  /**
   * Puts up to 10 entries; returns, for each in order, whether the bus refused it.
   * @throws when the call itself failed (none is known to be put).
   */
  publish(entries: BusEntry[]): Promise<boolean[]>;
}

export interface ArchiverDeps {
  archive: ArchiveStore;
  /** The bus the events are also put on, and its name or ARN; none when the export is off. */
  bus: { port: AuditBus; name: string } | undefined;
  /** Errors only: a record archived as it should be says nothing. */
  log: { error(message: string, extra?: object): void };
  metrics: Metrics;
}

/** An object at a key the archiver writes holds other content than the one it writes there. */
export class ArchiveConflict extends BmError {
  override readonly name = "ArchiveConflict";
  // Another try finds the same object: it goes to the dead-letter queue, and its alarm rings.
  readonly passing = false;
  /** Its message names a key of the archive (an operation and an event, no secret): logged. */
  readonly forUsers = true;
}

/** A stream record the archiver cannot read. */
export class UnreadableRecord extends BmError {
  override readonly name = "UnreadableRecord";
  readonly passing = false;
  /** Its message says what the record lacks, no content of it: logged. */
  readonly forUsers = true;
}

/** Archives the records in order; see the module's comment. Never throws. */
export async function archiveBatch(
  deps: ArchiverDeps,
  records: readonly DynamoDBRecord[],
): Promise<DynamoDBBatchResponse> {
  let failedAt = records.length;
  const toPublish: Published[] = [];
  for (const [index, record] of records.entries()) {
    try {
      const archived = await archiveRecord(deps, record);
      if (archived && deps.bus)
        toPublish.push({
          index,
          sequenceNumber: archived.sequenceNumber,
          entry: busEntry(deps.bus.name, archived.body),
        });
    } catch (error) {
      deps.log.error("audit record not archived; retried from it on", {
        sequenceNumber: record.dynamodb?.SequenceNumber,
        error: describeError(error),
      });
      failedAt = index;
      break;
    }
  }
  if (deps.bus) failedAt = Math.min(failedAt, await publish(deps, deps.bus.port, toPublish));
  return {
    batchItemFailures: records
      .slice(failedAt)
      .map((r) => ({ itemIdentifier: r.dynamodb?.SequenceNumber ?? "" })),
  };
}

/**
 * Archives one record. Returns the event when it was one (archived now or before), for the bus;
 * nothing for a change.
 * @throws UnreadableRecord, ArchiveConflict, or the store's error.
 */
async function archiveRecord(
  deps: ArchiverDeps,
  record: DynamoDBRecord,
): Promise<EventToArchive | undefined> {
  const meaning = meaningOf(record);
  if (meaning.kind === "unreadable") throw new UnreadableRecord(meaning.why);
  if (meaning.kind === "change") {
    await archiveChange(deps, meaning);
    return undefined;
  }
  await archiveEvent(deps, record, meaning);
  return meaning;
}

/** An event, once: the same content there already is a replay; other content is evidence. */
async function archiveEvent(deps: ArchiverDeps, record: DynamoDBRecord, insert: EventToArchive) {
  const put = await deps.archive.putOnce(insert);
  if (put.written || put.existing === insert.body) return;
  const evidence = differsFromArchive(record, insert, put.existing);
  if (await writeOnce(deps.archive, evidence))
    tampered(deps, "audit event differs from its archived copy", insert, evidence.key);
}

/** A MODIFY or a REMOVE: bm never makes one, so it is kept and counted as tampering. */
async function archiveChange(deps: ArchiverDeps, change: ChangeToArchive) {
  if (await writeOnce(deps.archive, change))
    tampered(
      deps,
      `audit event ${change.eventName === "MODIFY" ? "changed" : "removed"}`,
      change,
      change.key,
    );
}

/**
 * Writes the object once. True when written now, false when the same content was there (a
 * replay, counted before). @throws ArchiveConflict when other content is there.
 */
async function writeOnce(archive: ArchiveStore, object: ArchiveObject): Promise<boolean> {
  const put = await archive.putOnce(object);
  if (put.written) return true;
  if (put.existing === object.body) return false;
  throw new ArchiveConflict(`${object.key} holds other content`);
}

function tampered(
  deps: ArchiverDeps,
  message: string,
  about: { operationId: string; event: string; sequenceNumber: string },
  key: string,
) {
  deps.metrics.put("AuditTampered", 1);
  deps.log.error(message, {
    operationId: about.operationId,
    event: about.event,
    sequenceNumber: about.sequenceNumber,
    key,
  });
}

/** An archived event to put on the bus: its record's place in the batch, and its entry. */
interface Published {
  index: number;
  sequenceNumber: string | undefined;
  entry: BusEntry;
}

/**
 * Puts the archived events on the bus in order, 10 a call, until a call fails or refuses one.
 * Returns the index of the first record not put (every later one is retried with it), or
 * `Infinity` when all were put.
 */
async function publish(
  deps: ArchiverDeps,
  bus: AuditBus,
  items: readonly Published[],
): Promise<number> {
  for (const batch of inBatches(items)) {
    let refused: boolean[];
    try {
      refused = await bus.publish(batch.map((item) => item.entry));
    } catch (error) {
      deps.log.error("audit events not put on the bus; retried", { error: describeError(error) });
      // inBatches makes no empty batch.
      return (batch[0] as Published).index;
    }
    const first = batch.find((_, i) => refused[i] !== false);
    if (first) {
      deps.log.error("the bus refused an audit event; retried from it on", {
        sequenceNumber: first.sequenceNumber,
      });
      return first.index;
    }
  }
  return Number.POSITIVE_INFINITY;
}
