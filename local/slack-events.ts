/**
 * Events API delivery as Slack makes it: a signed JSON request to the request URL and, when the
 * answer is not a 2xx within 3 s, the same event again with `X-Slack-Retry-Num` and
 * `X-Slack-Retry-Reason`, up to 3 times: at once, after a minute, after 5 minutes. A request
 * that times out is not waited for: Slack sends the retry while the first may still be at work.
 */
import { eventHeaders } from "./slack-request";

/** Slack's wait for an answer, and its retries' delays (Events API, "Error handling"). */
export const EVENT_TIMEOUT_MS = 3000;
export const EVENT_RETRY_DELAYS_MS: readonly number[] = [0, 60_000, 5 * 60_000];

/** One request of a delivery: its retry number (0: the first), status, and time to answer. */
export interface EventAttempt {
  retryNum: number;
  /** The status, or undefined when no answer came within the timeout. */
  status: number | undefined;
  ms: number;
  reason?: "http_timeout" | "http_error" | "connection_failed";
}

/** Sends one request; resolves to its status (rejects when it could not be sent). */
export type EventSend = (headers: Record<string, string>, body: string) => Promise<number>;

/**
 * Delivers one event as Slack does and returns each attempt; `timeoutMs` and `delaysMs` default
 * to Slack's (tests shorten the delays, never the rule).
 */
export async function deliverEvent(
  send: EventSend,
  signingSecret: string,
  body: string,
  options: { timeoutMs?: number; delaysMs?: readonly number[] } = {},
): Promise<EventAttempt[]> {
  const timeoutMs = options.timeoutMs ?? EVENT_TIMEOUT_MS;
  const delays = options.delaysMs ?? EVENT_RETRY_DELAYS_MS;
  const attempts: EventAttempt[] = [];
  let reason: EventAttempt["reason"];
  for (let retryNum = 0; retryNum <= delays.length; retryNum++) {
    if (retryNum > 0) await sleep(delays[retryNum - 1] ?? 0);
    const headers = eventHeaders(
      signingSecret,
      body,
      retryNum > 0 && reason ? { num: retryNum, reason } : undefined,
    );
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      send(headers, body).then(
        (status) => ({ status }),
        () => ({ status: undefined, failed: true }),
      ),
      new Promise<{ status: undefined }>((resolve) => {
        timer = setTimeout(() => resolve({ status: undefined }), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    const ms = Date.now() - started;
    const ok = outcome.status !== undefined && outcome.status >= 200 && outcome.status < 300;
    reason = ok
      ? undefined
      : "failed" in outcome
        ? "connection_failed"
        : outcome.status === undefined
          ? "http_timeout"
          : "http_error";
    attempts.push({ retryNum, status: outcome.status, ms, ...(reason ? { reason } : {}) });
    if (ok) break;
  }
  return attempts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
