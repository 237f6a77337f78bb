/**
 * Each call waits its turn when the wait fits, fails at once as rate-limited when it does not,
 * and keeps every Retry-After, here and in the pace store; the store never holds a call up.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { isPassing } from "../../../lib/errors";
import { Pacer } from "../../../lib/slack/pace";
import { type PaceStore, pacedCall, STORE_WAIT_MS } from "../../../lib/slack/paced-call";
import { SlackApiError } from "../../../lib/slack/slack-error";

const T0 = 1_800_000_000_000;
const POST = "chat.postMessage";

/** A clock that moves only when slept on (or told), and what was slept. */
function fakeTime() {
  const time = { now: T0, slept: [] as number[] };
  const sleep = async (ms: number) => {
    time.slept.push(ms);
    time.now += ms;
  };
  return { time, now: () => time.now, sleep };
}

/** A store in memory, with its reads and writes, that fails or hangs when told. */
function fakeStore(
  until: Record<string, number> = {},
  tat: Record<string, number> = {},
  tier: Record<string, number> = {},
) {
  const seen = {
    reads: [] as Array<[string, string | undefined]>,
    blocks: [] as Array<[string, number]>,
    posts: [] as Array<[string, number]>,
    tiers: [] as Array<[string, number]>,
  };
  const mode = { read: "ok" as "ok" | "fail" | "hang", write: "ok" as "ok" | "fail" | "hang" };
  const act = <T>(how: string, value: () => T): Promise<T> =>
    how === "fail"
      ? Promise.reject(Object.assign(new Error("down"), { name: "TimeoutError" }))
      : how === "hang"
        ? new Promise<T>(() => {})
        : Promise.resolve(value());
  const store: PaceStore = {
    read: (method, channel) => {
      seen.reads.push([method, channel]);
      return act(mode.read, () => ({
        ...(until[method] !== undefined ? { until: until[method] } : {}),
        ...(tier[method] !== undefined ? { tier: tier[method] } : {}),
        ...(channel && tat[channel] !== undefined ? { tat: tat[channel] } : {}),
      }));
    },
    block: (method, at) => {
      seen.blocks.push([method, at]);
      return act(mode.write, () => {
        until[method] = at;
      });
    },
    called: (method, at) => {
      seen.tiers.push([method, at]);
      return act(mode.write, () => undefined);
    },
    posted: (channel, at) => {
      seen.posts.push([channel, at]);
      return act(mode.write, () => {
        tat[channel] = at;
      });
    },
  };
  return { store, seen, mode };
}

const rateLimited = (s: number) => new SlackApiError(POST, "ratelimited", "passing", s);

afterEach(() => {
  vi.useRealTimers();
});

