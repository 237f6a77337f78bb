/**
 * Slack's pace, shared by every container of bm, in the operations table: small items
 * `pace#<method>` (the last Retry-After Slack gave for the method: `until`) and
 * `pace#chat.postMessage#<channel>` (the channel's post bucket: `tat`, lib/slack/pace.ts). One
 * bot token is one workspace, and one table one deployment, so the team is not in the key. Each
 * item carries `expiresAt`, an hour past its time, for DynamoDB's TTL; it carries neither
 * `tenant` nor `inflight`, so no index sees it. Writes only ever move a time later.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { PaceStore, SharedPace } from "../../slack/paced-call";

/** How long a pace item outlives its time, for DynamoDB's TTL (seconds). */
const KEEP_S = 3600;

export class DynamoPaceStore implements PaceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** @throws what DynamoDB throws: the pace is then unknown. */
  async read(method: string, channel?: string): Promise<SharedPace> {
    const [blocked, bucket] = await Promise.all([
      this.get(methodKey(method), "until"),
      channel === undefined ? undefined : this.get(channelKey(method, channel), "tat"),
    ]);
    return {
      ...(blocked !== undefined ? { until: blocked } : {}),
      ...(bucket !== undefined ? { tat: bucket } : {}),
    };
  }

  block(method: string, until: number): Promise<void> {
    return this.later(methodKey(method), "until", until);
  }

  posted(channel: string, tat: number): Promise<void> {
    return this.later(channelKey("chat.postMessage", channel), "tat", tat);
  }

  /** A number the item holds; undefined when there is no item, or it holds none. */
  private async get(id: string, field: string): Promise<number | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }),
    );
    const value = Item?.[field];
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
  }

  /** Sets `field` to `value` unless it holds a later time already. */
  private async later(id: string, field: string, value: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: "SET #f = :v, expiresAt = :e",
          ConditionExpression: "attribute_not_exists(#f) OR #f < :v",
          ExpressionAttributeNames: { "#f": field },
          ExpressionAttributeValues: { ":v": value, ":e": Math.ceil(value / 1000) + KEEP_S },
        }),
      );
    } catch (error) {
      // A later time is there already: it stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

const methodKey = (method: string) => `pace#${method}`;
const channelKey = (method: string, channel: string) => `pace#${method}#${channel}`;
