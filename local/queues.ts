/**
 * The queues of serverless.yml, created in an SQS that is not the stand-in (moto): the work
 * queue and its dead-letter queue, with the template's attributes and redrive policy, read from
 * the file, never copied.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { templateResources } from "./tables";

/** The logical ids of the two queues in serverless.yml. */
export const QUEUES = { work: "WorkQueue", deadLetters: "DeadLetterQueue" } as const;

/** A queue's attributes as SQS takes them (strings), from its template properties. */
function attributesOf(
  properties: Record<string, unknown>,
  arnOf: (getAtt: string) => string,
): Partial<Record<QueueAttributeName, string>> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) {
    if (name === "QueueName" || name === "Tags") continue;
    if (name === "RedrivePolicy") {
      const policy = value as { deadLetterTargetArn: string; maxReceiveCount: number };
      attributes[name] = JSON.stringify({
        deadLetterTargetArn: arnOf(policy.deadLetterTargetArn),
        maxReceiveCount: policy.maxReceiveCount,
      });
    } else attributes[name] = String(value);
  }
  return attributes;
}

/**
 * Creates the dead-letter queue, then the work queue that redrives to it, under the given names.
 * @throws Error when serverless.yml lacks one of them.
 */
export async function createQueues(
  sqs: SQSClient,
  serverlessYml: string,
  names: { work: string; deadLetters: string },
): Promise<{ work: string; deadLetters: string }> {
  const resources = await templateResources(serverlessYml);
  const arns = new Map<string, string>();
  const urls: Partial<Record<keyof typeof QUEUES, string>> = {};
  for (const key of ["deadLetters", "work"] as const) {
    const logicalId = QUEUES[key];
    const resource = resources[logicalId];
    if (resource?.Type !== "AWS::SQS::Queue") {
      throw new Error(`serverless.yml has no SQS queue ${logicalId}`);
    }
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: names[key],
        Attributes: attributesOf(resource.Properties ?? {}, (getAtt) => {
          // `!GetAtt DeadLetterQueue.Arn`, read as the plain string "DeadLetterQueue.Arn".
          const arn = arns.get(getAtt.replace(/\.Arn$/, ""));
          if (!arn) throw new Error(`serverless.yml: ${getAtt} is not a queue created before`);
          return arn;
        }),
      }),
    );
    if (!QueueUrl) throw new Error(`CreateQueue of ${names[key]} returned no URL`);
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    arns.set(logicalId, Attributes?.QueueArn ?? "");
    urls[key] = QueueUrl;
  }
  return { work: urls.work ?? "", deadLetters: urls.deadLetters ?? "" };
}
