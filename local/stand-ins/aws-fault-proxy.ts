/**
 * A fault proxy in front of an AWS JSON service on loopback (dynalite for DynamoDB, the SQS
 * stand-in): every call passes through unchanged unless a fault matches it. The three ways an
 * outside call fails: it answers an error, it hangs, or it succeeds and the caller never hears
 * (the request takes effect, the answer never comes: to the caller, as if its process had died
 * right after the call).
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * The three ways, as the fault matrix takes them. `lost-answer`: the call takes effect and its
 * answer never comes (the caller waits out its own timeout).
 */
export type FaultKind = "error" | "hang" | "lost-answer";

export interface AwsFault {
  /** The operation, as in `X-Amz-Target` after the dot: `PutItem`, `SendMessage`, … */
  target: string;
  /**
   * One of the three, or `lost-answer-reset`: the call takes effect, then the connection is cut at
   * once, as when the answer is lost on the way back (the caller hears a network error, and its
   * SDK tries again without waiting out a timeout).
   */
  kind: FaultKind | "lost-answer-reset";
  /** Only calls whose JSON input this accepts (a table, a state being written, …). */
  when?: (input: Record<string, unknown>) => boolean;
  /** How many matching calls it takes; then it is spent. */
  times?: number;
  /** With `error`: the AWS error type and status (a throttle, by default, as DynamoDB sends it). */
  errorType?: string;
  status?: number;
}

interface Armed extends AwsFault {
  left: number;
  hits: number;
}

export class AwsFaultProxy {
  url = "";
  /** Every call seen, with the fault it met, if any. */
  readonly calls: Array<{
    target: string;
    input: Record<string, unknown>;
    fault?: AwsFault["kind"];
  }> = [];
  private readonly faults: Armed[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private readonly server = createServer((req, res) => {
    void this.handle(req, res);
  });

  constructor(private readonly upstream: string) {}

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Arms a fault; returns it, so a test can see how often it struck. */
  inject(fault: AwsFault): { readonly hits: number } {
    const armed: Armed = { ...fault, left: fault.times ?? 1, hits: 0 };
    this.faults.push(armed);
    return armed;
  }

  /** Disarms every fault, and lets hanging calls end (their callers have long given up). */
  clear(): void {
    this.faults.length = 0;
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await read(req);
    const target =
      String(req.headers["x-amz-target"] ?? "")
        .split(".")
        .pop() ?? "";
    let input: Record<string, unknown> = {};
    try {
      input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
    } catch {
      // not JSON: forwarded as it is
    }
    const fault = this.faults.find(
      (f) => f.left > 0 && f.target === target && (!f.when || f.when(input)),
    );
    this.calls.push({ target, input, ...(fault ? { fault: fault.kind } : {}) });
    if (fault) {
      fault.left--;
      fault.hits++;
    }
    if (fault?.kind === "error") {
      res.writeHead(fault.status ?? 400, { "content-type": "application/x-amz-json-1.0" });
      res.end(
        JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${fault.errorType ?? "ProvisionedThroughputExceededException"}`,
          message: "injected by the fault proxy",
        }),
      );
      return;
    }
    if (fault?.kind === "hang") {
      this.hanging.add(res);
      return;
    }
    const answer = await this.forward(req, body);
    if (fault?.kind === "lost-answer") {
      this.hanging.add(res);
      return;
    }
    if (fault?.kind === "lost-answer-reset") {
      res.socket?.destroy();
      return;
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const target = new URL(req.url ?? "/", this.upstream);
    return new Promise((resolve, reject) => {
      const out = request(
        target,
        { method: req.method, headers: { ...req.headers, host: target.host } },
        (answer) => {
          void read(answer).then((data) => {
            const headers: Record<string, string> = {};
            for (const [k, v] of Object.entries(answer.headers))
              if (typeof v === "string" && k !== "content-length") headers[k] = v;
            resolve({ status: answer.statusCode ?? 500, headers, body: data });
          });
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  }
}

function read(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}
