/**
 * What the playground refuses, and why. The playground signs what it is sent with the Slack
 * signing secret, so whoever can make it send can act as Slack: with `npm start` pointed at a
 * real ECL, detach real media. Any web page open on the developer's machine can send a request
 * to 127.0.0.1 (a "simple" cross-origin POST needs no preflight), and a page of a name its owner
 * rebinds to 127.0.0.1 can even read the answers. So the playground answers only its own page:
 * addressed to itself (`Host`), from itself (`Origin`), holding the token put into that page, in
 * JSON (which no simple request can be).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** The header that carries the page's token on every `/_playground/*` call. */
export const TOKEN_HEADER = "x-playground-token";

/** A new token, for one run of the playground: 32 random bytes, base64url. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * True when a request's `Host` is this server itself at the port the request came in on:
 * `127.0.0.1:<port>` or `localhost:<port>`. Any other name is one that resolves here only
 * because someone made it (DNS rebinding) or a proxy passed it on: never answered.
 */
export function ownHost(host: string | undefined, port: number | undefined): boolean {
  return port !== undefined && (host === `127.0.0.1:${port}` || host === `localhost:${port}`);
}

export interface Refusal {
  status: 403 | 415 | 421;
  /** What the answer says, one line. */
  text: string;
}

/** Misdirected: a request for a name this server is not (RFC 9110, 15.5.20). */
export const MISDIRECTED: Refusal = { status: 421, text: "misdirected request" };

/** Equal in constant time, whatever the lengths (a digest of each is compared). */
function sameToken(given: string, token: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** True for `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJson(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === "application/json";
}

/**
 * Why a request to the playground is refused, or undefined when it is the page's own: the
 * `Host` must be the server's (421), an `Origin`, when sent, exactly the page's own origin
 * (403: browsers send one on every cross-origin request and on same-origin POSTs), a call of
 * `/_playground/*` must carry the token (403), and a POST must be JSON (415).
 */
export function refusal(
  request: { method: string; path: string; headers: IncomingHttpHeaders; port: number | undefined },
  token: string,
): Refusal | undefined {
  const { headers } = request;
  if (!ownHost(headers.host, request.port)) return MISDIRECTED;
  if (headers.origin !== undefined && headers.origin !== `http://${headers.host}`)
    return { status: 403, text: "another origin may not use the playground" };
  if (request.path.startsWith("/_playground/")) {
    const given = headers[TOKEN_HEADER];
    if (typeof given !== "string" || !sameToken(given, token))
      return { status: 403, text: "no playground token, or not this run's: reload the page" };
  }
  if (request.method === "POST" && !isJson(headers["content-type"]))
    return { status: 415, text: "the playground takes JSON only" };
  return undefined;
}
