/**
 * Errors of the ECL API, and the seed's meaning of each status code.
 *
 * One table holds the meanings, so the CLI, the worker's Slack messages and the simulator agree.
 */

import { BmError } from "../errors";

/** What the seed ("Media Detach from Server") says each status means. */
export const STATUS_MEANING: Readonly<Record<number, string>> = {
  400: "invalid parameter",
  401: "unauthorized",
  403: "tenant not available",
  404: "not found",
  405: "bad URL or method",
  409: "task_state not None",
  415: "bad media type",
  500: "compute fault",
};

/** HTTP's own meaning of the statuses a gateway or a rate limit answers, which the seed omits. */
const HTTP_MEANING: Readonly<Record<number, string>> = {
  429: "too many requests",
  502: "bad gateway",
  503: "service unavailable",
  504: "gateway timeout",
};

/** The seed's meaning of a status, HTTP's for the few above, or a generic phrase. */
export function statusMeaning(status: number): string {
  return (
    STATUS_MEANING[status] ??
    HTTP_MEANING[status] ??
    (status >= 500 ? "server error" : "unexpected status")
  );
}

/** The longest API message we carry; ECL messages are short, anything longer is noise. */
const MAX_API_MESSAGE = 300;

/** The fault name and message of an OpenStack-style error body, when it has them. */
export interface ApiFault {
  code?: string;
  message?: string;
}

/**
 * Reads an error body without ever failing: `{"itemNotFound":{"code":404,"message":"…"}}`
 * (one top-level key), a flat `{"message":"…"}`, or anything else (empty, HTML, plain text),
 * which yields no fault.
 */
export function parseErrorBody(body: string): ApiFault {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON (empty, HTML, plain text): no fault.
  }
  if (!isRecord(parsed)) return {};
  if (typeof parsed.message === "string") return { message: clip(parsed.message) };
  const keys = Object.keys(parsed);
  if (keys.length !== 1) return {};
  const key = keys[0] as string;
  const inner = parsed[key];
  if (!isRecord(inner)) return {};
  const fault: ApiFault = { code: key };
  if (typeof inner.message === "string") fault.message = clip(inner.message);
  return fault;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_API_MESSAGE ? `${flat.slice(0, MAX_API_MESSAGE)}…` : flat;
}

/** Details of an ECL answer with an error status. */
export interface EclApiErrorDetails {
  /** Which API answered: the bare-metal server API, or Keystone for tokens. */
  service: "baremetal" | "keystone";
  status: number;
  method: string;
  /** The request path, which holds ids but never a token. */
  path: string;
  code?: string | undefined;
  apiMessage?: string | undefined;
  requestId?: string | undefined;
  /** A 429's or a 503's `Retry-After`, in seconds, when it has a readable one. */
  retryAfterS?: number | undefined;
}

/** ECL answered with an error status. */
export class EclApiError extends BmError {
  override readonly name = "EclApiError";
  /** A 5xx or a 429 may pass; any other status is ECL's final answer. */
  readonly passing: boolean;
  readonly forUsers = true;
  readonly service: "baremetal" | "keystone";
  readonly status: number;
  readonly meaning: string;
  readonly method: string;
  readonly path: string;
  /** The API's own fault name, such as `itemNotFound`, when the body has one. */
  readonly code: string | undefined;
  /** The API's own message, when the body has one. */
  readonly apiMessage: string | undefined;
  /** `x-compute-request-id` or `x-openstack-request-id`: what NTT support asks for. */
  readonly requestId: string | undefined;
  /** How long ECL asked to be left alone (`Retry-After`), in seconds. */
  readonly retryAfterS: number | undefined;

  constructor(details: EclApiErrorDetails) {
    const meaning = statusMeaning(details.status);
    const said = details.apiMessage ? `: ${details.apiMessage}` : "";
    const id = details.requestId ? ` (request id ${details.requestId})` : "";
    const who = details.service === "keystone" ? "ECL Keystone" : "ECL";
    super(`${who} answered ${details.status} (${meaning})${said}${id}`);
    this.service = details.service;
    this.status = details.status;
    this.meaning = meaning;
    this.method = details.method;
    this.path = details.path;
    this.code = details.code;
    this.apiMessage = details.apiMessage;
    this.requestId = details.requestId;
    this.retryAfterS = details.retryAfterS;
    this.passing = details.status >= 500 || details.status === 429;
  }

