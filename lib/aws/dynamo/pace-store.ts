/**
 * Slack's pace, shared by every container of bm, in the operations table: small items
 * `pace#<method>` (the last Retry-After Slack gave for the method, `until`, and its tier bucket,
 * `tier`: lib/slack/pace.ts) and
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
    const [item, bucket] = await Promise.all([
      this.get(methodKey(method)),
      channel === undefined ? undefined : this.get(channelKey(method, channel)),
    ]);
    const until = numberIn(item, "until");
    const tier = numberIn(item, "tier");
    const tat = numberIn(bucket, "tat");
    return {
      ...(until !== undefined ? { until } : {}),
      ...(tier !== undefined ? { tier } : {}),
      ...(tat !== undefined ? { tat } : {}),
    };
  }

  block(method: string, until: number): Promise<void> {
    return this.later(methodKey(method), "until", until);
  }

  called(method: string, tier: number): Promise<void> {
    return this.later(methodKey(method), "tier", tier);
  }

  posted(channel: string, tat: number): Promise<void> {
    return this.later(channelKey("chat.postMessage", channel), "tat", tat);
  }

  private async get(id: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { id }, ConsistentRead: true }),
    );
    return Item;
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

/** A number an item holds; undefined when there is no item, or it holds none. */
function numberIn(item: Record<string, unknown> | undefined, field: string): number | undefined {
  const value = item?.[field];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
