/**
 * An SQS stand-in on loopback: the real SDK's SendMessage (AWS JSON 1.0) lands in an in-memory
 * queue with delays, visibility timeouts, receive counts and a dead-letter list, from which the
 * local host delivers SQS events to the worker, as the Lambda event source mapping does.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface QueuedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
  sentAt: number;
  visibleAt: number;
  receiptHandle?: string;
}

export interface SqsStandInOptions {
  /** Receives after which a message goes to the dead letters (the redrive policy's maxReceiveCount). */
  maxReceives?: number;
  /** Multiplies DelaySeconds and visibility timeouts: below 1 makes tests fast. 1 unless told. */
  timeScale?: number;
}

export class SqsStandIn {
  readonly messages: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];
  /** Every SendMessage received, with its delay: what the product asked for. */
  readonly sent: Array<{ body: string; delaySeconds: number }> = [];
  url = "";
  queueUrl = "";
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "").replace("AmazonSQS.", "");
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<
        string,
        unknown
      >;
      const [status, output] = this.call(target, input);
      res.writeHead(status, {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-requestid": randomUUID(),
      });
      res.end(JSON.stringify(output));
    });
  });

  constructor(private readonly options: SqsStandInOptions = {}) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.queueUrl = `${this.url}/000000000000/bm-work`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Sends a message, as SendMessage does. */
  send(body: string, delaySeconds = 0): string {
    const now = Date.now();
    const message: QueuedMessage = {
      messageId: randomUUID(),
      body,
      receiveCount: 0,
      sentAt: now,
      visibleAt: now + delaySeconds * 1000 * this.scale,
    };
    this.sent.push({ body, delaySeconds });
    this.messages.push(message);
    return message.messageId;
  }

  /** Takes up to `max` visible messages, hiding each for `visibilityS` and counting the receive. */
  receive(max = 10, visibilityS = 30): QueuedMessage[] {
    const now = Date.now();
    const taken: QueuedMessage[] = [];
    for (const message of [...this.messages]) {
      if (taken.length >= max || message.visibleAt > now) continue;
      if (message.receiveCount >= (this.options.maxReceives ?? 5)) {
        this.remove(message);
        this.deadLetters.push(message);
        continue;
      }
      message.receiveCount++;
      message.receiptHandle = randomUUID();
      message.visibleAt = now + visibilityS * 1000 * this.scale;
      taken.push(message);
    }
    return taken;
  }

  /** Deletes a received message (it was processed). */
  delete(receiptHandle: string): void {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (message) this.remove(message);
  }

  /** Messages waiting or in flight. */
  get depth(): number {
    return this.messages.length;
  }

  private get scale(): number {
    return this.options.timeScale ?? 1;
  }

  private remove(message: QueuedMessage): void {
    this.messages.splice(this.messages.indexOf(message), 1);
  }

  private call(target: string, input: Record<string, unknown>): [number, unknown] {
    // As SQS (and moto) answer: a queue other than this one does not exist, and out-of-range
    // values are refused, not clamped (docs/testing.md, "Where moto and the stand-ins disagree").
    if (input.QueueUrl !== undefined && !String(input.QueueUrl).endsWith("/000000000000/bm-work"))
      return refuse("QueueDoesNotExist", "The specified queue does not exist.");
    const outOfRange = (name: string, low: number, high: number) => {
      const value = Number(input[name] ?? low);
      return value < low || value > high
        ? refuse("InvalidParameterValue", `Value ${value} for parameter ${name} is invalid.`)
        : undefined;
    };
    switch (target) {
      case "SendMessage": {
        const refused = outOfRange("DelaySeconds", 0, 900);
        if (refused) return refused;
        const body = String(input.MessageBody ?? "");
        const messageId = this.send(body, Number(input.DelaySeconds ?? 0));
        return [
          200,
          { MessageId: messageId, MD5OfMessageBody: createHash("md5").update(body).digest("hex") },
        ];
      }
      case "ReceiveMessage": {
        const refused = outOfRange("MaxNumberOfMessages", 1, 10);
        if (refused) return refused;
        // Only the system attributes asked for, as SQS returns them.
        const asked = new Set([
          ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
          ...((input.AttributeNames as string[] | undefined) ?? []),
        ]);
        const wanted = (name: string) => asked.has(name) || asked.has("All");
        const taken = this.receive(
          Number(input.MaxNumberOfMessages ?? 1),
          Number(input.VisibilityTimeout ?? 30),
        );
        return [
          200,
          {
            Messages: taken.map((m) => ({
              MessageId: m.messageId,
              ReceiptHandle: m.receiptHandle,
              Body: m.body,
              MD5OfBody: createHash("md5").update(m.body).digest("hex"),
              ...(asked.size > 0
                ? {
                    Attributes: {
                      ...(wanted("ApproximateReceiveCount")
                        ? { ApproximateReceiveCount: String(m.receiveCount) }
                        : {}),
                      ...(wanted("SentTimestamp") ? { SentTimestamp: String(m.sentAt) } : {}),
                    },
                  }
                : {}),
            })),
          },
        ];
      }
      case "DeleteMessage":
        this.delete(String(input.ReceiptHandle));
        return [200, {}];
      default:
        return [
          400,
          {
            __type: "com.amazonaws.sqs#UnsupportedOperation",
            message: `${target} is not supported by the stand-in`,
          },
        ];
    }
  }
}

/** An SQS error as the JSON protocol carries it. */
function refuse(type: string, message: string): [number, unknown] {
  return [400, { __type: `com.amazonaws.sqs#${type}`, message }];
}
