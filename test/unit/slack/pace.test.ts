/**
 * The pacer, to the millisecond: a method's window of 60 s, a channel's burst of 3 posts and
 * its refill of one a second (with the margin), and the Retry-Afters.
 */
import { describe, expect, it } from "vitest";
import { Pacer, POST_MARGIN_MS, tierBucket } from "../../../lib/slack/pace";
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

describe("Pacer, a method's tier", () => {
  it("is a bucket of half the tier, then the other half of the minute evenly", () => {
    expect(tierBucket("usergroups.users.list")).toEqual({ burst: 10, intervalMs: 6000 });
    expect(tierBucket("chat.update")).toEqual({ burst: 25, intervalMs: 2400 });
    expect(tierBucket("chat.postMessage")).toEqual({ burst: 50, intervalMs: 1200 });
    expect(tierBucket("some.method")).toEqual({ burst: 10, intervalMs: 6000 });
  });

  it("lets the burst go at once, then one an interval (the margin kept once)", () => {
    const times = burst(new Pacer(), "usergroups.users.list", undefined, 13);
    expect(times).toEqual([...Array(10).fill(0), 6150, 12150, 18150]);
  });

  it("never more than the tier in any 60 s: the window holds the 21st", () => {
    const pacer = new Pacer();
    const times = burst(pacer, "usergroups.users.list", undefined, 21);
    expect(times[19]).toBe(6150 + 9 * 6000);
    expect(times[20]).toBe(6150 + 10 * 6000);
    const inAnyMinute = times.map((t) => times.filter((u) => u > t - WINDOW_MS && u <= t).length);
    // The margin takes one place: 19 in the busiest minute, of the tier's 20.
    expect(perMinute("usergroups.users.list")).toBe(20);
    expect(Math.max(...inAnyMinute)).toBe(19);
  });

  it("counts a call in its window from its answer: 20 answered late hold the 21st", () => {
    const pacer = new Pacer();
    // Another container's tier bucket is empty; these 20 went at once, answered at +500.
    const slots = Array.from({ length: 20 }, () => pacer.take("usergroups.list", undefined, T0));
    pacer.shareTier("usergroups.list", T0 - 10 * WINDOW_MS);
    for (const slot of slots) pacer.answered(slot, T0 + 500);
    pacer.answered(slots[0] as (typeof slots)[0], T0 - 1000);
    expect(pacer.nextAt("usergroups.list", undefined, T0 + WINDOW_MS)).toBeGreaterThanOrEqual(
      T0 + 500 + WINDOW_MS,
    );
  });

  it("keeps to another container's tier bucket, the later of two", () => {
    const pacer = new Pacer();
    expect(pacer.tierOf("chat.update")).toBeUndefined();
    pacer.shareTier("chat.update", T0 + 60_000 + 2400);
    pacer.shareTier("chat.update", T0);
    expect(pacer.tierOf("chat.update")).toBe(T0 + 62_400);
    // 25 in the bucket: the next may go at tat - 24 intervals, with the margin.
    expect(pacer.nextAt("chat.update", undefined, T0)).toBe(
      T0 + 62_400 - 24 * 2400 + POST_MARGIN_MS,
    );
    pacer.take("chat.update", undefined, T0 + 4950);
    expect(pacer.tierOf("chat.update")).toBe(T0 + 64_800);
  });

  it("keeps methods apart", () => {
    const pacer = new Pacer();
    burst(pacer, "usergroups.users.list", undefined, 10);
    expect(pacer.nextAt("users.info", undefined, T0)).toBe(T0);
    expect(pacer.nextAt("usergroups.users.list", undefined, T0)).toBe(T0 + 6150);
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

  it("holds posts across channels to their tier: 50 at once, then one each 1200 ms", () => {
    const pacer = new Pacer();
    const times = [];
    for (let c = 0; c < 17; c++) times.push(...burst(pacer, POST, `C${c}`, 3));
    expect(times.slice(49)).toEqual([0, 1200 + POST_MARGIN_MS]);
    expect(pacer.nextAt(POST, "C99", T0)).toBe(T0 + 2400 + POST_MARGIN_MS);
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
