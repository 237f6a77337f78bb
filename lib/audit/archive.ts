/**
 * The write-once archive of the audit trail, pure: where each audit event goes in the bucket, and
 * what each record of the audit table's DynamoDB stream means. The table is append-only (bm only
 * ever puts an event once, conditionally), so an INSERT is an event to archive, and a MODIFY or a
 * REMOVE is tampering, archived as evidence. The archiver (lib/audit/archive-batch.ts) writes
 * what this decides; the S3 adapter is lib/aws/s3-audit-archive.ts.
 */
import { createHash } from "node:crypto";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { canonicalJsonWith } from "./chain";

/** Where archived events are: `events/<day of the event's at>/<operationId>/<event key>.json`. */
export const EVENTS_PREFIX = "events/";
/** Where changes are: `changes/<day>/<operationId>/<event key>/<stream sequence number>.json`. */
export const CHANGES_PREFIX = "changes/";
/** The day of an event whose `at` is not an ISO time (bm never writes one: it was planted). */
export const UNDATED = "undated";

/** An object to write once: its key and its exact content. */
export interface ArchiveObject {
  key: string;
  body: string;
}

/** A record that archives an event (an INSERT). */
export interface EventToArchive extends ArchiveObject {
  kind: "event";
  operationId: string;
  event: string;
  /** The stream record's sequence number (the batch item's identifier). */
  sequenceNumber: string;
}

/** A record that changed or removed an event (a MODIFY or a REMOVE): tampering. */
export interface ChangeToArchive extends ArchiveObject {
  kind: "change";
  eventName: "MODIFY" | "REMOVE";
  operationId: string;
  event: string;
  sequenceNumber: string;
}

/** A record the archiver cannot read: it is retried, then handed to the dead-letter queue. */
export interface Unreadable {
  kind: "unreadable";
  why: string;
  sequenceNumber: string | undefined;
}

export type RecordMeaning = EventToArchive | ChangeToArchive | Unreadable;

/** What an archived change holds (the object under `changes/`). */
export interface ArchivedChange {
  eventName: "INSERT" | "MODIFY" | "REMOVE";
  /** Why it is evidence: a change of the table, or an INSERT whose archived copy differs. */
  why: "changed" | "removed" | "differs-from-archive";
  sequenceNumber: string;
  /** When the stream saw it (ISO), when the record says. */
  seenAt: string | undefined;
  keys: { operationId: string; event: string };
  oldImage: Record<string, unknown> | null;
  newImage: Record<string, unknown> | null;
  /** For `differs-from-archive`: the archived object's content, as it was. */
  archived?: string;
}

/**
 * The day (`YYYY-MM-DD`, UTC) of an ISO time, or {@link UNDATED} when it is none: a value bm did
 * not write is kept, never dated by a guess.
 */
export function dayOf(at: unknown): string {
  if (typeof at !== "string" || !/^\d{4}-\d{2}-\d{2}T/.test(at)) return UNDATED;
  const time = Date.parse(at);
  return Number.isNaN(time) ? UNDATED : new Date(time).toISOString().slice(0, 10);
}

/** The longest part of a key kept as it is; S3 takes keys of up to 1,024 bytes. */
export const LONGEST_PART = 250;

/**
 * A part of a key, encoded (`encodeURIComponent`, and `~`, `.` and `..`): an id with a `/`
 * cannot reach another folder, and refusal keys (`r2026-…#U…#refused:…`) stay one part. A part
 * longer than {@link LONGEST_PART} once encoded (bm writes none: it was planted) is its SHA-256
 * instead, `~` and 64 hex digits, so that its key still fits and the event is still archived.
 */
export function keyPart(text: string): string {
  let encoded = encodeURIComponent(text).replaceAll("~", "%7E");
  if (/^\.{1,2}$/.test(encoded)) encoded = encoded.replaceAll(".", "%2E");
  return encoded.length > LONGEST_PART
    ? `~${createHash("sha256").update(text).digest("hex")}`
    : encoded;
}

/** The key of an archived event. */
export function eventObjectKey(day: string, operationId: string, event: string): string {
  return `${EVENTS_PREFIX}${day}/${keyPart(operationId)}/${keyPart(event)}.json`;
}

/** The key of an archived change: one per stream record, so each change is kept. */
export function changeObjectKey(
  day: string,
  operationId: string,
  event: string,
  sequenceNumber: string,
): string {
  return `${CHANGES_PREFIX}${day}/${keyPart(operationId)}/${keyPart(event)}/${keyPart(sequenceNumber)}.json`;
}

/** A number of DynamoDB, as its digits: no number is rounded on its way to the archive. */
export class Digits {
  constructor(readonly digits: string) {}
}