  override told(): string {
    if (this.service === "keystone" && this.status === 401)
      return `${this.message}: Keystone refused the API key and secret of this tenant`;
    return this.message;
  }
}

/** What went wrong below HTTP: nothing was answered. */
export type NetworkFailure = "timeout" | "connection";

/**
 * Whether ECL's error answer to a server action says it took nothing: a 409 (the server is busy,
 * the seed), a 429 (too many requests) or a 503 (unavailable): refusals made before acting, so the
 * action may be sent again. A 500 (the seed's "compute fault") and any other status are final;
 * a 502 or a 504 comes from a gateway that may have passed the request on, so it is no answer at
 * all (the caller reads the server to decide).
 */
export function refusedUntried(error: EclApiError): boolean {
  return error.status === 409 || error.status === 429 || error.status === 503;
}

/** A gateway's 502 or 504: the request may have reached ECL; its outcome is unknown. */
export function gatewayFailed(error: EclApiError): boolean {
  return error.status === 502 || error.status === 504;
}

/** HTTP's date format, IMF-fixdate (RFC 9110 §5.6.7): `Wed, 02 Dec 2026 10:00:10 GMT`. */
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * Seconds in a `Retry-After` header (delta-seconds or an HTTP date, RFC 9110 §10.2.3); undefined
 * when it is anything else.
 */
export function retryAfterSeconds(header: string | undefined, now: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  if (!HTTP_DATE.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** ECL could not be reached, or did not answer in time. */
export class EclNetworkError extends BmError {
  override readonly name = "EclNetworkError";
  readonly passing = true;
  readonly forUsers = true;
  readonly kind: NetworkFailure;
  readonly method: string;
  readonly origin: string;

  constructor(kind: NetworkFailure, method: string, origin: string, options?: { cause?: unknown }) {
    const what = kind === "timeout" ? "did not answer in time" : "could not be reached";
    super(`ECL at ${origin} ${what}`, options);
    this.kind = kind;
    this.method = method;
    this.origin = origin;
  }
}

/**
 * bm will not connect to an endpoint: not https, an IP address, or a name that resolves to a
 * private, loopback or link-local address (BM_ECL_ENDPOINT_ALLOW lists exceptions). Final: the
 * tenant secret, or Keystone's catalog, must change.
 */
export class EndpointRefusedError extends BmError {
  override readonly name = "EndpointRefusedError";
  readonly passing = false;
  readonly forUsers = true;

  constructor(
    /** The endpoint's scheme, host and port: never a path, user name or password. */
    readonly origin: string,
    /** Why, as the end of a sentence: "is a private address". */
    readonly problem: string,
    /** Where bm found the endpoint: the tenant secret, or the token's catalog. */
    readonly source: "secret" | "catalog" = "secret",
    options?: { cause?: unknown },
  ) {
    const which =
      source === "catalog"
        ? `the ECL endpoint ${origin} that Keystone's catalog names`
        : `the tenant's ECL endpoint ${origin}`;
    const fix =
      source === "catalog"
        ? "Ask an admin to set api_endpoint in the tenant secret"
        : "Ask an admin to fix the tenant secret";
    super(
      `${which} ${problem}; bm only connects to ECL's public endpoints, by name and over https. ${fix}.`,
      options,
    );
  }

  /** The same refusal, said of an endpoint that Keystone's catalog named. */
  fromCatalog(): EndpointRefusedError {
    return new EndpointRefusedError(this.origin, this.problem, "catalog", { cause: this });
  }
}

/** ECL answered with a success status but a body bm cannot read. */
export class EclProtocolError extends BmError {
  override readonly name = "EclProtocolError";
  // ECL answering what bm cannot read is taken to be passing: the next answer may be whole.
  readonly passing = true;
  readonly forUsers = true;
}

/** What ECL said when it refused, for the record and the thread. */
export interface EclFailure {
  status?: number;
  meaning?: string;
  apiMessage?: string;
  requestId?: string;
}

/** The facts of an ECL refusal, for the record and the thread; undefined for anything else. */
export function eclFailure(error: unknown): EclFailure | undefined {
  if (!(error instanceof EclApiError)) return undefined;
  const failure: EclFailure = { status: error.status, meaning: error.meaning };
  if (error.apiMessage) failure.apiMessage = error.apiMessage;
  if (error.requestId) failure.requestId = error.requestId;
  return failure;
}
