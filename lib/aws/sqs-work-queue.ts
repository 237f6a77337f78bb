/**
 * The work queue on SQS.
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { WorkMessage, WorkQueue } from "../operations/ports";

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
}

/** Reads a queue message body. @throws SyntaxError or TypeError for anything else. */
export function parseWorkMessage(body: string): WorkMessage {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  if (
    (parsed.kind === "prepare" || parsed.kind === "execute" || parsed.kind === "announce") &&
    typeof parsed.operationId === "string"
  ) {
    return { kind: parsed.kind, operationId: parsed.operationId };
  }
  if (
    parsed.kind === "recheck" &&
    typeof parsed.operationId === "string" &&
    typeof parsed.userId === "string"
  ) {
    return { kind: "recheck", operationId: parsed.operationId, userId: parsed.userId };
  }
  if (parsed.kind === "lookup" && typeof parsed.choiceId === "string")
    return { kind: "lookup", choiceId: parsed.choiceId };
  const request = parsed.request as Record<string, unknown> | undefined;
  const fields = ["teamId", "channelId", "userId", "target", "tenant", "secretId"] as const;
  if (parsed.kind === "status" && request && fields.every((f) => typeof request[f] === "string")) {
    const answer = Object.fromEntries(fields.map((f) => [f, request[f] as string]));
    if (typeof request.responseUrl === "string") answer.responseUrl = request.responseUrl;
    return { kind: "status", request: answer as never };
  }
  throw new TypeError("not a bm work message");
}
