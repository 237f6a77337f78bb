/**
 * HTTP to ECL and Keystone: one keep-alive pool per origin, timeouts on every phase, transport
 * failures turned into {@link EclNetworkError}, and only endpoints bm may connect to
 * (`lib/net/endpoint-rule.ts`): any other is refused before a pool is made, and a name that
 * resolves to a private address fails in the socket's own lookup.
 */
import { type Dispatcher, Pool } from "undici";
import { endpointProblem, type HostPatterns, NO_HOSTS } from "../net/endpoint-rule";
import { AddressRefusedError, guardedLookup } from "../net/guarded-lookup";
import { EclNetworkError, EndpointRefusedError } from "./errors";

/** Timeouts of one request, in milliseconds. */
export interface Timeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}

/** A few seconds each: ECL answers reads in well under a second when healthy. */
export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 3000, headersMs: 5000, bodyMs: 5000 };

export interface HttpRequest {
  method: "GET" | "POST";
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** This request's own wait for the answer's headers and body, in place of the pool's. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
}

/** Sends one request and reads the whole answer. The port that the ECL client depends on. */
export type Send = (request: HttpRequest) => Promise<HttpResponse>;

/** undici's codes for a phase that ran out of time. */
const TIMEOUT_CODES = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);
/** Codes that mean the connection failed or was cut: nothing usable came back. */
const CONNECTION_CODES = new Set([
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
]);

/** Makes the dispatcher of one origin: an undici Pool, unless a test gives its own. */
export type DispatcherFactory = (origin: string, options: Pool.Options) => Dispatcher;

export interface HttpPoolsOptions {
  /** Hosts bm may reach over http, by IP address or by a private name (BM_ECL_ENDPOINT_ALLOW). */
  allow?: HostPatterns;
  dispatcherFor?: DispatcherFactory;
}

/**
 * One undici pool per origin, reused across calls and tenants for the life of a container, so
 * that sequential calls to one endpoint reuse one warm TLS connection.
 */
export class HttpPools {
  private readonly pools = new Map<string, Dispatcher>();
  private readonly timeouts: Timeouts;
  private readonly allow: HostPatterns;
  private readonly dispatcherFor: DispatcherFactory;

  constructor(timeouts: Partial<Timeouts> = {}, options: HttpPoolsOptions = {}) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...timeouts };
    this.allow = options.allow ?? NO_HOSTS;
    this.dispatcherFor = options.dispatcherFor ?? ((origin, o) => new Pool(origin, o));
  }

  /**
   * Sends a request.
   * @throws EndpointRefusedError for an endpoint bm does not connect to (nothing is sent),
   * EclNetworkError when no complete answer arrives.
   */
  readonly send: Send = async (request) => {
    const origin = request.url.origin;
    const problem = endpointProblem(request.url, this.allow);
    if (problem) throw new EndpointRefusedError(origin, problem);
    try {
      const response = await this.pool(origin).request({
        method: request.method,
        path: `${request.url.pathname}${request.url.search}`,
        headers: request.headers,
        body: request.body ?? null,
        headersTimeout: request.timeoutMs ?? this.timeouts.headersMs,
        bodyTimeout: request.timeoutMs ?? this.timeouts.bodyMs,
      });
      // The body is always read to the end, so the connection goes back to the pool.
      const body = await response.body.text();
      // undici frees the connection (its "drain") just after the body ends; yielding once lets
      // that happen, so the next sequential call reuses it instead of opening another.
      await new Promise((resolve) => setImmediate(resolve));
      return { status: response.statusCode, headers: flatten(response.headers), body };
    } catch (error) {
      throw toNetworkError(error, request.method, origin);
    }
  };

  /** Closes every pool; pending requests finish first. */
  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }

  private pool(origin: string): Dispatcher {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = this.dispatcherFor(origin, {
        connections: 8,
        connect: { timeout: this.timeouts.connectMs, lookup: guardedLookup(this.allow) },
        headersTimeout: this.timeouts.headersMs,
        bodyTimeout: this.timeouts.bodyMs,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}

function flatten(headers: Record<string, string | string[] | undefined>): HttpResponse["headers"] {
  const flat: HttpResponse["headers"] = {};
  for (const [key, value] of Object.entries(headers)) {
    flat[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/** Maps undici's and Node's transport errors; anything else is a bug and is thrown as it is. */
function toNetworkError(error: unknown, method: string, origin: string): unknown {
  const refused = refusedAddress(error);
  if (refused) return new EndpointRefusedError(origin, refused.problem, "secret", { cause: error });
  const code = errorCode(error);
  if (code && TIMEOUT_CODES.has(code)) {
    return new EclNetworkError("timeout", method, origin, { cause: error });
  }
  if (code && CONNECTION_CODES.has(code)) {
    return new EclNetworkError("connection", method, origin, { cause: error });
  }
  return error;
}

/** The refusal of the socket's lookup, when that is what failed the request. */
function refusedAddress(error: unknown): AddressRefusedError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    if (e instanceof AddressRefusedError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