/** Runs `work`; a store that hangs is given up on after exactly STORE_WAIT_MS (or `waitMs`). */
async function withTimers<T>(how: string, work: () => Promise<T>, waitMs = STORE_WAIT_MS) {
  vi.useFakeTimers();
  const settled = { done: false };
  const running = work().finally(() => {
    settled.done = true;
  });
  running.catch(() => undefined);
  if (how === "hang") {
    await vi.advanceTimersByTimeAsync(waitMs - 1);
    expect(settled.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
  } else await vi.advanceTimersByTimeAsync(0);
  expect(settled.done).toBe(true);
  return running;
}

describe("pacedCall", () => {
  it("lets calls go in their turn: a burst at once, the fourth post after its wait", async () => {
    const { time, now, sleep } = fakeTime();
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 1150 });
    const went: number[] = [];
    for (let i = 0; i < 4; i++) await paced(POST, "C1", async () => went.push(time.now - T0));
    expect(went).toEqual([0, 0, 0, 1150]);
    expect(time.slept).toEqual([1150]);
  });

  it("fails at once, passing, with the seconds to wait, when the wait is longer than allowed", async () => {
    const { time, now, sleep } = fakeTime();
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 1149 });
    for (let i = 0; i < 3; i++) await paced(POST, "C1", async () => i);
    let ran = false;
    const failure = await paced(POST, "C1", async () => {
      ran = true;
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(SlackApiError);
    expect(failure).toMatchObject({
      method: POST,
      code: "ratelimited",
      kind: "passing",
      retryAfterS: 2,
    });
    expect(ran).toBe(false);
    expect(time.slept).toEqual([]);
    // It took no turn: the next that may wait that long goes at 1150.
    const next = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 0 });
    expect(await next(POST, "C1", async () => "went")).toBe("went");
  });

  it("rounds the seconds up, never to 0", async () => {
    const { now, sleep } = fakeTime();
    const pacer = new Pacer();
    pacer.notBefore(POST, T0 + 1);
    const paced = pacedCall({ pacer, now, sleep, maxWaitMs: 0 });
    await expect(paced(POST, "C1", async () => 1)).rejects.toMatchObject({ retryAfterS: 1 });
    pacer.notBefore(POST, T0 + 2001);
    await expect(paced(POST, "C1", async () => 1)).rejects.toMatchObject({ retryAfterS: 3 });
  });

  it("after a 429, holds the method for Slack's Retry-After from the answer, and keeps it", async () => {
    const { time, now, sleep } = fakeTime();
    const pacer = new Pacer();
    const { store, seen } = fakeStore();
    const paced = pacedCall({ pacer, now, sleep, maxWaitMs: 10_000, store });
    const failure = await paced(POST, "C1", async () => {
      time.now += 200;
      throw rateLimited(2);
    }).catch((e: unknown) => e);
    expect(failure).toEqual(rateLimited(2));
    expect(pacer.blockedUntil(POST)).toBe(T0 + 2200);
    expect(seen.blocks).toEqual([[POST, T0 + 2200]]);
    await paced(POST, "C2", async () => 1);
    expect(time.now).toBe(T0 + 2200);
  });

  it("keeps no Retry-After for any other failure, which still counts in the window", async () => {
    const { now, sleep } = fakeTime();
    const pacer = new Pacer();
    const { store, seen } = fakeStore();
    const paced = pacedCall({ pacer, now, sleep, maxWaitMs: 0, store });
    const refusals = [
      new SlackApiError(POST, "not_in_channel", "permanent"),
      new SlackApiError(POST, "ratelimited", "passing"),
      new Error("boom"),
    ];
    for (const refusal of refusals)
      await expect(
        paced(POST, "C1", async () => {
          throw refusal;
        }),
      ).rejects.toBe(refusal);
    expect(pacer.blockedUntil(POST)).toBeUndefined();
    expect(seen.blocks).toEqual([]);
    // Three posts took the channel's burst.
    await expect(paced(POST, "C1", async () => 1)).rejects.toMatchObject({ code: "ratelimited" });
  });

  it("reads the store before each call, and waits for a Retry-After another container kept", async () => {
    const { time, now, sleep } = fakeTime();
    const { store, seen } = fakeStore({ [POST]: T0 + 700 });
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 1000, store });
    await paced(POST, "C1", async () => 1);
    expect(time.now).toBe(T0 + 700);
    await paced(POST, "C2", async () => 1);
    await paced("chat.update", "C1", async () => 1);
    expect(seen.reads).toEqual([
      [POST, "C1"],
      [POST, "C2"],
      ["chat.update", undefined],
    ]);
  });

  it("keeps to another container's posts in the channel, and shares its own", async () => {
    const { time, now, sleep } = fakeTime();
    // Another container posted three in C1 at T0: the bucket's arrival time is T0 + 3000.
    const { store, seen } = fakeStore({}, { C1: T0 + 3000 });
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 5000, store });
    await paced(POST, "C1", async () => 1);
    expect(time.now).toBe(T0 + 1150);
    await paced(POST, "C2", async () => 1);
    await paced("chat.update", "C1", async () => 1);
    expect(seen.posts).toEqual([
      ["C1", T0 + 4000],
      ["C2", T0 + 2150],
    ]);
    // Each call's tier bucket, shared: posts one each 1200 ms, updates one each 1500 ms.
    expect(seen.tiers).toEqual([
      [POST, T0 + 1150 + 1200],
      [POST, T0 + 1150 + 2400],
      ["chat.update", T0 + 1150 + 1500],
    ]);
  });
  it.each(["fail", "hang"] as const)(
    "a store that cannot say (%s) fails the call as rate-limited for a second, then is asked again",
    async (how) => {
      const { time, now, sleep } = fakeTime();
      const { store, seen, mode } = fakeStore();
      mode.read = how;
      const warned: unknown[] = [];
      const paced = pacedCall({
        pacer: new Pacer(),
        now,
        sleep,
        maxWaitMs: 5000,
        store,
        log: { warn: (message, extra) => warned.push([message, extra]) },
      });
      let ran = false;
      await expect(
        withTimers(how, () =>
          paced(POST, "C1", async () => {
            ran = true;
          }),
        ),
      ).rejects.toMatchObject({ code: "ratelimited", kind: "passing", retryAfterS: 1 });
      expect(ran).toBe(false);
      expect(time.slept).toEqual([]);
      expect(warned).toEqual([
        [
          "could not read Slack's pace; the call waits",
          { method: POST, error: how === "hang" ? "PaceStoreTimeout" : "TimeoutError" },
        ],
      ]);
      mode.read = "ok";
      expect(await paced(POST, "C1", async () => "went")).toBe("went");
      expect(seen.reads).toEqual([
        [POST, "C1"],
        [POST, "C1"],
      ]);
    },
  );

  it.each(["fail", "hang"] as const)(
    "a store that cannot keep a Retry-After (%s) holds the failure back no longer than its wait",
    async (how) => {
      const { time, now, sleep } = fakeTime();
      const pacer = new Pacer();
      const { store, mode } = fakeStore();
      const warned: unknown[] = [];
      const paced = pacedCall({
        pacer,
        now,
        sleep,
        maxWaitMs: 0,
        store,
        storeWaitMs: 300,
        log: { warn: (message, extra) => warned.push([message, extra]) },
      });
      await expect(
        withTimers(
          how,
          () =>
            paced("chat.update", "C1", async () => {
              // The store fails from here: the tier bucket was kept before the call.
              mode.write = how;
              throw rateLimited(1);
            }),
          300,
        ),
      ).rejects.toEqual(rateLimited(1));
      expect(pacer.blockedUntil("chat.update")).toBe(T0 + 1000);
      expect(time.slept).toEqual([]);
      expect(warned).toEqual([
        [
          "could not keep Slack's Retry-After for the other containers",
          { method: "chat.update", error: how === "hang" ? "PaceStoreTimeout" : "TimeoutError" },
        ],
      ]);
    },
  );

  it.each(["fail", "hang"] as const)(
    "a store that cannot keep a channel's posts (%s) holds the post no longer than its wait",
    async (how) => {
      const { now, sleep } = fakeTime();
      const { store, mode } = fakeStore();
      mode.write = how;
      const warned: unknown[] = [];
      const paced = pacedCall({
        pacer: new Pacer(),
        now,
        sleep,
        maxWaitMs: 0,
        store,
        log: { warn: (message, extra) => warned.push([message, extra]) },
      });
      expect(await withTimers(how, () => paced(POST, "C1", async () => "went"))).toBe("went");
      expect(warned).toEqual([
        [
          "could not share the channel's pace",
          { method: POST, error: how === "hang" ? "PaceStoreTimeout" : "TimeoutError" },
        ],
      ]);
    },
  );

  it("without a store or a log, a 429 is kept in the pacer alone", async () => {
    const { now, sleep } = fakeTime();
    const pacer = new Pacer();
    const paced = pacedCall({ pacer, now, sleep, maxWaitMs: 0 });
    await expect(
      paced(POST, "C1", async () => {
        throw rateLimited(4);
      }),
    ).rejects.toEqual(rateLimited(4));
    expect(pacer.blockedUntil(POST)).toBe(T0 + 4000);
  });
  it("keeps to another container's calls of the method: the tier bucket it read", async () => {
    const { time, now, sleep } = fakeTime();
    // chat.update's bucket: a burst of 10, then one each 1500 ms. Another container's calls moved
    // it to T0 + 14500: the next may go once it is back to 9 spaces, at T0 + 1000, plus the margin.
    const { store, seen } = fakeStore({}, {}, { "chat.update": T0 + 14_500 });
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 5000, store });
    expect(await paced("chat.update", "C1", async () => "went")).toBe("went");
    expect(time.slept).toEqual([1150]);
    expect(seen.tiers).toEqual([["chat.update", T0 + 16_000]]);
    expect(seen.posts).toEqual([]);
  });

  it("a store that takes too long fails the call with the time-out as its cause", async () => {
    const { now, sleep } = fakeTime();
    const { store, mode } = fakeStore();
    mode.read = "hang";
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 0, store });
    const failure = (await withTimers("hang", () => paced(POST, "C1", async () => 1)).catch(
      (e: unknown) => e,
    )) as SlackApiError;
    expect(failure).toBeInstanceOf(SlackApiError);
    const cause = failure.cause as Error & { passing: boolean; forUsers: boolean };
    expect(cause).toBeInstanceOf(Error);
    expect({
      name: cause.name,
      message: cause.message,
      passing: cause.passing,
      forUsers: cause.forUsers,
    }).toEqual({
      name: "PaceStoreTimeout",
      message: `the pace store took over ${STORE_WAIT_MS} ms`,
      passing: true,
      forUsers: false,
    });
    expect(isPassing(cause)).toBe(true);
  });

  it("a store that fails gives its error as the cause of the call's failure", async () => {
    const { now, sleep } = fakeTime();
    const { store, mode } = fakeStore();
    mode.read = "fail";
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 0, store });
    const failure = (await paced(POST, "C1", async () => 1).catch(
      (e: unknown) => e,
    )) as SlackApiError;
    expect(failure).toMatchObject({ method: POST, code: "ratelimited", retryAfterS: 1 });
    expect(failure.cause).toMatchObject({ name: "TimeoutError", message: "down" });
  });

  it("leaves no timer behind once the store has answered", async () => {
    vi.useFakeTimers();
    const { now, sleep } = fakeTime();
    const { store } = fakeStore();
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 0, store });
    await paced(POST, "C1", async () => 1);
    await paced(POST, "C1", async () => {
      throw rateLimited(1);
    }).catch(() => undefined);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("without a log, a store that cannot read still fails the call as rate-limited", async () => {
    const { now, sleep } = fakeTime();
    const { store, mode } = fakeStore();
    mode.read = "fail";
    const paced = pacedCall({ pacer: new Pacer(), now, sleep, maxWaitMs: 0, store });
    await expect(paced(POST, "C1", async () => 1)).rejects.toMatchObject({
      name: "SlackApiError",
      code: "ratelimited",
      kind: "passing",
      retryAfterS: 1,
    });
  });

  it("without a log, a store that cannot write holds nothing up and hides nothing", async () => {
    const { now, sleep } = fakeTime();
    const pacer = new Pacer();
    const { store, mode, seen } = fakeStore();
    mode.write = "fail";
    const paced = pacedCall({ pacer, now, sleep, maxWaitMs: 0, store });
    expect(await paced(POST, "C1", async () => "went")).toBe("went");
    const refusal = rateLimited(3);
    await expect(
      paced(POST, "C2", async () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(pacer.blockedUntil(POST)).toBe(T0 + 3000);
    expect(seen.blocks).toEqual([[POST, T0 + 3000]]);
  });

  it.each<[string, unknown]>([
    [
      "a refusal of Slack's other than ratelimited, with seconds",
      new SlackApiError(POST, "not_in_channel", "permanent", 5),
    ],
    [
      "a passing failure other than ratelimited, with seconds",
      new SlackApiError(POST, "internal_error", "passing", 5),
    ],
    [
      "an error that is no SlackApiError, though it says ratelimited",
      Object.assign(new Error("429"), { code: "ratelimited", retryAfterS: 5 }),
    ],
  ])("keeps no Retry-After for %s", async (_, refusal) => {
    const { now, sleep } = fakeTime();
    const pacer = new Pacer();
    const { store, seen } = fakeStore();
    const paced = pacedCall({ pacer, now, sleep, maxWaitMs: 0, store });
    await expect(
      paced(POST, "C1", async () => {
        throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(pacer.blockedUntil(POST)).toBeUndefined();
    expect(seen.blocks).toEqual([]);
    expect(await paced(POST, "C1", async () => "went")).toBe("went");
  });
});
