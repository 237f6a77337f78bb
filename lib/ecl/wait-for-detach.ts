/**
 * Polls one server until a detach has finished: task_state idle and the image gone.
 */
import type { EclApi } from "./client";
import { EclApiError, EclNetworkError } from "./errors";
import { isDetached, type Server } from "./server";

export interface WaitOptions {
  intervalMs: number;
  timeoutMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every reading, and of every failed reading. */
  onPoll?: (poll: { elapsedMs: number } & ({ server: Server } | { error: unknown })) => void;
}

export type WaitResult =
  | { outcome: "detached"; server: Server; elapsedMs: number }
  | { outcome: "timed_out"; server: Server | undefined; elapsedMs: number };

/** Failed readings in a row after which waiting stops: ECL is then down, not blinking. */
const MAX_FAILED_POLLS = 5;

/**
 * Waits for the detach of `imageId` from `serverId` to finish. A reading that fails for a
 * passing reason (network, 5xx; each already retried by the client) is skipped.
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
  for (;;) {
    try {
      last = await ecl.showServer(serverId);
      failures = 0;
      options.onPoll?.({ elapsedMs: now() - started, server: last });
      if (isDetached(last, imageId)) {
        return { outcome: "detached", server: last, elapsedMs: now() - started };
      }
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
