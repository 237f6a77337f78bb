/**
 * The audit table, exported oldest first as JSON lines or CSV.
 */
import {
  type DynamoDBDocumentClient,
  ScanCommand,
  type ScanCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { StoredEvent } from "../audit/seal";
import type { Head } from "../audit/verify";
import type { AuditEvent, Operation } from "../operations/operation";

/** Every audit event at or after `since`, oldest first. A full scan: an export, not a query. */
export async function readAudit(
  db: DynamoDBDocumentClient,
  table: string,
  since?: Date,
): Promise<AuditEvent[]> {
  const items = await readAuditItems(db, table, since);
  return items.map(({ event: _key, ...event }) => event as AuditEvent);
}

/** Every item a scan finds, page after page. */
async function scanAll<T>(
  db: DynamoDBDocumentClient,
  input: Omit<ScanCommandInput, "ExclusiveStartKey">,
): Promise<T[]> {
  const items: T[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ ...input, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as T[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/**
 * Every item of the audit table (at or after `since`), as stored, its key `event` kept, oldest
 * first: what the verifier recomputes.
 */
export async function readAuditItems(
  db: DynamoDBDocumentClient,
  table: string,
  since?: Date,
): Promise<StoredEvent[]> {
  const items = await scanAll<StoredEvent>(db, {
    TableName: table,
    ConsistentRead: true,
    ...(since
      ? {
          FilterExpression: "#at >= :since",
          ExpressionAttributeNames: { "#at": "at" },
          ExpressionAttributeValues: { ":since": since.toISOString() },
        }
      : {}),
  });
  // A planted item may lack its time: sorted first, and named by the verifier.
  return items.sort(
    (a, b) =>
      String(a.at ?? "").localeCompare(String(b.at ?? "")) ||
      a.operationId.localeCompare(b.operationId) ||
      a.event.localeCompare(b.event),
  );
}

/**
 * What each operation's own record says of its audit trail (its last event, and what waits in
 * its outbox): a scan of the operations table, locks and leases left out.
 */
export async function readHeads(db: DynamoDBDocumentClient, table: string): Promise<Head[]> {
  const items = await scanAll<Pick<Operation, "id" | "seq" | "lastEvent" | "unaudited">>(db, {
    TableName: table,
    ConsistentRead: true,
    FilterExpression: "begins_with(#id, :op)",
    ProjectionExpression: "#id, #seq, lastEvent, unaudited",
    ExpressionAttributeNames: { "#id": "id", "#seq": "seq" },
    ExpressionAttributeValues: { ":op": "op-" },
  });
  return items.map((item) => ({
    id: item.id,
    seq: item.seq,
    ...(item.lastEvent?.hash ? { hash: item.lastEvent.hash } : {}),
    unaudited: (item.unaudited ?? []).map((e) => e.seq),
  }));
}

export function toJsonLines(events: AuditEvent[]): string {
  return events.map((e) => `${JSON.stringify(e)}\n`).join("");
}

export const CSV_COLUMNS = [
  "at",
  "operation_id",
  "seq",
  "action",
  "from",
  "to",
  "team_id",
  "user_id",
  "facts",
  "prev",
  "hash",
] as const;

/** RFC 4180 CSV, with the facts as a JSON object in one column. */
export function toCsv(events: AuditEvent[]): string {
  const rows = events.map((e) => [
    e.at,
    e.operationId,
    String(e.seq),
    e.action,
    e.from ?? "",
    e.to ?? "",
    e.actor.teamId,
    e.actor.userId,
    JSON.stringify(e.facts),
    e.prev ?? "",
    e.hash ?? "",
  ]);
  return [CSV_COLUMNS, ...rows]
    .map((row) => row.map(csvField).join(","))
    .join("\r\n")
    .concat("\r\n");
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
