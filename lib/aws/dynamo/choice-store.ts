/**
 * Pending choices in DynamoDB.
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Choice } from "../../choices/choice";
import type { ChoiceStore } from "../../choices/choice-store";
import { nextWrite, putIfUnchanged, putNew } from "./conditional-writes";

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

function itemOf(choice: Choice) {
  return { id: `choice#${choice.id}`, rev: choice.rev, expiresAt: choice.expiresAt, choice };
}
