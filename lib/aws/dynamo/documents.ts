/**
 * The DynamoDB document client, and the indexes of the operations table (see serverless.yml).
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** The sparse index of operations in flight (see serverless.yml). */
export const INFLIGHT_INDEX = "inflight";

/** The tenant index (see serverless.yml). */
export const TENANT_INDEX = "tenant";

/** One document client per container, configured by the SDK's own variables. */
export function documentClient(client = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
