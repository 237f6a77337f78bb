/**
 * Operations in DynamoDB: single-item conditional writes only (dynalite implements them
 * faithfully; it has no transactions).
 */
import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { Choice } from "../choices/choice";
import type { AuditEvent, Operation } from "../operations/operation";
import type { AuditLog, ChoiceStore, OperationStore } from "../operations/ports";

/** The sparse index of operations in flight (see serverless.yml). */
export const INFLIGHT_INDEX = "inflight";

/** One document client per container, configured by the SDK's own variables. */
export function documentClient(client = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export class DynamoOperationStore implements OperationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(op: Operation) {
    return putNew(this.db, this.table, op, () => this.get(op.id));
  }

  async get(id: string): Promise<Operation | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }),
    );
    return Item as Operation | undefined;
  }

  async save(prev: Operation, next: Operation): Promise<Operation | undefined> {
    const written = nextWrite(prev, next);
    return putIfUnchanged(
      this.db,
      this.table,
      written,
      written,
      // Names the state it leaves and the revision it read: a racing writer loses.
      {
        expression: "#state = :state AND #rev = :rev",
        names: { "#state": "state", "#rev": "rev" },
        values: { ":state": prev.state, ":rev": prev.rev },
      },
      () => this.get(next.id),
    );
  }

  // Locks live in the operations table under ids of their own (`lock#…`); they carry neither
  // `tenant` nor `inflight`, so no index sees them.
  async lock(key: string, opId: string): Promise<{ held: true } | { held: false; holder: string }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { id: key, holder: opId, at: new Date().toISOString() },
          ConditionExpression: "attribute_not_exists(id) OR holder = :op",
          ExpressionAttributeValues: { ":op": opId },
        }),
      );
      return { held: true } as const;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.table, Key: { id: key }, ConsistentRead: true }),
      );
      // Released in between: try once more.
      if (!Item) return this.lock(key, opId);
      return { held: false, holder: String(Item.holder) } as const;
    }
  }

  async unlock(key: string, opId: string): Promise<void> {
    try {
      await this.db.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { id: key },
          ConditionExpression: "holder = :op",
          ExpressionAttributeValues: { ":op": opId },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async takeLock(key: string, from: string, opId: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { id: key, holder: opId, at: new Date().toISOString() },
          ConditionExpression: "holder = :from",
          ExpressionAttributeValues: { ":from": from },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async setParent(id: string, parentTs: string, permalink: string | undefined): Promise<Operation> {
    const { Attributes } = await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { id },
        UpdateExpression: `SET parentTs = if_not_exists(parentTs, :ts)${permalink ? ", permalink = if_not_exists(permalink, :link)" : ""}, #rev = #rev + :one`,
        ConditionExpression: "attribute_exists(id)",
        ExpressionAttributeNames: { "#rev": "rev" },
        ExpressionAttributeValues: {
          ":ts": parentTs,
          ":one": 1,
          ...(permalink ? { ":link": permalink } : {}),
        },
        ReturnValues: "ALL_NEW",
      }),
    );
    return Attributes as Operation;
  }

  async clearAudited(op: Operation, seqs: number[], settled: boolean): Promise<void> {
    const rest = (op.unaudited ?? []).filter((e) => !seqs.includes(e.seq));
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id: op.id },
          UpdateExpression: `SET #unaudited = :rest${settled ? " REMOVE #inflight" : ""}`,
          ConditionExpression: "#rev = :rev",
          ExpressionAttributeNames: {
            "#unaudited": "unaudited",
            "#rev": "rev",
            ...(settled ? { "#inflight": "inflight" } : {}),
          },
          ExpressionAttributeValues: { ":rest": rest, ":rev": op.rev },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async listInFlight(): Promise<Operation[]> {
    const found: Operation[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          IndexName: INFLIGHT_INDEX,
          ExclusiveStartKey: start,
        }),
      );
      found.push(...((page.Items ?? []) as Operation[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  async recentForTenant(
    tenant: string,
    limit: number,
    keep: (op: Operation) => boolean = () => true,
  ): Promise<Operation[]> {
    const found: Operation[] = [];
    let start: Record<string, unknown> | undefined;
    // A few pages at most: history is a glance, not a report (that is the audit export).
    for (let page = 0; page < 5 && found.length < limit; page++) {
      const result = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: TENANT_INDEX,
          KeyConditionExpression: "tenant = :tenant",
          ExpressionAttributeValues: { ":tenant": tenant },
          ScanIndexForward: false,
          Limit: 50,
          ExclusiveStartKey: start,
        }),
      );
      found.push(...((result.Items ?? []) as Operation[]).filter(keep));
      start = result.LastEvaluatedKey;
      if (!start) break;
    }
    return found.slice(0, limit);
  }
}

