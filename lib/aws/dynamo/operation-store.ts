/**
 * Operations in DynamoDB: single-item conditional writes only (dynalite implements them
 * faithfully; it has no transactions).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { isTerminal, type Operation, STATES, type TargetState } from "../../operations/operation";
import type { OperationStore } from "../../operations/ports";
import { nextWrite, putIfUnchanged, putNew } from "./conditional-writes";
import { INFLIGHT_INDEX, TENANT_INDEX } from "./documents";
import { DynamoLocks } from "./locks";

/** The states a tally entry is never changed from. */
const ENDED = STATES.filter(isTerminal);

export class DynamoOperationStore implements OperationStore {
  private readonly locks: DynamoLocks;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {
    this.locks = new DynamoLocks(db, table);
  }

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

  lock(key: string, opId: string) {
    return this.locks.lock(key, opId);
  }

  unlock(key: string, opId: string) {
    return this.locks.unlock(key, opId);
  }

  takeLock(key: string, from: string, opId: string) {
    return this.locks.takeLock(key, from, opId);
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

  async setTally(fleetId: string, targetId: string, state: TargetState): Promise<void> {
    const ended = [...ENDED].map((_, i) => `:end${i}`);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id: fleetId },
          UpdateExpression: "SET #tally.#target = :state, #rev = #rev + :one",
          ConditionExpression: `attribute_exists(#tally) AND NOT (#tally.#target IN (${ended.join(", ")}))`,
          ExpressionAttributeNames: { "#tally": "tally", "#target": targetId, "#rev": "rev" },
          ExpressionAttributeValues: {
            ":state": state,
            ":one": 1,
            ...Object.fromEntries([...ENDED].map((end, i) => [`:end${i}`, end])),
          },
        }),
      );
    } catch (error) {
      // Ended already (its end was recorded first), or no fleet to tally in: nothing to change.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
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