/**
 * The chain's canonical JSON (lib/audit/chain.ts), so the same item is always the same bytes (a
 * replay is then known by comparing them), for DynamoDB's raw values: numbers keep DynamoDB's
 * exact digits; a set becomes a sorted array, binary its base64.
 */
export function archiveJson(value: unknown): string {
  return canonicalJsonWith(value, (inner, encode) => {
    if (inner instanceof Digits) {
      const { digits } = inner;
      return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(digits)
        ? digits
        : JSON.stringify(digits);
    }
    if (inner instanceof Uint8Array) return JSON.stringify(Buffer.from(inner).toString("base64"));
    if (inner instanceof Set) return `[${[...inner].map(encode).sort().join(",")}]`;
    return undefined;
  });
}

type Image = Record<string, AttributeValue>;
type Stream = NonNullable<DynamoDBRecord["dynamodb"]>;

/** What the stream says of a record (nothing, for a record without it). */
function streamOf(record: DynamoDBRecord): Stream {
  return record.dynamodb ?? {};
}

/** An image of the stream as plain values (numbers as {@link Digits}). */
function plain(image: unknown): Record<string, unknown> | null {
  return image
    ? unmarshall(image as Image, { wrapNumbers: (digits: string) => new Digits(digits) })
    : null;
}

/** The seconds of `ApproximateCreationDateTime` as an ISO time. */
function seenAt(record: DynamoDBRecord): string | undefined {
  const seconds = streamOf(record).ApproximateCreationDateTime;
  return typeof seconds === "number" ? new Date(seconds * 1000).toISOString() : undefined;
}

/** The audit table's keys of a record, when it has both as strings. */
function keysOf(record: DynamoDBRecord): { operationId: string; event: string } | undefined {
  const keys = plain(streamOf(record).Keys);
  const { operationId, event } = keys ?? {};
  return typeof operationId === "string" && typeof event === "string"
    ? { operationId, event }
    : undefined;
}

/**
 * What one stream record of the audit table means: an event to archive (INSERT), a change to
 * keep as evidence (MODIFY, REMOVE), or a record that cannot be read (no keys, no sequence
 * number, an INSERT without its new image: the stream's view type was changed).
 */
export function meaningOf(record: DynamoDBRecord): RecordMeaning {
  const stream = streamOf(record);
  const sequenceNumber = stream.SequenceNumber;
  const keys = keysOf(record);
  const unreadable = (why: string): Unreadable => ({ kind: "unreadable", why, sequenceNumber });
  if (sequenceNumber === undefined) return unreadable("no sequence number");
  if (!keys) return unreadable("no operationId and event keys");
  const oldImage = plain(stream.OldImage);
  const newImage = plain(stream.NewImage);
  const { operationId, event } = keys;
  if (record.eventName === "INSERT") {
    if (!newImage) return unreadable("an INSERT without its new image");
    return {
      kind: "event",
      key: eventObjectKey(dayOf(newImage.at), operationId, event),
      body: archiveJson(newImage),
      operationId,
      event,
      sequenceNumber,
    };
  }
  if (record.eventName === "MODIFY" || record.eventName === "REMOVE") {
    const change: ArchivedChange = {
      eventName: record.eventName,
      why: record.eventName === "MODIFY" ? "changed" : "removed",
      sequenceNumber,
      seenAt: seenAt(record),
      keys,
      oldImage,
      newImage,
    };
    return {
      kind: "change",
      eventName: record.eventName,
      key: changeKey(change),
      body: archiveJson(change),
      operationId,
      event,
      sequenceNumber,
    };
  }
  return unreadable(`an unknown event name ${JSON.stringify(record.eventName ?? null)}`);
}

/** A change's key: by the day it was seen, else the day of the event it changed. */
function changeKey(change: ArchivedChange): string {
  const day = change.seenAt
    ? dayOf(change.seenAt)
    : dayOf(change.oldImage?.at ?? change.newImage?.at);
  return changeObjectKey(day, change.keys.operationId, change.keys.event, change.sequenceNumber);
}

/**
 * An INSERT whose event the archive already holds with other content (an event removed and
 * written again, or an object planted in the archive): the new content, kept as evidence under
 * `changes/`, the archived copy beside it.
 */
export function differsFromArchive(
  record: DynamoDBRecord,
  insert: EventToArchive,
  archived: string,
): ArchiveObject {
  const change: ArchivedChange = {
    eventName: "INSERT",
    why: "differs-from-archive",
    sequenceNumber: insert.sequenceNumber,
    seenAt: seenAt(record),
    keys: { operationId: insert.operationId, event: insert.event },
    oldImage: null,
    newImage: plain(streamOf(record).NewImage),
    archived,
  };
  return { key: changeKey(change), body: archiveJson(change) };
}
