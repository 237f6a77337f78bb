import { describe, expect, it } from "vitest";
import {
  PER_CHANNEL_METHOD,
  POST_BURST,
  POST_REFILL_MS,
  perMinute,
  SLACK_RATE_LIMITS,
  UNLISTED_PER_MINUTE,
  WINDOW_MS,
} from "../../../lib/slack/rate-tiers";

/**
 * Slack's published limits, written out here by hand from each method's reference page and the
 * rate limits page (not derived from the table): tier, the tier's lower bound a minute, and the
 * words quoted as the source. Tier 2 is "20+", Tier 3 "50+", Tier 4 "100+ per minute"; a
 * "Special" method with no number is held to Tier 3, except chat.postMessage (100 assumed).
 */
const methodPage = (m: string) => `docs.slack.dev/reference/methods/${m}`;
const expected: Record<string, { tier: 2 | 3 | 4 | "special"; perMinute: number; source: string }> =
  {
    "chat.postMessage": {
      tier: "special",
      perMinute: 100,
      source:
        'docs.slack.dev/reference/methods/chat.postMessage ("Special rate limits apply"); docs.slack.dev/apis/web-api/rate-limits: "one message per second per channel, while also maintaining a workspace-wide limit" (no number given: 100 a minute assumed)',
    },
    "chat.update": {
      tier: 3,
      perMinute: 50,
      source: `${methodPage("chat.update")} ("Tier 3: 50+ per minute")`,
    },
    "chat.delete": {
      tier: 3,
      perMinute: 50,
      source: `${methodPage("chat.delete")} ("Tier 3: 50+ per minute")`,
    },
    "chat.getPermalink": {
      tier: "special",
      perMinute: 50,
      source: `${methodPage("chat.getPermalink")} ("Special rate limits apply") (no number given: Tier 3 assumed)`,
    },
    "chat.postEphemeral": {
      tier: 4,
      perMinute: 100,
      source: `${methodPage("chat.postEphemeral")} ("Tier 4: 100+ per minute")`,
    },
    "views.open": {
      tier: 4,
      perMinute: 100,
      source: `${methodPage("views.open")} ("Tier 4: 100+ per minute")`,
    },
    "views.update": {
      tier: 4,
      perMinute: 100,
      source: `${methodPage("views.update")} ("Tier 4: 100+ per minute")`,
    },
    "views.publish": {
      tier: 4,
      perMinute: 100,
      source: `${methodPage("views.publish")} ("Tier 4: 100+ per minute")`,
    },
    "views.push": {
      tier: 4,
      perMinute: 100,
      source: `${methodPage("views.push")} ("Tier 4: 100+ per minute")`,
    },
    "usergroups.users.list": {
      tier: 2,
      perMinute: 20,
      source: `${methodPage("usergroups.users.list")} ("Tier 2: 20+ per minute")`,
    },
    "usergroups.list": {
      tier: 2,
      perMinute: 20,
      source: `${methodPage("usergroups.list")} ("Tier 2: 20+ per minute")`,
    },
    "users.info": {
      tier: 4,
      perMinute: 100,
      source: `${methodPage("users.info")} ("Tier 4: 100+ per minute")`,
    },
    "auth.test": {
      tier: "special",
      perMinute: 50,
      source: `${methodPage("auth.test")} ("Special rate limits apply") (no number given: Tier 3 assumed)`,
    },
    "conversations.info": {
      tier: 3,
      perMinute: 50,
      source: `${methodPage("conversations.info")} ("Tier 3: 50+ per minute")`,
    },
  };

/** A tier's calls a minute, from the rate limits page; "special" has no number of its own. */
const TIER_FLOOR = { 2: 20, 3: 50, 4: 100 } as const;

describe("Slack's rate limits by method", () => {
  it("names exactly the methods bm calls, each with its tier, calls a minute and source", () => {
    expect(SLACK_RATE_LIMITS).toStrictEqual(expected);
  });

  it.each(Object.keys(expected))(
    "%s: its source is its own method page, quoting its tier",
    (method) => {
      const rate = SLACK_RATE_LIMITS[method];
      expect(rate?.source.startsWith(`docs.slack.dev/reference/methods/${method} ("`)).toBe(true);
      if (rate?.tier === "special") expect(rate.source).toContain('("Special rate limits apply")');
      else if (rate) {
        expect(rate.perMinute).toBe(TIER_FLOOR[rate.tier]);
        expect(rate.source).toContain(`("Tier ${rate.tier}: ${rate.perMinute}+ per minute")`);
      }
    },
  );

  it("gives each listed method its own number, and any other method Tier 2's", () => {
    for (const [method, rate] of Object.entries(expected))
      expect(perMinute(method)).toBe(rate.perMinute);
    expect(UNLISTED_PER_MINUTE).toBe(20);
    expect(perMinute("conversations.history")).toBe(20);
    expect(perMinute("")).toBe(20);
    expect(perMinute("toString")).toBe(20);
  });

  it("limits chat.postMessage alone per channel: a burst of 3, then one a second, in a 60 s window", () => {
    expect(PER_CHANNEL_METHOD).toBe("chat.postMessage");
    expect(POST_BURST).toBe(3);
    expect(POST_REFILL_MS).toBe(1000);
    expect(WINDOW_MS).toBe(60_000);
  });
});
