/**
 * When bm may next call each Slack method (and post in each channel), for one bot token (one
 * workspace): the one place that decides it, shared by every operation of a container. It keeps
 * to Slack's limits (rate-tiers.ts): a method's calls in any 60 s, `chat.postMessage`'s burst and
 * refill per channel, and every Retry-After Slack gave. Pure: its clock is given with each
 * question, so tests pin it to the millisecond.
 */

import { PER_CHANNEL_METHOD, POST_BURST, POST_REFILL_MS, perMinute, WINDOW_MS } from "./rate-tiers";

/**
 * Added to a wait for a bucket (a channel's posts, a method's tier), which bm reckons from when
 * it sent each call while Slack reckons from when each arrived: a later call that travels faster
 * must not arrive early.
 */
export const POST_MARGIN_MS = 150;

/**
 * The burst of a method whose calls come as a steady flow, not in bunches: a card is updated once
 * per state it enters, so a burst of 40 detaches asks for 80 `chat.update`s spread over minutes,
 * and what counts is the pace after the burst. With half of Tier 3 as its burst (25), that pace
 * was 25 a minute where Slack allows 50: the incident burst took 147 s, card updates the binding
 * limit. With 10, it is 40 a minute (109 s).
 */
export const STEADY_BURST: Readonly<Record<string, number>> = { "chat.update": 10 };

/**
 * A method's tier as a bucket, the pace every container shares (pace-store): a burst (half the
 * tier, or the method's {@link STEADY_BURST}), then the rest of the minute's calls evenly, so that
 * no 60 s holds more than the tier (burst + 60 s / interval = the tier), whoever made them. Half,
 * because most of bm's calls come in bunches: one approver's click asks Slack for each group of
 * approvers the channel names (three in a row, with the card's own lookups just before them), and
 * the front door can wait only 500 ms for its turn (a burst of a fifth, 4 of Tier 2's 20, refused
 * such a click as if Slack had); one change publishes again the Home of everyone who sees it.
 */
export function tierBucket(method: string): { burst: number; intervalMs: number } {
  const allowed = perMinute(method);
  const burst = STEADY_BURST[method] ?? Math.max(1, Math.floor(allowed / 2));
  return { burst, intervalMs: Math.ceil(WINDOW_MS / (allowed - burst)) };
}

/** One call that took its place: told when Slack answered it ({@link Pacer.answered}). */
export interface Slot {
  readonly method: string;
  /** When the call counts in its method's window (its send time until it is answered). */
  at: number;
}

/** The pace of one bot token's calls: what was called when, and the Retry-Afters given. */
export class Pacer {
  /** The calls of each method still in their window, by when they count, oldest first. */
  private readonly windows = new Map<string, Slot[]>();
  /**
   * Each channel's post bucket as a theoretical arrival time (GCRA): a post may go at `t` when
   * `t >= tat - (POST_BURST - 1) * POST_REFILL_MS`, and moves it to `max(tat, t) + POST_REFILL_MS`.
   */
  private readonly buckets = new Map<string, number>();
  /** Each method's tier bucket ({@link tierBucket}), as a theoretical arrival time too. */
  private readonly tiers = new Map<string, number>();
  /** Not before this (epoch ms), by method: a Retry-After, here or from another container. */
  private readonly blocked = new Map<string, number>();

  /**
   * The earliest moment (epoch ms, never before `now`) a call of `method` (a post in `channel`)
   * may go, counting every call that took its place before it.
   */
  nextAt(method: string, channel: string | undefined, now: number): number {
    let at = Math.max(now, this.blocked.get(method) ?? now);
    const window = this.window(method, now);
    const allowed = perMinute(method);
    const counted = window[window.length - allowed];
    // The window holds `allowed` calls: the next may go once the oldest of them has left it.
    if (counted) at = Math.max(at, counted.at + WINDOW_MS);
    const tier = tierBucket(method);
    at = bucketAt(at, now, this.tiers.get(method), tier.burst, tier.intervalMs);
    const tat = channel && method === PER_CHANNEL_METHOD ? this.buckets.get(channel) : undefined;
    return bucketAt(at, now, tat, POST_BURST, POST_REFILL_MS);
  }

  /** A call of `method` (to `channel`) goes at `at` (from {@link nextAt}): its place is taken. */
  take(method: string, channel: string | undefined, at: number): Slot {
    const slot: Slot = { method, at };
    const window = this.windows.get(method) ?? [];
    window.push(slot);
    window.sort((a, b) => a.at - b.at);
    this.windows.set(method, window);
    this.tiers.set(
      method,
      Math.max(this.tiers.get(method) ?? at, at) + tierBucket(method).intervalMs,
    );
    if (channel && method === PER_CHANNEL_METHOD) {
      const tat = this.buckets.get(channel) ?? at;
      this.buckets.set(channel, Math.max(tat, at) + POST_REFILL_MS);
    }
    return slot;
  }

  /**
   * Slack answered the call at `at`: it counts from then in its window (Slack counted it when it
   * arrived, which is no later), so the call that leaves the window with it is not early.
   */
  answered(slot: Slot, at: number): void {
    slot.at = Math.max(slot.at, at);
    this.windows.get(slot.method)?.sort((a, b) => a.at - b.at);
  }

  /**
   * Slack answered 429 at `at` with a Retry-After of `retryAfterS`: no call of `method` before it
   * has passed, in any channel (Slack does not say whether it was the channel's limit or the
   * workspace's, so it is taken as the workspace's).
   */
  refused(method: string, retryAfterS: number, at: number): void {
    this.notBefore(method, at + retryAfterS * 1000);
  }

  /** No call of `method` before `until` (epoch ms): a pace another container saw. */
  notBefore(method: string, until: number): void {
    this.blocked.set(method, Math.max(this.blocked.get(method) ?? until, until));
  }

  /**
   * Another container's posts in `channel` moved its bucket to `tat` (a theoretical arrival time,
   * as {@link bucketOf} gives it): posts here keep to the later of the two.
   */
  shareBucket(channel: string, tat: number): void {
    this.buckets.set(channel, Math.max(this.buckets.get(channel) ?? tat, tat));
  }

  /** The bucket of posts in `channel` (its theoretical arrival time), if any post was counted. */
  bucketOf(channel: string): number | undefined {
    return this.buckets.get(channel);
  }

  /** Another container's calls moved `method`'s tier bucket to `tat`: the later counts here. */
  shareTier(method: string, tat: number): void {
    this.tiers.set(method, Math.max(this.tiers.get(method) ?? tat, tat));
  }

  /** The tier bucket of `method` (its theoretical arrival time), if any call was counted. */
  tierOf(method: string): number | undefined {
    return this.tiers.get(method);
  }

  /** When the last Retry-After of `method` passes (epoch ms), if one was given. */
  blockedUntil(method: string): number | undefined {
    return this.blocked.get(method);
  }

  /** The calls of `method` still in their window at `now`, oldest first (older ones dropped). */
  private window(method: string, now: number): Slot[] {
    const kept = (this.windows.get(method) ?? []).filter((slot) => slot.at + WINDOW_MS > now);
    this.windows.set(method, kept);
    return kept;
  }
}

/**
 * The earliest moment at or after `at` a bucket (`tat`, a burst, a refill interval) lets a call
 * go; a wait for it at all gets the margin, whatever else holds the call.
 */
function bucketAt(
  at: number,
  now: number,
  tat: number | undefined,
  burst: number,
  intervalMs: number,
): number {
  if (tat === undefined) return at;
  const refilled = tat - (burst - 1) * intervalMs;
  return refilled > now ? Math.max(at, refilled + POST_MARGIN_MS) : at;
}
