/**
 * An SQS stand-in on loopback: the real SDK's SendMessage (AWS JSON 1.0) lands in an in-memory
 * queue with delays, visibility timeouts, receive counts and a dead-letter list, from which the
 * local host delivers SQS events to the worker, as the Lambda event source mapping does. As SQS
 * does, it keeps the sender's X-Ray trace header as the message's `AWSTraceHeader` (Lambda's
 * recursive loop detection reads it: lineage.ts), gives a receive without a VisibilityTimeout the
 * queue's own (360 s, as serverless.yml sets it), honours ChangeMessageVisibility on a message in
 * flight, and refuses a delay or a visibility timeout out of SQS's bounds.
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
  /** The sender's `X-Amzn-Trace-Id`, kept as the `AWSTraceHeader` system attribute. */
  traceHeader?: string;
}

/** SQS's bounds (SendMessage's DelaySeconds, ChangeMessageVisibility's VisibilityTimeout). */
const MAX_DELAY_S = 900;
const MAX_VISIBILITY_S = 43_200;

class SqsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SqsStandInOptions {
  /** Receives after which a message goes to the dead letters (the redrive policy's maxReceiveCount). */
  maxReceives?: number;
  /** Multiplies DelaySeconds and visibility timeouts: below 1 makes tests fast. 1 unless told. */
  timeScale?: number;
  /** The queue's VisibilityTimeout, for a receive that names none: 360 s, as serverless.yml. */
  visibilityTimeoutS?: number;
}

export class SqsStandIn {
  readonly messages: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];
  /** Every SendMessage received, with its delay: what the product asked for. */
  readonly sent: Array<{ body: string; delaySeconds: number }> = [];
  /** Every ChangeMessageVisibility accepted: the back-offs the product asked for. */
  readonly visibilityChanges: Array<{ messageId: string; visibilityTimeoutS: number }> = [];
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
      const trace = req.headers["x-amzn-trace-id"];
      const [status, output] = this.call(target, input, Array.isArray(trace) ? trace[0] : trace);
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
  send(body: string, delaySeconds = 0, traceHeader?: string): string {
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_S)
      throw new SqsFault(
        "InvalidParameterValue",
        `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= ${MAX_DELAY_S}.`,
      );
    const now = Date.now();
    const message: QueuedMessage = {
      messageId: randomUUID(),
      body,
      receiveCount: 0,
      sentAt: now,
      visibleAt: now + delaySeconds * 1000 * this.scale,
      ...(traceHeader ? { traceHeader } : {}),
    };
    this.sent.push({ body, delaySeconds });
    this.messages.push(message);
    return message.messageId;
  }

  /**
   * Takes up to `max` visible messages, hiding each for `visibilityS` (the queue's own unless
   * told) and counting the receive.
   */
  receive(max = 10, visibilityS = this.options.visibilityTimeoutS ?? 360): QueuedMessage[] {
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

  /**
   * Makes a message in flight visible again in `seconds`, as ChangeMessageVisibility does.
   * @throws SqsFault ReceiptHandleIsInvalid for a handle of no message, MessageNotInflight for a
   *   message already visible, InvalidParameterValue out of 0–43,200 s.
   */
  changeVisibility(receiptHandle: string, seconds: number): void {
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_S)
      throw new SqsFault(
        "InvalidParameterValue",
        `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and ${MAX_VISIBILITY_S}.`,
      );
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message)
      throw new SqsFault(
        "ReceiptHandleIsInvalid",
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
      );
    const now = Date.now();
    if (message.visibleAt <= now)
      throw new SqsFault("MessageNotInflight", "The message referred to is not in flight.");
    message.visibleAt = now + seconds * 1000 * this.scale;
    this.visibilityChanges.push({ messageId: message.messageId, visibilityTimeoutS: seconds });
  }

  /**
   * Moves a received message to the dead letters at once: what Lambda does with an SQS event whose
   * invocation its recursive loop detection stopped.
   */
  deadLetter(receiptHandle: string): void {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message) return;
    this.remove(message);
    this.deadLetters.push(message);
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

  private call(
    target: string,
    input: Record<string, unknown>,
    traceHeader: string | undefined,
  ): [number, unknown] {
    try {
      return this.answer(target, input, traceHeader);
    } catch (error) {
      if (!(error instanceof SqsFault)) throw error;
      return [400, { __type: `com.amazonaws.sqs#${error.type}`, message: error.message }];
    }
  }

  private answer(
    target: string,
    input: Record<string, unknown>,
    traceHeader: string | undefined,
  ): [number, unknown] {
    // As SQS (and moto) answer: a queue other than this one does not exist, and out-of-range
    // values are refused, not clamped (docs/testing.md, "Where moto and the stand-ins disagree").
    if (input.QueueUrl !== undefined && !String(input.QueueUrl).endsWith("/000000000000/bm-work"))
      throw new SqsFault("QueueDoesNotExist", "The specified queue does not exist.");
    switch (target) {
      case "SendMessage": {
        const body = String(input.MessageBody ?? "");
        const messageId = this.send(body, Number(input.DelaySeconds ?? 0), traceHeader);
        return [
          200,
          { MessageId: messageId, MD5OfMessageBody: createHash("md5").update(body).digest("hex") },
        ];
      }
      case "ReceiveMessage": {
        const max = Number(input.MaxNumberOfMessages ?? 1);
        if (!(max >= 1 && max <= 10))
          throw new SqsFault(
            "InvalidParameterValue",
            `Value ${max} for parameter MaxNumberOfMessages is invalid.`,
          );
        const taken =
          input.VisibilityTimeout === undefined
            ? this.receive(Number(input.MaxNumberOfMessages ?? 1))
            : this.receive(Number(input.MaxNumberOfMessages ?? 1), Number(input.VisibilityTimeout));
        const asked = new Set([
          ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
          ...((input.AttributeNames as string[] | undefined) ?? []),
        ]);
        // Only the system attributes asked for, as SQS returns them.
        const wanted = (name: string) => asked.has(name) || asked.has("All");
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
                      ...(wanted("AWSTraceHeader") && m.traceHeader
                        ? { AWSTraceHeader: m.traceHeader }
                        : {}),
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
      case "ChangeMessageVisibility":
        this.changeVisibility(String(input.ReceiptHandle), Number(input.VisibilityTimeout));
        return [200, {}];
      case "GetQueueAttributes": {
        // Only the attributes asked for (or "All"), each a string, as SQS answers; a name SQS
        // does not have is refused.
        const now = Date.now();
        const visible = this.messages.filter((m) => m.visibleAt <= now).length;
        const all: Record<string, string> = {
          ApproximateNumberOfMessages: String(visible),
          ApproximateNumberOfMessagesNotVisible: String(this.messages.length - visible),
          ApproximateNumberOfMessagesDelayed: "0",
          QueueArn: "arn:aws:sqs:ap-northeast-1:000000000000:bm-work",
          VisibilityTimeout: String(this.options.visibilityTimeoutS ?? 360),
        };
        const asked = (input.AttributeNames as string[] | undefined) ?? [];
        for (const name of asked)
          if (name !== "All" && !(name in all))
            throw new SqsFault("InvalidAttributeName", `Unknown Attribute ${name}.`);
        const wanted = asked.includes("All") ? Object.keys(all) : asked;
        return [
          200,
          wanted.length > 0
            ? { Attributes: Object.fromEntries(wanted.map((n) => [n, all[n] as string])) }
            : {},
        ];
      }
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
