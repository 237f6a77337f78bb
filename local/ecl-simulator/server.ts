/**
 * The ECL simulator: a real HTTP server on loopback that answers as ECL's Keystone and
 * bare-metal server APIs do (ecl-api.md and the seed), with injectable faults and latency.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type PageLatency, type Reply, routeOf, simulatedApi } from "./api";
import { EclModel, type ModelOptions, type Route } from "./model";
import { errorBody } from "./responses";

/** A request as the simulator received it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  route: Route;
  /** Which connection it came on: 1 for the first connection, and so on. */
  connection: number;
  /** When it arrived (ms since the epoch). */
  at: number;
  /** The status answered; undefined while unanswered, or when the connection was reset. */
  status?: number;
  /** The request id header sent with the answer. */
  requestId?: string;
}

export interface SimulatorOptions extends ModelOptions {
  /** 0 (the default) for a free port. */
  port?: number;
  /** Delay before every answer. */
  latencyMs?: number;
  /** The most servers one page of a listing holds (Nova's `max_limit`); 1000 unless told. */
  pageSize?: number;
  /** What a page of a listing takes on top of `latencyMs`: per page, and per server on it. */
  pageLatency?: PageLatency;
  /** Called with a line for every request answered, for a human watching. */
  log?: (line: string) => void;
}

export interface EclSimulator {
  /** `http://127.0.0.1:<port>`: both the identity and the bare-metal endpoint. */
  url: string;
  model: EclModel;
  requests: RecordedRequest[];
  /** How many TCP connections it has accepted. */
  connections(): number;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** Starts the simulator on 127.0.0.1. */
export async function startEclSimulator(options: SimulatorOptions = {}): Promise<EclSimulator> {
  const model = new EclModel(options);
  const requests: RecordedRequest[] = [];
  const pageSize = options.pageSize ?? 1000;
  let latencyMs = options.latencyMs ?? 0;
  let connections = 0;
  let base = "";
  const answer = simulatedApi(model, () => base, pageSize, options.pageLatency);

  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", base);
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const { route, tenantId, serverId, imageId, detail } = routeOf(parts);
    const connection = (req.socket as { simId?: number }).simId ?? 0;
    const method = req.method ?? "GET";
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      route,
      connection,
      at: Date.now(),
    };
    requests.push(record);
    const send = (reply: Reply) => {
      record.status = reply.status;
      record.requestId = `req-${randomUUID()}`;
      options.log?.(`${method} ${url.pathname}${url.search} -> ${reply.status}`);
      // Every answer carries a request id, as Nova's and Keystone's do.
      const idHeader = route === "token" ? "x-openstack-request-id" : "x-compute-request-id";
      const headers: Record<string, string> = { [idHeader]: record.requestId, ...reply.headers };
      if (reply.body !== undefined) headers["content-type"] ??= "application/json";
      res.writeHead(reply.status, headers);
      res.end(reply.body);
    };

    const fault = model.takeFault({ route, method, serverId });
    if (fault?.hang) return; // the connection stays open, unanswered, until closed
    if (fault?.reset) return req.socket.resetAndDestroy();
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    if (fault?.status)
      return send({
        status: fault.status,
        body: fault.body ?? errorBody(fault.status),
        ...(fault.headers ? { headers: fault.headers } : {}),
      });

    let reply: Reply;
    try {
      reply = answer({
        route,
        tenantId,
        serverId,
        imageId,
        detail,
        method,
        headers: req.headers,
        url,
        body,
      });
    } catch {
      reply = { status: 500, body: errorBody(500) };
    }
    if (fault?.hangAfterApply) return;
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    // A slow ECL has acted already; only its answer is late.
    const slow = route === "action" ? model.unkind.slowActionMs : undefined;
    if (slow) await new Promise((r) => setTimeout(r, slow));
    send(reply);
  });
  server.on("connection", (socket) => {
    (socket as { simId?: number }).simId = ++connections;
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", resolve);
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    model,
    requests,
    connections: () => connections,
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
