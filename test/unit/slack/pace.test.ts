/**
 * The pacer, to the millisecond: a method's window of 60 s, a channel's burst of 3 posts and
 * its refill of one a second (with the margin), and the Retry-Afters.
 */
import { describe, expect, it } from "vitest";
import {
  Pacer,
  POST_MARGIN_MS,
  type Slot,
  STEADY_BURST,
  tierBucket,
} from "../../../lib/slack/pace";
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
  it("is a bucket of half the tier (or a steady method's own), then the rest evenly", () => {
    expect(tierBucket("usergroups.users.list")).toEqual({ burst: 10, intervalMs: 6000 });
    expect(tierBucket("chat.update")).toEqual({ burst: 10, intervalMs: 1500 });
    expect(tierBucket("chat.postMessage")).toEqual({ burst: 50, intervalMs: 1200 });
    expect(tierBucket("views.publish")).toEqual({ burst: 50, intervalMs: 1200 });
    expect(tierBucket("some.method")).toEqual({ burst: 10, intervalMs: 6000 });
    expect(STEADY_BURST).toEqual({ "chat.update": 10 });
  });

  it("leaves Tier 3 a steady 40 a minute after its burst, never the 50 of its tier in any 60 s", () => {
    const pacer = new Pacer();
    const times = burst(pacer, "chat.update", undefined, 61);
    expect(times.slice(0, 12)).toEqual([...Array(10).fill(0), 1650, 3150]);
    expect(times[49]).toBe(150 + 40 * 1500);
    expect(times[60]).toBe(150 + 51 * 1500);
    const inAnyMinute = times.map((t) => times.filter((u) => u > t - WINDOW_MS && u <= t).length);
    // The margin takes one place, as for Tier 2: 49 in the busiest minute, of the tier's 50.
    expect(Math.max(...inAnyMinute)).toBe(49);
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

  it("keeps to another container's tier bucket, the later of two", () => {
    const pacer = new Pacer();
    expect(pacer.tierOf("chat.update")).toBeUndefined();
    pacer.shareTier("chat.update", T0 + 60_000 + 1500);
    pacer.shareTier("chat.update", T0);
    expect(pacer.tierOf("chat.update")).toBe(T0 + 61_500);
    // 10 in the bucket: the next may go at tat - 9 intervals, with the margin.
    expect(pacer.nextAt("chat.update", undefined, T0)).toBe(
      T0 + 61_500 - 9 * 1500 + POST_MARGIN_MS,
    );
    pacer.take("chat.update", undefined, T0 + 48_150);
    expect(pacer.tierOf("chat.update")).toBe(T0 + 63_000);
  });

  it("keeps methods apart", () => {
    const pacer = new Pacer();
    burst(pacer, "usergroups.users.list", undefined, 10);
    expect(pacer.nextAt("users.info", undefined, T0)).toBe(T0);
    expect(pacer.nextAt("usergroups.users.list", undefined, T0)).toBe(T0 + 6150);
  });
});

/** Tier 2 (20 a minute): a burst of 10, then one each 6000 ms. */
const GROUPS = "usergroups.list";

/** Takes `n` calls of GROUPS at `sentAt` (none in a channel), each still to be answered. */
function sent(pacer: Pacer, n: number, sentAt: number) {
  return Array.from({ length: n }, () => pacer.take(GROUPS, undefined, sentAt));
}

/** Slack answers `slots[i]` at `from + i * stepMs`. */
function answer(pacer: Pacer, slots: Slot[], from: number, stepMs = 1) {
  for (const [i, slot] of slots.entries()) pacer.answered(slot, from + i * stepMs);
}

