/**
 * Slack's rate limits, as the Slack stand-in enforces them: each Web API method's tier per
 * workspace (a sliding window of 60 s), `chat.postMessage` per channel (a bucket of a few posts
 * that refills one a second) and per workspace, answered 429 with a `Retry-After` in seconds; and
 * a record of every call made before a `Retry-After` it was given had passed ("early calls"),
 * which Slack warns may get an app disabled. The sources and the model are in
 * docs/testing.md#slacks-rate-limits; the numbers are bm's own table, lib/slack/rate-tiers.ts.
 */

import {
  perMinute as allowedPerMinute,
  PER_CHANNEL_METHOD,
  POST_BURST,
  POST_REFILL_MS,
  WINDOW_MS,
} from "../../lib/slack/rate-tiers";

/** A call made before a Retry-After Slack gave for it had passed. */
export interface EarlyCall {
  method: string;
  /** The channel, for `chat.postMessage` (and any method called with one). */
  channel?: string;
  team: string;
  /** When it was made (epoch ms, the stand-in's clock). */
  at: number;
  /** When the Retry-After it ignored had passed. */
  allowedAt: number;
  /** What that Retry-After was given for: the method in the workspace, or one channel. */
  scope: "workspace" | "channel";
  /** What the call was: the message it named (`ts`), its thread, the start of its text. */
  what: { ts?: string; threadTs?: string; text?: string };
}

/** A 429 the limits gave (not a fault armed by a test). */
export interface RateRefusal {
  method: string;
  channel?: string;
  team: string;
  at: number;
  retryAfterS: number;
  scope: "workspace" | "channel";
}

interface Pending {
  team: string;
  method: string;
  channel?: string;
  until: number;
}

/** The limits of one stand-in: what it has counted, the Retry-Afters it gave, the early calls. */
export class SlackRateLimits {
  /** Off: every call is answered as if Slack had no limits (Retry-Afters are still watched). */
  enabled: boolean;
  readonly early: EarlyCall[] = [];
  readonly refused: RateRefusal[] = [];
  /** Times of the calls each (team, method) made in the last minute, oldest first. */
  private readonly windows = new Map<string, number[]>();
  /** The post bucket of each (team, channel). */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly pending: Pending[] = [];

  constructor(
    private readonly now: () => number,
    enabled = true,
  ) {
    this.enabled = enabled;
  }

  /**
   * Counts a call as early when a Retry-After given for its method in its workspace, or for its
   * channel, has not yet passed. Called for every authenticated call, limits on or off.
   */
  watch(
    team: string,
    method: string,
    channel: string | undefined,
    args: Record<string, unknown> = {},
  ): void {
    const at = this.now();
    const ignored = this.pending.find(
      (p) =>
        p.team === team &&
        p.method === method &&
        (p.channel === undefined || p.channel === channel) &&
        at < p.until,
    );
    if (!ignored) return;
    this.early.push({
      method,
      ...(channel ? { channel } : {}),
      team,
      at,
      allowedAt: ignored.until,
      scope: ignored.channel === undefined ? "workspace" : "channel",
      what: {
        ...(typeof args.ts === "string" ? { ts: args.ts } : {}),
        ...(typeof args.thread_ts === "string" ? { threadTs: args.thread_ts } : {}),
        ...(typeof args.text === "string" ? { text: args.text.slice(0, 80) } : {}),
      },
    });
  }

  /** Remembers a Retry-After given (by the limits or by a fault a test armed). */
  gave(team: string, method: string, channel: string | undefined, retryAfterS: number): void {
    this.pending.push({
      team,
      method,
      ...(channel ? { channel } : {}),
      until: this.now() + retryAfterS * 1000,
    });
  }

  /**
   * Takes one call of `method` (to `channel`) from the workspace's quota, or refuses it: the
   * Retry-After in whole seconds, never less than the time until the call would be taken. A
   * refused call takes nothing.
   */
  take(team: string, method: string, channel: string | undefined): RateRefusal | undefined {
    if (!this.enabled) return undefined;
    const at = this.now();
    const key = `${team} ${method}`;
    const window = (this.windows.get(key) ?? []).filter((t) => t > at - WINDOW_MS);
    this.windows.set(key, window);
    const perMinute = allowedPerMinute(method);
    const refuse = (waitMs: number, scope: RateRefusal["scope"]): RateRefusal => {
      const refusal: RateRefusal = {
        method,
        ...(channel ? { channel } : {}),
        team,
        at,
        retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)),
        scope,
      };
      this.refused.push(refusal);
      this.gave(team, method, scope === "channel" ? channel : undefined, refusal.retryAfterS);
      return refusal;
    };
    const oldest = window[0];
    if (window.length >= perMinute && oldest !== undefined)
      return refuse(oldest + WINDOW_MS - at, "workspace");
    if (method === PER_CHANNEL_METHOD && channel) {
      const bucketKey = `${team} ${channel}`;
      const last = this.buckets.get(bucketKey) ?? { tokens: POST_BURST, at };
      const tokens = Math.min(POST_BURST, last.tokens + (at - last.at) / POST_REFILL_MS);
      if (tokens < 1) {
        this.buckets.set(bucketKey, { tokens, at });
        return refuse((1 - tokens) * POST_REFILL_MS, "channel");
      }
      this.buckets.set(bucketKey, { tokens: tokens - 1, at });
    }
    window.push(at);
    return undefined;
  }
}
