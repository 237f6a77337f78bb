/**
 * Who has opened bm's Home tab, in the operations table (`home#<user>`): what the Home's
 * republication reads to publish only to people who look at it. Out of both indexes; DynamoDB's
 * TTL forgets someone who has not opened it for 30 days.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { HomeOpeners } from "../../front-door/deps";

/** How long an opened Home is remembered without being opened again. */
export const HOME_OPENER_TTL_S = 30 * 86_400;

export class DynamoHomeOpeners implements HomeOpeners {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async opened(userId: string, at: Date): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          id: `home#${userId}`,
          openedAt: at.toISOString(),
          expiresAt: Math.floor(at.getTime() / 1000) + HOME_OPENER_TTL_S,
        },
      }),
    );
  }

  async among(userIds: readonly string[]): Promise<string[]> {
    const found = await Promise.all(
      userIds.map((userId) =>
        this.db
          .send(new GetCommand({ TableName: this.table, Key: { id: `home#${userId}` } }))
          .then(({ Item }) => (Item ? userId : undefined)),
      ),
    );
    return found.filter((id): id is string => id !== undefined);
  }
}