describe("Pacer, a method's window, counted from answers", () => {
  // 20 calls sent at T0 move the tier bucket to T0 + 120 000: from T0 + 66 000 on it holds
  // nothing back (120 000 - 9 intervals of 6000), so any wait after that is the window's.
  it("holds the 21st until 60 s after the oldest of 20 answers, past the bucket", () => {
    const pacer = new Pacer();
    const slots = sent(pacer, 20, T0);
    expect(pacer.tierOf(GROUPS)).toBe(T0 + 120_000);
    answer(pacer, slots, T0 + 10_000);
    expect(slots.map((slot) => slot.at - T0)).toEqual(slots.map((_, i) => 10_000 + i));
    // The bucket alone would let it go at T0 + 66 000: the window holds it 4 s more.
    expect(pacer.nextAt(GROUPS, undefined, T0 + 66_000)).toBe(T0 + 70_000);
    expect(pacer.nextAt(GROUPS, undefined, T0 + 69_999)).toBe(T0 + 70_000);
    // At T0 + 70 000 the oldest answer is exactly 60 s old: it has left, 19 are counted.
    expect(pacer.nextAt(GROUPS, undefined, T0 + 70_000)).toBe(T0 + 70_000);
  });

  it("counts the 20th newest of more than 20: older ones hold nothing back", () => {
    const pacer = new Pacer();
    const slots = sent(pacer, 25, T0);
    // 25 sent at T0: the bucket is at T0 + 150 000, and lets a call go from T0 + 96 000 on.
    expect(pacer.tierOf(GROUPS)).toBe(T0 + 150_000);
    answer(pacer, slots, T0 + 40_000, 1000);
    // The newest 20 were answered from T0 + 45 000 on: the 20th newest leaves at T0 + 105 000.
    expect(pacer.nextAt(GROUPS, undefined, T0 + 96_000)).toBe(T0 + 105_000);
  });

  it("keeps the window in order of answers, however the answers come", () => {
    const pacer = new Pacer();
    const slots = sent(pacer, 20, T0);
    // The first sent is answered last: the oldest in the window is the second, at T0 + 10 001.
    pacer.answered(slots[0] as Slot, T0 + 30_000);
    answer(pacer, slots.slice(1), T0 + 10_001);
    expect(pacer.nextAt(GROUPS, undefined, T0 + 66_000)).toBe(T0 + 70_001);
  });

  it("keeps the window in order when a call still in flight was sent before others' answers", () => {
    const pacer = new Pacer();
    const answered = sent(pacer, 19, T0);
    answer(pacer, answered, T0 + 20_000);
    // Sent at T0 + 10 000 and not yet answered: it counts from its send, the oldest of the 20.
    const inFlight = pacer.take(GROUPS, undefined, T0 + 10_000);
    expect(inFlight.at).toBe(T0 + 10_000);
    expect(pacer.tierOf(GROUPS)).toBe(T0 + 120_000);
    expect(pacer.nextAt(GROUPS, undefined, T0 + 66_000)).toBe(T0 + 70_000);
    // Answered then, it counts from its answer, after the 19: the oldest is the first of them.
    pacer.answered(inFlight, T0 + 30_000);
    expect(pacer.nextAt(GROUPS, undefined, T0 + 66_000)).toBe(T0 + 80_000);
  });

  it("keeps a call's send time when its answer is timed before it", () => {
    const pacer = new Pacer();
    const others = sent(pacer, 19, T0);
    answer(pacer, others, T0 + 20_000);
    const slot = pacer.take(GROUPS, undefined, T0 + 12_000);
    pacer.answered(slot, T0 + 11_000);
    expect(slot.at).toBe(T0 + 12_000);
    expect(pacer.nextAt(GROUPS, undefined, T0 + 66_000)).toBe(T0 + 72_000);
  });

  it("leaves a call answered on time to the bucket, which is the stricter then", () => {
    const pacer = new Pacer();
    const slots = sent(pacer, 20, T0);
    for (const slot of slots) pacer.answered(slot, T0 + 6000);
    // The window would let the 21st go at T0 + 66 000; the bucket holds it to its margin.
    expect(pacer.nextAt(GROUPS, undefined, T0 + 60_000)).toBe(T0 + 66_000 + POST_MARGIN_MS);
    expect(pacer.nextAt(GROUPS, undefined, T0 + 66_000)).toBe(T0 + 66_000);
  });

  it("takes an answer to a call it never took as nothing to count", () => {
    const pacer = new Pacer();
    const elsewhere = new Pacer().take(GROUPS, undefined, T0);
    expect(() => pacer.answered(elsewhere, T0 + 10_000)).not.toThrow();
    expect(pacer.tierOf(GROUPS)).toBeUndefined();
    expect(pacer.nextAt(GROUPS, undefined, T0)).toBe(T0);
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

  it("counts no other method's calls in a channel's bucket", () => {
    const pacer = new Pacer();
    burst(pacer, "chat.update", "C1", 3);
    expect(pacer.bucketOf("C1")).toBeUndefined();
    expect(burst(pacer, POST, "C1", 4)).toEqual([0, 0, 0, 1150]);
    expect(pacer.bucketOf("C1")).toBe(T0 + 4000);
  });

  it("counts a post without a channel in its tier only", () => {
    const pacer = new Pacer();
    expect(burst(pacer, POST, undefined, 3)).toEqual([0, 0, 0]);
    expect(pacer.tierOf(POST)).toBe(T0 + 3 * 1200);
    expect(burst(pacer, POST, "C1", 4)).toEqual([0, 0, 0, 1150]);
  });

  it("keeps to another container's bucket of a channel, the later of two", () => {
    const pacer = new Pacer();
    expect(pacer.bucketOf("C1")).toBeUndefined();
    pacer.shareBucket("C1", T0 + 5000);
    pacer.shareBucket("C1", T0 + 1000);
    expect(pacer.bucketOf("C1")).toBe(T0 + 5000);
    // A bucket of 3: the next may go at tat - 2 refills, with the margin.
    expect(pacer.nextAt(POST, "C1", T0)).toBe(T0 + 3150);
    pacer.take(POST, "C1", T0 + 3150);
    expect(pacer.bucketOf("C1")).toBe(T0 + 6000);
    pacer.shareBucket("C1", T0 + 5999);
    expect(pacer.bucketOf("C1")).toBe(T0 + 6000);
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
