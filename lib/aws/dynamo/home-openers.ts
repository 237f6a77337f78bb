/**
 * Who has opened bm's Home tab, in the operations table (`home#<user>`): what the Home's
 * republication reads to publish only to people who look at it. Beside them, `home#*` (no user id
 * has a `*`), renewed by every opening, says that someone has: while nobody has, a change asks
 * Slack for no user group's members, since nobody would be shown anything. Out of both indexes;
 * DynamoDB's TTL forgets someone who has not opened it for 30 days, and `home#*` 30 days after
 * the last opening of anyone's.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { HomeOpeners } from "../../front-door/deps";

/** How long an opened Home is remembered without being opened again. */
export const HOME_OPENER_TTL_S = 30 * 86_400;

/** The key of the item that says someone has opened their Home. */
export const ANYONE_KEY = "home#*";

export class DynamoHomeOpeners implements HomeOpeners {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async opened(userId: string, at: Date): Promise<void> {
    const item = (id: string) =>
      new PutCommand({
        TableName: this.table,
        Item: {
          id,
          openedAt: at.toISOString(),
          expiresAt: Math.floor(at.getTime() / 1000) + HOME_OPENER_TTL_S,
        },
      });
    // `home#*` first: a user remembered is never without it, so `anyone` answering no never
    // leaves out someone who opened their Home (a failure in between leaves it, harmlessly, yes).
    await this.db.send(item(ANYONE_KEY));
    await this.db.send(item(`home#${userId}`));
  }

  async anyone(): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: { id: ANYONE_KEY } }),
    );
    return Item !== undefined;
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
