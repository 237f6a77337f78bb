/**
 * First sightings of mounted media, in the operations table (`sightings#<tenant>`): one item per
 * tenant, a map `server#image` → ISO time. The item carries neither `tenant` nor `inflight`, so no
 * index sees it, like the `choice#`, `home#` and `lease#` items. Each write names the revision it
 * read, so of two answers that race, one writes and the other learns it lost.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { SightingStore, Sightings, SightingsRead } from "../../operations/sightings";

/** The key of a tenant's sightings (the worker's role reads and writes it: lib/doctor/role-calls.ts). */
export function sightingsId(tenant: string): string {
  return `sightings#${tenant}`;
}

export class DynamoSightings implements SightingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async read(tenant: string): Promise<SightingsRead> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { id: sightingsId(tenant) },
        ConsistentRead: true,
      }),
    );
    const seen = (Item?.seen ?? {}) as Record<string, unknown>;
    return {
      seen: Object.fromEntries(
        Object.entries(seen).filter((e): e is [string, string] => typeof e[1] === "string"),
      ),
      revision: typeof Item?.revision === "number" ? Item.revision : 0,
    };
  }

  async write(tenant: string, read: SightingsRead, seen: Sightings): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { id: sightingsId(tenant), seen, revision: read.revision + 1 },
          ...(read.revision === 0
            ? { ConditionExpression: "attribute_not_exists(id)" }
            : {
                ConditionExpression: "revision = :read",
                ExpressionAttributeValues: { ":read": read.revision },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
