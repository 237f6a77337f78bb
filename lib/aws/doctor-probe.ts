/**
 * The doctor's AWS reads (`npm run doctor`): a table exists and reads, the queue exists.
 */
import {
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
} from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { AwsProbe } from "../doctor/ports";

/** An {@link AwsProbe} over these clients. */
export function awsProbe(dynamo: DynamoDBClient, sqs: SQSClient): AwsProbe {
  return {
    async table(name) {
      const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: name }));
      // A read of a key no item has: the table answers reads, not only its description.
      const key = Object.fromEntries(
        (Table?.KeySchema ?? []).map((k) => {
          const type = Table?.AttributeDefinitions?.find(
            (a) => a.AttributeName === k.AttributeName,
          )?.AttributeType;
          return [k.AttributeName, type === "N" ? { N: "0" } : { S: "bm-doctor" }];
        }),
      );
      await dynamo.send(new GetItemCommand({ TableName: name, Key: key }));
      return Table?.TableStatus ?? "UNKNOWN";
    },
    async queue(url) {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      );
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    },
  };
}
