/**
 * The front door as API Gateway would call it, on a loopback HTTP server: Slack's requests go to
 * the real handler; the playground page and the local views (`/_local/…`, what `npm run slash`
 * watches) are served beside it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import type { OperationStore } from "../../lib/operations/ports";
import { httpApiEvent, lambdaContext } from "../lambda-events";
import { MISDIRECTED, ownHost } from "../playground/guard";
import type { SlackStandIn } from "../stand-ins/slack";
import type { Closers } from "./closers";

export type SlackFn = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** The HTTP API's one route to the front door function (serverless.yml's `httpApi` event). */
const ROUTE = "POST /slack/events";

/** True for a request API Gateway routes to the function: its method and path, any query. */
function isRoute(method: string | undefined, url: string | undefined): boolean {
  return `${method} ${new URL(url ?? "/", "http://localhost").pathname}` === ROUTE;
}

/** The front door's answer to a form posted as Slack posts it (the playground's requests). */
export function frontDoorCaller(slackHandler: SlackFn) {
  return async (body: string, headers: Record<string, string>) => {
    const result = (await slackHandler(
      httpApiEvent("POST", "/slack/events", headers, body),
      lambdaContext("bm-slack", 6000),
    )) as { statusCode?: number; body?: string };
    return { status: result.statusCode ?? 200, body: result.body ?? "" };
  };
}

/**
 * The functions' variables that say where things are, as `npm run doctor` reads them from a
 * running local stack: never credentials (the doctor brings its own, as any AWS client).
 */
const WHERE = /^(BM_[A-Z0-9_]+|SLACK_API_URL|AWS_REGION|AWS_ENDPOINT_URL_[A-Z_]+)$/;

/**
 * What `npm run slash` watches: an operation, and a channel of the Slack stand-in; and what
 * `npm run doctor` checks: the functions' environment.
 */
function localViews(
  store: OperationStore,
  slack: SlackStandIn | undefined,
  env: Record<string, string>,
) {
  return async (url: string): Promise<unknown> => {
    const { pathname, searchParams } = new URL(url, "http://localhost");
    if (pathname === "/_local/env")
      return Object.fromEntries(Object.entries(env).filter(([name]) => WHERE.test(name)));
    const op = /^\/_local\/operations\/(op-[a-z0-9]+)$/.exec(pathname);
    if (op) return store.get(op[1] as string);
    if (pathname === "/_local/history") return slack?.history(searchParams.get("channel") ?? "");
    if (pathname === "/_local/response-url") {
      // A click's names the private message clicked, which its answer may replace.
      const clicked = searchParams.get("ephemeral");
      return slack?.newResponseUrl(
        searchParams.get("channel") ?? "",
        searchParams.get("user") ?? "",
        Date.now(),
        clicked ? { ephemeralTs: clicked } : undefined,
      );
    }
    if (pathname === "/_local/ephemerals")
      return slack?.ephemerals.filter((e) => e.user === searchParams.get("user") && !e.deleted);
    return undefined;
  };
}

/** Starts the front door's HTTP server on `port` (0 for a free one); returns its Slack URL. */
export async function startFrontDoor(
  closers: Closers,
  options: {
    port?: number | undefined;
    slackHandler: SlackFn;
    store: OperationStore;
    slack: SlackStandIn | undefined;
    /** The functions' environment (`/_local/env`, for `npm run doctor`). */
    env: Record<string, string>;
    page: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined;
    log: (line: string) => void;
  },
): Promise<string> {
  const { slackHandler, log, page } = options;
  const localView = localViews(options.store, options.slack, options.env);
  const frontDoor = createServer(async (req, res) => {
    // Only requests addressed to this server itself: a page of a name rebound to 127.0.0.1
    // (DNS rebinding) gets nothing of the playground or the local views (playground/guard.ts).
    if (!ownHost(req.headers.host, req.socket.localPort)) {
      req.resume();
      res.writeHead(MISDIRECTED.status, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${MISDIRECTED.text}\n`);
      return;
    }
    // A broken playground request gets a 500 and a log line; it never stops the local stack.
    const handled = await page?.(req, res).catch((error: unknown) => {
      log(`playground: ${req.method} ${req.url} failed (${(error as Error).name})`);
      if (!res.headersSent) res.writeHead(500).end();
      return true;
    });
    if (handled) return;
    if (req.method === "GET" && req.url?.startsWith("/_local/")) {
      void localView(req.url).then((view) => {
        res.writeHead(view === undefined ? 404 : 200, { "content-type": "application/json" });
        res.end(JSON.stringify(view ?? null));
      });
      return;
    }
    // As API Gateway: the function is reached by its one route (serverless.yml), and anything
    // else is the HTTP API's own 404, which Bolt never sees (a browser's /favicon.ico would
    // otherwise be an unsigned request, answered 401 with a WARN and an ERROR in the terminal).
    if (!isRoute(req.method, req.url)) {
      req.resume();
      // A browser asks for icons and such; anything else may be a request URL mistyped.
      if (req.method !== "GET" && req.method !== "HEAD")
        log(`front door: ${req.method} ${req.url} -> 404 (the one route is ${ROUTE})`);
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: "Not Found" }));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const event = httpApiEvent(
        req.method ?? "GET",
        req.url ?? "/",
        req.headers,
        Buffer.concat(chunks).toString("utf8"),
      );
      const started = Date.now();
      const result = (await slackHandler(event, lambdaContext("bm-slack", 6000))) as {
        statusCode?: number;
        headers?: Record<string, string>;
        body?: string;
      };
      log(
        `front door: ${req.method} ${req.url} -> ${result.statusCode} in ${Date.now() - started} ms`,
      );
      res.writeHead(result.statusCode ?? 200, result.headers ?? {});
      res.end(result.body ?? "");
    });
  });
  await new Promise<void>((done) => frontDoor.listen(options.port ?? 0, "127.0.0.1", done));
  closers.first(
    () =>
      new Promise((done) => {
        frontDoor.close(done);
        frontDoor.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(frontDoor.address() as AddressInfo).port}/slack/events`;
}
