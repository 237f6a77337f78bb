import { describe, expect, it } from "vitest";
import { EclApiError } from "../../../lib/ecl/errors";
import { BmError, describeError, isPassing } from "../../../lib/errors";
import { SlackApiError } from "../../../lib/slack/slack-error";
import { RetryLater, waitAskedS } from "../../../lib/worker/retry-later";

const ratelimited = (retryAfterS?: number) =>
  new SlackApiError("usergroups.users.list", "ratelimited", "passing", retryAfterS);

describe("RetryLater", () => {
  it("is a passing failure whose message, made by describeError, is shown as it is", () => {
    const cause = new Error("ECL down");
    const error = new RetryLater("ECL at https://ecl.test did not answer in time", { cause });
    expect(error).toBeInstanceOf(BmError);
    expect(error.name).toBe("RetryLater");
    expect(error.cause).toBe(cause);
    expect(isPassing(error)).toBe(true);
    // Written for users: told word for word, not as "internal error (RetryLater)".
    expect(describeError(error)).toBe("ECL at https://ecl.test did not answer in time");
    // An error that asks for no wait: none is carried.
    expect(error.waitS).toBeUndefined();
  });

  it("carries the wait a rate-limited Slack call asks for: Slack's Retry-After or the pacer's", () => {
    const error = new RetryLater("Slack could not say", { cause: ratelimited(42) });
    expect(error.waitS).toBe(42);
    expect(waitAskedS(error)).toBe(42);
    expect(waitAskedS(ratelimited(42))).toBe(42);
  });

  it("carries it through another RetryLater (the worker wraps a step's RetryLater again)", () => {
    const inner = new RetryLater("Slack could not say", { cause: ratelimited(7) });
    const outer = new RetryLater(describeError(inner), { cause: inner });
    expect(outer.waitS).toBe(7);
    expect(outer.message).toBe("Slack could not say");
  });

  it.each([
    ["no cause", undefined],
    [
      "a Slack failure with no Retry-After",
      new SlackApiError("chat.postMessage", "http_503", "passing"),
    ],
    ["a RetryLater that asks none", new RetryLater("x", { cause: new Error("y") })],
    ["a plain error", new Error("down")],
    [
      "ECL's own 429 (not Slack's)",
      new EclApiError({
        service: "baremetal",
        status: 429,
        method: "GET",
        path: "/v2/t/servers/s",
        code: undefined,
        apiMessage: "slow down",
        requestId: "req-1",
        retryAfterS: 30,
      }),
    ],
    ["a thrown string", "down"],
    ["null", null],
  ])("asks no wait for %s", (_what, cause) => {
    expect(
      new RetryLater("later", cause === undefined ? undefined : { cause }).waitS,
    ).toBeUndefined();
    expect(waitAskedS(cause)).toBeUndefined();
  });
});
