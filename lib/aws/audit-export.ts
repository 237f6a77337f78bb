/**
 * The audit table, exported oldest first as JSON lines or CSV.
 */
import { type DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { AuditEvent } from "../operations/operation";

/** Every audit event at or after `since`, oldest first. A full scan: an export, not a query. */
export async function readAudit(
  db: DynamoDBDocumentClient,
  table: string,
  since?: Date,
): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: table,
        ExclusiveStartKey: start,
        ...(since
          ? {
              FilterExpression: "#at >= :since",
              ExpressionAttributeNames: { "#at": "at" },
              ExpressionAttributeValues: { ":since": since.toISOString() },
            }
          : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const { event: _key, ...event } = item;
      events.push(event as AuditEvent);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return events.sort(
    (a, b) =>
      a.at.localeCompare(b.at) || a.operationId.localeCompare(b.operationId) || a.seq - b.seq,
  );
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
  ]);
  return [CSV_COLUMNS, ...rows]
    .map((row) => row.map(csvField).join(","))
    .join("\r\n")
    .concat("\r\n");
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
