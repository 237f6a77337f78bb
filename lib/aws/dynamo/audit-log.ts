/**
 * The audit table in DynamoDB.
 */
import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { eventHash, hashed } from "../../audit/chain";
import { BmError } from "../../errors";
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

/**
 * Another item holds an event's place in the audit table, with other content: an event planted
 * there before bm wrote its own, or one rewritten since. bm's event is not written over it (nor
 * elsewhere): it waits in its outbox, the operation goes no further than that, and the conflict
 * is counted (AuditConflict) for someone to look at; `npm run audit -- --verify` names the item.
 */
export class AuditConflict extends BmError {
  override readonly name = "AuditConflict";
  // Not by itself: someone must look. Tried again all the same, so the event is never dropped.
  readonly passing = true;
  readonly forUsers = false;
  constructor(
    readonly operationId: string,
    readonly key: string,
  ) {
    super(`${operationId} ${key}: the audit table holds another event in its place`);
  }
}

/**
 * The audit table: conditional puts only, so an event is written once and never changed by bm.
 * A put that finds its place taken reads what is there: the same event (a repeat) is success,
 * anything else is an {@link AuditConflict}, never taken for "already written".
 */
export class DynamoAuditLog implements AuditLog {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async append(event: AuditEvent): Promise<void> {
    const item = sealedForTable(event);
    const key = auditKey(item);
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...item, event: key },
          ConditionExpression: "attribute_not_exists(operationId)",
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({
          TableName: this.table,
          Key: { operationId: item.operationId, event: key },
          ConsistentRead: true,
        }),
      );
      if (!Item || Item.hash !== item.hash || eventHash(Item) !== item.hash)
        throw new AuditConflict(item.operationId, key);
    }
  }
}

/**
 * The event as it is stored: a chained event with the hash the state machine gave it, a
 * standalone one hashed now.
 * @throws Error for a chained event without its hash: a bug, never written unchained.
 */
function sealedForTable(event: AuditEvent): AuditEvent {
  if (event.seq === 0) return hashed(event);
  if (!event.hash || eventHash(event) !== event.hash)
    throw new Error(`${event.operationId} #${event.seq}: its hash is missing or wrong`);
  return event;
}
