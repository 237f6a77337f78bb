import { describe, expect, it, vi } from "vitest";
import type { EclApi } from "../../../lib/ecl/client";
import { EclApiError, EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import { waitForDetach } from "../../../lib/ecl/wait-for-detach";
import { eclServer, IMAGE, SERVER } from "../fakes";

const at = eclServer;
const apiError = (status: number) =>
  new EclApiError({
    service: "baremetal",
    status,
    method: "GET",
    path: "/x",
    code: undefined,
    apiMessage: undefined,
    requestId: undefined,
  });

/** Waits over these readings, one a poll (the last repeating), on a clock that sleeps instantly. */
async function wait(
  readings: Array<Server | Error>,
  options: { intervalMs?: number; timeoutMs?: number; graceMs?: number } = {},
) {
  const clock = { now: 1000 };
  const polls: Array<{ elapsedMs: number; kind: string }> = [];
  let reads = 0;
  const ecl = {
    showServer: async () => {
      reads++;
      const next = readings.length > 1 ? readings.shift() : readings[0];
      if (next instanceof Error) throw next;
      return next as Server;
    },
  } as unknown as EclApi;
  const result = await waitForDetach(ecl, SERVER, IMAGE, {
    intervalMs: options.intervalMs ?? 1000,
    timeoutMs: options.timeoutMs ?? 10_000,
    graceMs: options.graceMs ?? 3000,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
    onPoll: (poll) =>
      void polls.push({ elapsedMs: poll.elapsedMs, kind: "server" in poll ? "server" : "error" }),
  });
  return { result, polls, reads };
}

describe("waitForDetach", () => {
  it("done once idle with the image gone, after how long", async () => {
    const { result, polls } = await wait([
      at({ taskState: "MEDIA_DETACHING" }),
      at({ taskState: "MEDIA_DETACHING", mediaIds: [] }),
      at({ mediaIds: [] }),
    ]);
    expect(result).toMatchObject({ outcome: "detached", elapsedMs: 2000 });
    expect(polls).toEqual([
      { elapsedMs: 0, kind: "server" },
      { elapsedMs: 1000, kind: "server" },
      { elapsedMs: 2000, kind: "server" },
    ]);
  });

  it("media not listed: idle again after being seen busy is done", async () => {
    const { result } = await wait([
      at({ mediaIds: undefined, taskState: "MEDIA_DETACHING" }),
      at({ mediaIds: undefined }),
    ]);
    expect(result).toMatchObject({ outcome: "idle_unlisted", elapsedMs: 1000 });
  });

  it("media not listed and never seen busy: done only once the grace has passed, to the millisecond", async () => {
    const { result } = await wait([at({ mediaIds: undefined })], {
      intervalMs: 1000,
      graceMs: 3000,
    });
    expect(result).toMatchObject({ outcome: "idle_unlisted", elapsedMs: 3000 });
  });

  it("busy past the limit: timed out with the last reading, without a poll beyond it", async () => {
    const { result, reads } = await wait([at({ taskState: "MEDIA_DETACHING" })], {
      intervalMs: 1000,
      timeoutMs: 3000,
    });
    expect(result).toMatchObject({
      outcome: "timed_out",
      elapsedMs: 3000,
      server: { taskState: "MEDIA_DETACHING" },
    });
    expect(reads).toBe(4);
  });

  it("a passing failure is skipped (told), and the wait goes on", async () => {
    const { result, polls } = await wait([
      new EclNetworkError("timeout", "GET", "x"),
      apiError(503),
      apiError(429),
      at({ mediaIds: [] }),
    ]);
    expect(result.outcome).toBe("detached");
    expect(polls.map((p) => p.kind)).toEqual(["error", "error", "error", "server"]);
  });

  it("five failed readings in a row end the wait with the last error; a success in between starts the count again", async () => {
    const down = apiError(502);
    await expect(wait([down])).rejects.toBe(down);
    const { result } = await wait(
      [
        apiError(502),
        apiError(502),
        apiError(502),
        apiError(502),
        at({ taskState: "MEDIA_DETACHING" }),
        apiError(502),
        apiError(502),
        apiError(502),
        apiError(502),
        at({ mediaIds: [] }),
      ],
      { timeoutMs: 60_000 },
    );
    expect(result.outcome).toBe("detached");
  });

  it.each([401, 403, 404, 400])(
    "a %i cannot get better by waiting: thrown at once",
    async (status) => {
      const error = apiError(status);
      await expect(wait([error])).rejects.toBe(error);
    },
  );

  it("a failure that is not ECL's is thrown at once", async () => {
    const bug = new TypeError("bug");
    await expect(wait([bug])).rejects.toBe(bug);
  });

  it("sleeps on a real clock when not given one", async () => {
    const ecl = { showServer: async () => at({ mediaIds: [] }) } as unknown as EclApi;
    const result = await waitForDetach(ecl, SERVER, IMAGE, {
      intervalMs: 1,
      timeoutMs: 100,
      graceMs: 1,
    });
    expect(result.outcome).toBe("detached");
    // Node's own clock and timers, faked so that the machine's speed changes nothing: polls at 0,
    // 20 and 40 ms, and no third sleep, which would pass the 50 ms limit.
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    try {
      let reads = 0;
      const slow = {
        showServer: async () => {
          reads++;
          return at({});
        },
      } as unknown as EclApi;
      const waiting = waitForDetach(slow, SERVER, IMAGE, {
        intervalMs: 20,
        timeoutMs: 50,
        graceMs: 1,
      });
      await vi.advanceTimersByTimeAsync(19);
      expect(reads).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(reads).toBe(2);
      await vi.advanceTimersByTimeAsync(20);
      const timedOut = await waiting;
      expect(reads).toBe(3);
      expect(timedOut).toMatchObject({ outcome: "timed_out", elapsedMs: 40 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("waitForDetach, at its edges", () => {
  const network = () => new EclNetworkError("timeout", "GET", "https://ecl.test");

  it("four failed reads in a row are waited out; the fifth is thrown", async () => {
    const four = await wait([network(), network(), network(), network(), at({ mediaIds: [] })]);
    expect(four.result.outcome).toBe("detached");
    expect(four.polls.filter((p) => p.kind === "error").map((p) => p.elapsedMs)).toEqual([
      0, 1000, 2000, 3000,
    ]);
    await expect(
      wait([network(), network(), network(), network(), network(), at({ mediaIds: [] })]),
    ).rejects.toBeInstanceOf(EclNetworkError);
  });

  it("ECL's 5xx and 429 are waited out; its other answers, and bugs, are thrown at once", async () => {
    for (const status of [500, 503, 429])
      expect((await wait([apiError(status), at({ mediaIds: [] })])).result.outcome).toBe(
        "detached",
      );
    for (const error of [apiError(404), apiError(499), new Error("a bug")]) {
      const thrown = await wait([error, at({ mediaIds: [] })]).catch((e: unknown) => e);
      expect(thrown).toBe(error);
    }
  });

  it("without anyone watching the polls, a failed read is still waited out", async () => {
    const readings: Array<Server | Error> = [network(), at({ mediaIds: [] })];
    const ecl = {
      showServer: async () => {
        const next = readings.length > 1 ? readings.shift() : readings[0];
        if (next instanceof Error) throw next;
        return next as Server;
      },
    } as unknown as EclApi;
    const result = await waitForDetach(ecl, SERVER, IMAGE, {
      intervalMs: 1,
      timeoutMs: 100,
      graceMs: 0,
      now: () => 0,
      sleep: async () => {},
    });
    expect(result.outcome).toBe("detached");
  });
});
