/**
 * The audit table in DynamoDB.
 */
import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { AuditEvent } from "../../operations/operation";
import type { AuditLog } from "../../operations/ports";

/**
 * The audit table's sort key: events of an operation in order (`e000001`, …), refusals, which
 * change no operation, after them by time (`r2026-…#x7f3`). A refusal collapsed per minute
 * (`facts.minute`) is keyed by its time, user and reason (`r2026-…Z#U…#refused:…`), so writing
 * it again changes nothing, and the count of its repeats (`facts.first`: that refusal's time,
 * `facts.tally`: the container's) follows it (`…#<tally>`).
 */
export function auditKey(event: AuditEvent): string {
  if (event.seq > 0) return `e${String(event.seq).padStart(6, "0")}`;
  const { minute, tally, first } = event.facts;
  if (typeof minute === "string") {
    const at = typeof first === "string" ? first : event.at;
    const key = `r${at}#${event.actor.userId}#${event.action}`;
    return typeof tally === "string" ? `${key}#${tally}` : key;
  }
  return `r${event.at}#${randomBytes(3).toString("hex")}`;
}

/** The audit table: conditional puts only, so an event is written once and never changed. */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async append(event: AuditEvent): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...event, event: auditKey(event) },
          ConditionExpression: "attribute_not_exists(operationId)",
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
