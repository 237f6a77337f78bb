/**
 * Retries with exponential backoff and jitter, for idempotent calls only.
 */

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Retries after the first attempt: 2 means at most 3 attempts. */
  retries: number;
  /** The first backoff's upper bound; each retry doubles it. */
  baseDelayMs: number;
}

/** The outcome of one attempt, as the retry predicate sees it. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Waiting and randomness, passed in so that unit tests need no real time. */
export interface RetryDeps {
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export const realRetryDeps: RetryDeps = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * The delay before retry number `retry` (1-based): "equal jitter", half fixed and half random,
 * so that retries of many callers spread out but never come back immediately.
 */
export function backoffDelay(retry: number, baseDelayMs: number, random: () => number): number {
  const ceiling = baseDelayMs * 2 ** (retry - 1);
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * Runs `attempt` until it gives an outcome that `shouldRetry` rejects, or the retries run out.
 * Returns the last value, or throws the last error.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  shouldRetry: (outcome: Outcome<T>) => boolean,
  deps: RetryDeps = realRetryDeps,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    let outcome: Outcome<T>;
    try {
      outcome = { ok: true, value: await attempt() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    if (retry >= policy.retries || !shouldRetry(outcome)) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    await deps.sleep(backoffDelay(retry + 1, policy.baseDelayMs, deps.random));
  }
}
