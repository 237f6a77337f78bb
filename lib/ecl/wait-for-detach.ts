/**
 * Polls one server until a detach has finished: task_state idle and the image gone.
 */
import type { EclApi } from "./client";
import { EclApiError, EclNetworkError } from "./errors";
import { attachment, isDetached, isIdle, type Server } from "./server";

export interface WaitOptions {
  intervalMs: number;
  timeoutMs: number;
  /**
   * When ECL does not list the server's media: how long after the start an idle server counts as
   * finished, unless it has been seen busy since (then idle again is enough).
   */
  graceMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every reading, and of every failed reading. */
  onPoll?: (poll: { elapsedMs: number } & ({ server: Server } | { error: unknown })) => void;
}

export type WaitResult =
  | { outcome: "detached"; server: Server; elapsedMs: number }
  /** Idle again, judged by task_state alone: ECL did not list the server's media. */
  | { outcome: "idle_unlisted"; server: Server; elapsedMs: number }
  | { outcome: "timed_out"; server: Server | undefined; elapsedMs: number };

/** Failed readings in a row after which waiting stops: ECL is then down, not blinking. */
const MAX_FAILED_POLLS = 5;

/**
 * Waits for the detach of `imageId` from `serverId` to finish: idle, with the image gone. When
 * ECL does not list the server's media, task_state is all there is: idle after having been seen
 * busy, or idle once `graceMs` has passed. A reading that fails for a passing reason (network,
 * 5xx; each already retried by the client) is skipped.
 * @throws the error of a reading that cannot get better by waiting (401, 403, 404), or of the
 * fifth failed reading in a row.
 */
export async function waitForDetach(
  ecl: EclApi,
  serverId: string,
  imageId: string,
  options: WaitOptions,
): Promise<WaitResult> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  let last: Server | undefined;
  let failures = 0;
  let seenBusy = false;
  for (;;) {
    try {
      last = await ecl.showServer(serverId);
      failures = 0;
      options.onPoll?.({ elapsedMs: now() - started, server: last });
      const elapsedMs = now() - started;
      if (isDetached(last, imageId)) return { outcome: "detached", server: last, elapsedMs };
      const idle = isIdle(last.taskState);
      if (
        attachment(last, imageId) === "unknown" &&
        idle &&
        (seenBusy || elapsedMs >= options.graceMs)
      ) {
        return { outcome: "idle_unlisted", server: last, elapsedMs };
      }
      if (!idle) seenBusy = true;
    } catch (error) {
      if (!isPassing(error) || ++failures >= MAX_FAILED_POLLS) throw error;
      options.onPoll?.({ elapsedMs: now() - started, error });
    }
    if (now() - started + options.intervalMs > options.timeoutMs) {
      return { outcome: "timed_out", server: last, elapsedMs: now() - started };
    }
    await sleep(options.intervalMs);
  }
}

function isPassing(error: unknown): boolean {
  return (
    error instanceof EclNetworkError ||
    (error instanceof EclApiError && (error.status >= 500 || error.status === 429))
  );
}
