/**
 * The tables of serverless.yml, created in a local DynamoDB (dynalite, or moto) for `npm start`
 * and the tests: one definition, read from the file, never copied.
 */
import { readFile } from "node:fs/promises";
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type StreamViewType,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { parseDocument } from "yaml";

/** The logical ids of the two tables in serverless.yml. */
export const TABLES = { operations: "OperationsTable", audit: "AuditTable" } as const;

/** A resource of serverless.yml: its type and properties. */
export interface TemplateResource {
  Type?: string;
  Properties?: Record<string, unknown>;
}

/** The resources of serverless.yml, by logical id. */
export async function templateResources(
  serverlessYml: string,
): Promise<Record<string, TemplateResource>> {
  // CloudFormation's short forms (!Ref, !GetAtt) are read as plain values: only the resources' own properties matter here.
  const document = parseDocument(await readFile(serverlessYml, "utf8"), {
    customTags: ["Ref", "GetAtt", "Sub", "Join"].map((tag) => ({
      tag: `!${tag}`,
      resolve: (value: string) => value,
    })),
  }).toJS() as { resources?: { Resources?: Record<string, TemplateResource> } };
  return document.resources?.Resources ?? {};
}

/** What a local DynamoDB can do beyond keys and indexes. */
export interface TableOptions {
  /**
   * The table's stream (`StreamSpecification`), where the DynamoDB has streams: moto and AWS do;
   * dynalite takes the parameter and ignores it, so it is left out there.
   */
  streams?: boolean;
}

/** Reads a table's CreateTable input (keys, attributes, indexes; its stream with `streams`) from serverless.yml. */
export async function tableDefinition(
  serverlessYml: string,
  logicalId: string,
  tableName: string,
  options: TableOptions = {},
): Promise<CreateTableCommandInput> {
  const resource = (await templateResources(serverlessYml))[logicalId];
  if (resource?.Type !== "AWS::DynamoDB::Table" || !resource.Properties) {
    throw new Error(`serverless.yml has no DynamoDB table ${logicalId}`);
  }
  const p = resource.Properties;
  const stream = p.StreamSpecification as { StreamViewType: string } | undefined;
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput["AttributeDefinitions"],
    KeySchema: p.KeySchema as CreateTableCommandInput["KeySchema"],
    ...(p.GlobalSecondaryIndexes
      ? {
          GlobalSecondaryIndexes:
            p.GlobalSecondaryIndexes as CreateTableCommandInput["GlobalSecondaryIndexes"],
        }
      : {}),
    ...(options.streams && stream
      ? {
          StreamSpecification: {
            StreamEnabled: true,
            StreamViewType: stream.StreamViewType as StreamViewType,
          },
        }
      : {}),
  };
}

/** Creates both tables under the given names (with their streams, given `streams`). */
export async function createTables(
  client: DynamoDBClient,
  serverlessYml: string,
  names: { operations: string; audit: string },
  options: TableOptions = {},
): Promise<void> {
  for (const [key, logicalId] of Object.entries(TABLES) as Array<[keyof typeof TABLES, string]>) {
    await client.send(
      new CreateTableCommand(await tableDefinition(serverlessYml, logicalId, names[key], options)),
    );
  }
}

/**
 * Turns on the TTL each table of serverless.yml declares (`TimeToLiveSpecification`), where the
 * DynamoDB has TTL (dynalite has none; moto and AWS do).
 */
export async function enableTimeToLive(
  client: DynamoDBClient,
  serverlessYml: string,
  names: { operations: string; audit: string },
): Promise<void> {
  const resources = await templateResources(serverlessYml);
  for (const [key, logicalId] of Object.entries(TABLES) as Array<[keyof typeof TABLES, string]>) {
    const spec = resources[logicalId]?.Properties?.TimeToLiveSpecification as
      | { AttributeName: string; Enabled: boolean }
      | undefined;
    if (!spec) continue;
    await client.send(
      new UpdateTimeToLiveCommand({ TableName: names[key], TimeToLiveSpecification: spec }),
    );
  }
}
