/**
 * The pacer, to the millisecond: a method's window of 60 s, a channel's burst of 3 posts and
 * its refill of one a second (with the margin), and the Retry-Afters.
 */
import { describe, expect, it } from "vitest";
import { Pacer, POST_MARGIN_MS } from "../../../lib/slack/pace";
import { POST_BURST, POST_REFILL_MS, perMinute, WINDOW_MS } from "../../../lib/slack/rate-tiers";

const T0 = 1_800_000_000_000;
const POST = "chat.postMessage";

/** Takes `n` calls of `method` (in `channel`) each as soon as the pacer allows; returns when. */
function burst(pacer: Pacer, method: string, channel: string | undefined, n: number, now = T0) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = pacer.nextAt(method, channel, now);
    pacer.take(method, channel, at);
    times.push(at - T0);
  }
  return times;
}

describe("Pacer, a method's window", () => {
  it("lets a tier's calls go at once, then the next when the oldest leaves the window", () => {
    const pacer = new Pacer();
    const allowed = perMinute("usergroups.users.list");
    expect(allowed).toBe(20);
    const times = burst(pacer, "usergroups.users.list", undefined, allowed + 2);
    expect(times.slice(0, allowed)).toEqual(Array(allowed).fill(0));
    expect(times.slice(allowed)).toEqual([WINDOW_MS, WINDOW_MS]);
    // The 23rd waits for the second minute's first to leave the window too.
    expect(pacer.nextAt("usergroups.users.list", undefined, T0)).toBe(T0 + WINDOW_MS);
  });

  it("counts an answered call from its answer, and forgets calls a window old", () => {
    const pacer = new Pacer();
    const slots = Array.from({ length: 20 }, (_, i) =>
      pacer.take("usergroups.list", undefined, T0 + i),
    );
    expect(pacer.nextAt("usergroups.list", undefined, T0 + 20)).toBe(T0 + WINDOW_MS);
    // The first call's answer came 500 ms after it left: it counts from then.
    pacer.answered(slots[0] as (typeof slots)[0], T0 + 500);
    expect(pacer.nextAt("usergroups.list", undefined, T0 + 20)).toBe(T0 + 1 + WINDOW_MS);
    // An answer is never earlier than the send.
    pacer.answered(slots[1] as (typeof slots)[0], T0 - 1000);
    expect(pacer.nextAt("usergroups.list", undefined, T0 + 20)).toBe(T0 + 1 + WINDOW_MS);
    // A window after the first send, the window is still full; a window after the second
    // call's, that call has left it: one place is free.
    expect(pacer.nextAt("usergroups.list", undefined, T0 + WINDOW_MS)).toBe(T0 + 1 + WINDOW_MS);
    expect(pacer.nextAt("usergroups.list", undefined, T0 + 1 + WINDOW_MS)).toBe(T0 + 1 + WINDOW_MS);
    pacer.take("usergroups.list", undefined, T0 + 1 + WINDOW_MS);
    expect(pacer.nextAt("usergroups.list", undefined, T0 + 1 + WINDOW_MS)).toBe(T0 + 2 + WINDOW_MS);
  });

  it("keeps methods apart, and holds an unlisted one to 20 a minute", () => {
    const pacer = new Pacer();
    burst(pacer, "usergroups.users.list", undefined, 20);
    expect(pacer.nextAt("users.info", undefined, T0)).toBe(T0);
    expect(burst(pacer, "some.method", undefined, 21).at(-1)).toBe(WINDOW_MS);
    expect(burst(new Pacer(), "chat.update", undefined, 51).slice(49)).toEqual([0, WINDOW_MS]);
  });
});

describe("Pacer, posts in a channel", () => {
  it("lets a burst of 3 go, then one a second, the margin kept once", () => {
    const pacer = new Pacer();
    expect(POST_BURST).toBe(3);
    expect(POST_REFILL_MS).toBe(1000);
    expect(POST_MARGIN_MS).toBe(150);
    expect(burst(pacer, POST, "C1", 6)).toEqual([0, 0, 0, 1150, 2150, 3150]);
  });

  it("refills with time: a second after a burst, one post; three seconds after, three", () => {
    const pacer = new Pacer();
    burst(pacer, POST, "C1", 3);
    expect(pacer.nextAt(POST, "C1", T0 + 999)).toBe(T0 + 1150);
    expect(pacer.nextAt(POST, "C1", T0 + 1000)).toBe(T0 + 1000);
    expect(burst(pacer, POST, "C1", 4, T0 + 3000)).toEqual([3000, 3000, 3000, 4150]);
  });

  it("keeps channels apart, and only posts have a channel's limit", () => {
    const pacer = new Pacer();
    burst(pacer, POST, "C1", 3);
    expect(pacer.nextAt(POST, "C2", T0)).toBe(T0);
    expect(pacer.nextAt(POST, undefined, T0)).toBe(T0);
    expect(burst(pacer, "chat.update", "C1", 5)).toEqual([0, 0, 0, 0, 0]);
  });

  it("holds posts to 100 a minute across channels", () => {
    const pacer = new Pacer();
    for (let c = 0; c < 34; c++) burst(pacer, POST, `C${c}`, 3);
    // 102 wanted: the 101st and 102nd wait for the window.
    expect(pacer.nextAt(POST, "C99", T0)).toBe(T0 + WINDOW_MS);
  });
});

describe("Pacer, Retry-After", () => {
  it("holds every call of the method, in any channel, until it has passed", () => {
    const pacer = new Pacer();
    expect(pacer.blockedUntil(POST)).toBeUndefined();
    pacer.refused(POST, 2, T0 + 100);
    expect(pacer.blockedUntil(POST)).toBe(T0 + 2100);
    expect(pacer.nextAt(POST, "C1", T0)).toBe(T0 + 2100);
    expect(pacer.nextAt(POST, "C2", T0 + 2100)).toBe(T0 + 2100);
    expect(pacer.nextAt(POST, "C2", T0 + 2101)).toBe(T0 + 2101);
    expect(pacer.nextAt("chat.update", "C1", T0)).toBe(T0);
  });

  it("keeps the latest of two Retry-Afters, and one from another container", () => {
    const pacer = new Pacer();
    pacer.refused(POST, 5, T0);
    pacer.refused(POST, 1, T0);
    expect(pacer.blockedUntil(POST)).toBe(T0 + 5000);
    pacer.notBefore(POST, T0 + 7000);
    expect(pacer.nextAt(POST, undefined, T0)).toBe(T0 + 7000);
    pacer.notBefore(POST, T0 + 6000);
    expect(pacer.nextAt(POST, undefined, T0)).toBe(T0 + 7000);
  });

  it("adds to the channel's wait: a post after a Retry-After still keeps the bucket", () => {
    const pacer = new Pacer();
    burst(pacer, POST, "C1", 3);
    pacer.refused(POST, 1, T0);
    expect(pacer.nextAt(POST, "C1", T0)).toBe(T0 + 1150);
    pacer.refused(POST, 3, T0);
    expect(pacer.nextAt(POST, "C1", T0)).toBe(T0 + 3000);
  });
});
