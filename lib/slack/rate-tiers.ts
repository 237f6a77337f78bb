/**
 * Slack's rate limits by Web API method, in one place: the tier of each method bm calls (calls a
 * minute per workspace, in a sliding window of 60 s) and the per-channel rule of
 * `chat.postMessage`. bm's pacer (pace.ts) keeps to them, and the Slack stand-in
 * (local/stand-ins/slack-rate.ts) enforces them. The source of each number is beside it; the
 * model is in docs/testing.md#slacks-rate-limits.
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
 * 2, 3, 4, on the rate limits page); bm and the stand-in hold to exactly the lower bound. A method Slack
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
 * page), with no size given for a burst. bm and the stand-in allow a burst of {@link POST_BURST} posts,
 * then one a second: a bucket of 3 that refills one post each 1000 ms.
 */
export const POST_BURST = 3;
export const POST_REFILL_MS = 1000;
/** The window of a tier: "per minute", taken as any 60 s. */
export const WINDOW_MS = 60_000;

/** The calls a minute per workspace that `method` is allowed (its tier's lower bound). */
export function perMinute(method: string): number {
  return SLACK_RATE_LIMITS[method]?.perMinute ?? UNLISTED_PER_MINUTE;
}

/** The one method Slack also limits per channel ({@link POST_BURST}, {@link POST_REFILL_MS}). */
export const PER_CHANNEL_METHOD = "chat.postMessage";
