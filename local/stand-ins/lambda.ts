/**
 * A Lambda stand-in on loopback for the one call bm makes: Invoke (REST JSON,
 * `POST /2015-03-31/functions/{name}/invocations`), asynchronous (`X-Amz-Invocation-Type: Event`,
 * answered 202 at once). Like Lambda, it refuses an unknown function (404,
 * ResourceNotFoundException), an unsigned request (403), an unknown invocation type and a
 * payload over 256 KB (413). Each accepted event runs the function (when told to run them), side
 * by side with any run already going, as without reserved concurrency; the run continues the
 * caller's chain of Lambda's recursive loop detection, read off its `X-Amzn-Trace-Id` (the
 * function given decides, through lineage.ts, whether Lambda would stop it).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const ASYNC_PAYLOAD_LIMIT = 256 * 1024;

export interface LambdaStandInOptions {
  /** The functions that exist, by name, and what running one does, given the caller's trace header. */
  functions: Record<string, (trace: string | undefined) => Promise<unknown>>;
  /** Run the function for each event (npm start), or only record the events (tests). */
  run: boolean;
}

export class LambdaStandIn {
  url = "";
  /** Every accepted asynchronous invoke, by function name. */
  readonly events: Array<{
    functionName: string;
    payload: string;
    at: number;
    trace: string | undefined;
  }> = [];
  private readonly running = new Set<Promise<unknown>>();
  /** Faults for the next invokes: Lambda's throttle or an error, or no answer at all. */
  private faults: Array<{ status: number; type: string } | "hang"> = [];
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const fault = this.faults.shift();
      if (fault === "hang") return; // never answered, until the connection is closed
      if (fault) {
        res.writeHead(fault.status, {
          "content-type": "application/json",
          "x-amzn-errortype": fault.type,
        });
        res.end(JSON.stringify({ Type: "Service", message: fault.type }));
        return;
      }
      const [status, type, message] = this.invoke(
        req.method ?? "",
        req.url ?? "",
        req.headers,
        Buffer.concat(chunks),
      );
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "x-amzn-requestid": randomUUID(),
      };
      if (type) headers["x-amzn-errortype"] = type;
      res.writeHead(status, headers);
      res.end(type ? JSON.stringify({ Type: "User", message }) : "");
    });
  });

  constructor(private readonly options: LambdaStandInOptions) {}

  /** The next invoke fails as Lambda would (429 TooManyRequestsException, say), or hangs. */
  fail(fault: { status: number; type: string } | "hang"): void {
    this.faults.push(fault);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await Promise.all(this.running.values());
  }

  private invoke(
    method: string,
    url: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ): [number, string | undefined, string] {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations(\?.*)?$/.exec(url);
    if (method !== "POST" || !match)
      return [404, "UnknownOperationException", `no operation at ${method} ${url}`];
    if (!String(headers.authorization ?? "").startsWith("AWS4-HMAC-SHA256 "))
      return [403, "MissingAuthenticationTokenException", "Missing Authentication Token"];
    const name = decodeURIComponent(match[1] as string).replace(/^arn:.*:function:/, "");
    const fn = this.options.functions[name];
    if (!fn) return [404, "ResourceNotFoundException", `Function not found: ${name}`];
    const type = String(headers["x-amz-invocation-type"] ?? "RequestResponse");
    if (type !== "Event")
      return [400, "InvalidParameterValueException", `bm invokes only with Event, not ${type}`];
    if (body.length > ASYNC_PAYLOAD_LIMIT)
      return [413, "RequestTooLargeException", "Request must be smaller than 262144 bytes"];
    const header = headers["x-amzn-trace-id"];
    const trace = Array.isArray(header) ? header[0] : header;
    this.events.push({ functionName: name, payload: body.toString("utf8"), at: Date.now(), trace });
    if (this.options.run) {
      const run = fn(trace)
        .catch(() => undefined)
        .finally(() => this.running.delete(run));
      this.running.add(run);
    }
    return [202, undefined, ""];
  }
}
