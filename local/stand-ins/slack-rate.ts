/**
 * Slack's rate limits, as the Slack stand-in enforces them: each Web API method's tier per
 * workspace (a sliding window of 60 s), `chat.postMessage` per channel (a bucket of a few posts
 * that refills one a second) and per workspace, answered 429 with a `Retry-After` in seconds; and
 * a record of every call made before a `Retry-After` it was given had passed ("early calls"),
 * which Slack warns may get an app disabled. The sources and the model are in
 * docs/testing.md#slacks-rate-limits.
 */

/** A method's limit: its tier on Slack's method page, the calls a minute it allows, and why. */
export interface MethodRate {
  tier: 2 | 3 | 4 | "special";
  /** Calls a minute per workspace (per app): the lower bound of the tier's "N+ per minute". */
  perMinute: number;
  /** Where the tier is written. */
  source: string;
}

const RATE_LIMITS_PAGE = "docs.slack.dev/apis/web-api/rate-limits";
const page = (method: string, tier: string) =>
  `docs.slack.dev/reference/methods/${method} ("${tier}")`;

/**
 * The tiers of the methods bm calls. Slack's tiers are "20+", "50+" and "100+ per minute" (Tier
 * 2, 3, 4, on the rate limits page); the stand-in allows exactly the lower bound. A method Slack
 * marks "Special rate limits apply" without a number for it is held to Tier 3.
 */
export const SLACK_RATE_LIMITS: Readonly<Record<string, MethodRate>> = {
  "chat.postMessage": {
    tier: "special",
    perMinute: 100,
    source: `${page("chat.postMessage", "Special rate limits apply")}; ${RATE_LIMITS_PAGE}: "one message per second per channel, while also maintaining a workspace-wide limit" (no number given: 100 a minute assumed)`,
  },
  "chat.update": { tier: 3, perMinute: 50, source: page("chat.update", "Tier 3: 50+ per minute") },
  "chat.delete": { tier: 3, perMinute: 50, source: page("chat.delete", "Tier 3: 50+ per minute") },
  "chat.getPermalink": {
    tier: "special",
    perMinute: 50,
    source: `${page("chat.getPermalink", "Special rate limits apply")} (no number given: Tier 3 assumed)`,
  },
  "chat.postEphemeral": {
    tier: 4,
    perMinute: 100,
    source: page("chat.postEphemeral", "Tier 4: 100+ per minute"),
  },
  "views.open": { tier: 4, perMinute: 100, source: page("views.open", "Tier 4: 100+ per minute") },
  "views.update": {
    tier: 4,
    perMinute: 100,
    source: page("views.update", "Tier 4: 100+ per minute"),
  },
  "views.publish": {
    tier: 4,
    perMinute: 100,
    source: page("views.publish", "Tier 4: 100+ per minute"),
  },
  "views.push": { tier: 4, perMinute: 100, source: page("views.push", "Tier 4: 100+ per minute") },
  "usergroups.users.list": {
    tier: 2,
    perMinute: 20,
    source: page("usergroups.users.list", "Tier 2: 20+ per minute"),
  },
  "usergroups.list": {
    tier: 2,
    perMinute: 20,
    source: page("usergroups.list", "Tier 2: 20+ per minute"),
  },
  "users.info": { tier: 4, perMinute: 100, source: page("users.info", "Tier 4: 100+ per minute") },
  "auth.test": {
    tier: "special",
    perMinute: 50,
    source: `${page("auth.test", "Special rate limits apply")} (no number given: Tier 3 assumed)`,
  },
  "conversations.info": {
    tier: 3,
    perMinute: 50,
    source: page("conversations.info", "Tier 3: 50+ per minute"),
  },
};

/** A method the table does not name is held to the strictest tier bm could meet, Tier 2. */
export const UNLISTED_PER_MINUTE = 20;

/**
 * `chat.postMessage` in one channel: "1 per second, short bursts >1 allowed" (the rate limits
 * page), with no size given for a burst. The stand-in allows a burst of {@link POST_BURST} posts,
 * then one a second: a bucket of 3 that refills one post each 1000 ms.
 */
export const POST_BURST = 3;
export const POST_REFILL_MS = 1000;
const WINDOW_MS = 60_000;

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
    const perMinute = SLACK_RATE_LIMITS[method]?.perMinute ?? UNLISTED_PER_MINUTE;
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
    if (method === "chat.postMessage" && channel) {
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
