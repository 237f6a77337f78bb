/**
 * The work queue on SQS.
 */
import {
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { MAX_VISIBILITY_S, type WorkQueue } from "../operations/ports";
import type { WorkMessage } from "../operations/work-message";

export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: WorkMessage, delaySeconds = 0): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        // SQS allows at most 15 minutes.
        DelaySeconds: Math.min(Math.max(0, Math.round(delaySeconds)), 900),
      }),
    );
  }

  /** Makes a received message visible again in `seconds` (SQS allows 0 to 12 hours). */
  async redeliver(receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(Math.max(0, Math.round(seconds)), MAX_VISIBILITY_S),
      }),
    );
  }
}