/**
 * Pending choices, in the operations table under ids of their own (`choice#…`), the choice itself
 * in one attribute: they carry neither `tenant` nor `inflight`, so no index sees them. DynamoDB's
 * TTL removes them a while after `expiresAt`; until then the code checks the time itself.
 */
export class DynamoChoiceStore implements ChoiceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async createChoice(choice: Choice) {
    return putNew(this.db, this.table, itemOf(choice), () => this.getChoice(choice.id));
  }

  async getChoice(id: string): Promise<Choice | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { id: `choice#${id}` }, ConsistentRead: true }),
    );
    return (Item?.choice as Choice | undefined) ?? undefined;
  }

  async saveChoice(prev: Choice, next: Choice): Promise<Choice | undefined> {
    const written = nextWrite(prev, next);
    return putIfUnchanged(
      this.db,
      this.table,
      itemOf(written),
      written,
      { expression: "#rev = :rev", names: { "#rev": "rev" }, values: { ":rev": prev.rev } },
      () => this.getChoice(next.id),
    );
  }
}

/** `next` as the write after `prev`: the next revision, and a `writeId` no other write has. */
function nextWrite<T extends { rev: number; writeId?: string }>(prev: T, next: T): T {
  return { ...next, rev: prev.rev + 1, writeId: randomBytes(8).toString("hex") };
}

/**
 * Puts `item` unless one with its id exists; then returns that one (read with `read`). A failed
 * condition with nothing to read (the item went meanwhile) is thrown as it is.
 */
async function putNew<T>(
  db: DynamoDBDocumentClient,
  table: string,
  item: object,
  read: () => Promise<T | undefined>,
): Promise<{ created: true } | { created: false; existing: T }> {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: "attribute_not_exists(id)",
      }),
    );
    return { created: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const existing = await read();
    if (!existing) throw error;
    return { created: false, existing };
  }
}

/**
 * Puts `item` (which stores `written`) if the stored one still meets `condition`: `written` when
 * it did, undefined when another writer got there first. A refused condition may also be this
 * very write, landed with its answer lost and the SDK's retry then refused: the stored item's
 * `writeId` says which.
 */
async function putIfUnchanged<T extends { writeId?: string }>(
  db: DynamoDBDocumentClient,
  table: string,
  item: object,
  written: T,
  condition: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
  read: () => Promise<T | undefined>,
): Promise<T | undefined> {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: condition.names,
        ExpressionAttributeValues: condition.values,
      }),
    );
    return written;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const stored = await read();
    return stored?.writeId === written.writeId ? stored : undefined;
  }
}

function itemOf(choice: Choice) {
  return { id: `choice#${choice.id}`, rev: choice.rev, expiresAt: choice.expiresAt, choice };
}

/** The tenant index (see serverless.yml). */
export const TENANT_INDEX = "tenant";

/**
 * The audit table's sort key: events of an operation in order (`e000001`, …), refusals, which
 * change no operation, after them by time (`r2026-…#x7f3`).
 */
export function auditKey(event: AuditEvent): string {
  if (event.seq > 0) return `e${String(event.seq).padStart(6, "0")}`;
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
