import { afterEach, describe, expect, it, vi } from "vitest";
import { backoffDelay, realRetryDeps, withRetries } from "../../../lib/util/retry";

describe("backoffDelay", () => {
  it.each([
    [1, 0, 50],
    [1, 1, 100],
    [2, 0, 100],
    [2, 1, 200],
    [3, 0.5, 300],
  ])("retry %i with random %d waits %d ms", (retry, random, ms) => {
    expect(backoffDelay(retry, 100, () => random)).toBe(ms);
  });
});

describe("withRetries", () => {
  const noWait = () => {
    const waits: number[] = [];
    return { waits, deps: { sleep: async (ms: number) => void waits.push(ms), random: () => 0.5 } };
  };

  it("retries at most `retries` times, then throws the last error", async () => {
    const { waits, deps } = noWait();
    let attempts = 0;
    const run = withRetries(
      async () => {
        attempts++;
        throw new Error(`failure ${attempts}`);
      },
      { retries: 2, baseDelayMs: 100 },
      () => true,
      deps,
    );
    await expect(run).rejects.toThrow("failure 3");
    expect(attempts).toBe(3);
    expect(waits).toEqual([75, 150]);
  });

  it("returns the first outcome the predicate accepts", async () => {
    const { deps } = noWait();
    const answers = [500, 503, 200];
    const status = await withRetries(
      async () => answers.shift() as number,
      { retries: 5, baseDelayMs: 1 },
      (o) => o.ok && o.value >= 500,
      deps,
    );
    expect(status).toBe(200);
    expect(answers).toEqual([]);
  });

  it("returns a retryable value when retries run out", async () => {
    const { deps } = noWait();
    const status = await withRetries(
      async () => 500,
      { retries: 2, baseDelayMs: 1 },
      () => true,
      deps,
    );
    expect(status).toBe(500);
  });

  it("does not retry an outcome the predicate refuses", async () => {
    const { waits, deps } = noWait();
    let attempts = 0;
    await expect(
      withRetries(
        async () => {
          attempts++;
          throw new TypeError("bug");
        },
        { retries: 2, baseDelayMs: 1 },
        (o) => !o.ok && !(o.error instanceof TypeError),
        deps,
      ),
    ).rejects.toThrow("bug");
    expect(attempts).toBe(1);
    expect(waits).toEqual([]);
  });
});

describe("realRetryDeps", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sleeps the time asked, on a timer", async () => {
    // Prepare
    vi.useFakeTimers();
    let woke = false;
    // Act
    const sleeping = realRetryDeps.sleep(1000).then(() => {
      woke = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    const early = woke;
    await vi.advanceTimersByTimeAsync(1);
    await sleeping;
    // Assess
    expect([early, woke]).toEqual([false, true]);
  });

  it("draws its jitter from Math.random", () => {
    expect(realRetryDeps.random).toBe(Math.random);
  });
});
