import { describe, expect, it } from "vitest";
import { digestKey, dueDigests, localTime } from "../../../lib/followup/digest-due";
import { type ChannelPolicy, parsePolicy } from "../../../lib/policy/policy";

const channels = (digests: Record<string, string | undefined>): ChannelPolicy[] =>
  Object.values(
    parsePolicy({
      team_ids: ["T1"],
      tenants: { t: { secret: "bm/tenant/t" } },
      channels: Object.fromEntries(
        Object.entries(digests).map(([id, at]) => [
          id,
          { tenant: "t", requesters: ["*"], approvals: 0, ...(at ? { media_digest: at } : {}) },
        ]),
      ),
    }).channels,
  );
const due = (digests: Record<string, string | undefined>, at: string) =>
  dueDigests(channels(digests), new Date(at)).map((d) => [d.channel.channelId, d.date]);

describe("localTime", () => {
  it.each([
    ["2026-11-27T00:00:00Z", "Asia/Tokyo", "2026-11-27", 540],
    ["2026-11-27T14:59:00Z", "Asia/Tokyo", "2026-11-27", 1439],
    ["2026-11-27T15:00:00Z", "Asia/Tokyo", "2026-11-28", 0],
    ["2026-11-27T04:59:59Z", "America/New_York", "2026-11-26", 1439],
    ["2026-11-27T05:00:00Z", "America/New_York", "2026-11-27", 0],
    ["2026-01-05T13:07:00Z", "UTC", "2026-01-05", 787],
  ])("%s in %s is %s, minute %i", (at, zone, date, minutes) => {
    expect(localTime(new Date(at), zone)).toEqual({ date, minutes });
  });
});

describe("dueDigests", () => {
  const tokyo = { C0A: "09:00 Asia/Tokyo" };
  it.each([
    ["2026-11-26T23:59:59Z", []],
    ["2026-11-27T00:00:00Z", [["C0A", "2026-11-27"]]],
    ["2026-11-27T14:59:00Z", [["C0A", "2026-11-27"]]],
    // Tokyo's next day, before 09:00 there: not due.
    ["2026-11-27T15:00:00Z", []],
    ["2026-11-28T00:00:00Z", [["C0A", "2026-11-28"]]],
  ])("09:00 Asia/Tokyo at %s: %j", (at, expected) => {
    expect(due(tokyo, at)).toEqual(expected);
  });

  it("skips channels without a digest and tells each zone apart", () => {
    expect(
      due({ C0A: "09:00 Asia/Tokyo", C0B: undefined, C0C: "09:00 UTC" }, "2026-11-27T08:00:00Z"),
    ).toEqual([["C0A", "2026-11-27"]]);
    expect(
      due({ C0A: "09:00 Asia/Tokyo", C0B: undefined, C0C: "09:00 UTC" }, "2026-11-27T09:00:00Z"),
    ).toEqual([
      ["C0A", "2026-11-27"],
      ["C0C", "2026-11-27"],
    ]);
  });

  // 2026-03-08, New York springs forward at 02:00 EST to 03:00 EDT: 02:30 never comes.
  it.each([
    ["2026-03-08T06:59:00Z", []],
    ["2026-03-08T07:00:00Z", [["C0A", "2026-03-08"]]],
  ])("a time a change of clock skips is due at the first minute after it: %s", (at, expected) => {
    expect(due({ C0A: "02:30 America/New_York" }, at)).toEqual(expected);
  });

  // 2026-11-01, New York falls back at 02:00 EDT to 01:00 EST: 01:30 comes twice. Due from the
  // first, not for the hour the clock goes back, due again at the second, for the same date: the
  // claim of that date (digest.ts) keeps it to one.
  it.each([
    ["2026-11-01T05:29:00Z", []],
    ["2026-11-01T05:30:00Z", [["C0A", "2026-11-01"]]],
    ["2026-11-01T06:00:00Z", []],
    ["2026-11-01T06:30:00Z", [["C0A", "2026-11-01"]]],
  ])("a time that comes twice is due for one date: %s", (at, expected) => {
    expect(due({ C0A: "01:30 America/New_York" }, at)).toEqual(expected);
  });

  it("carries the channel's policy and digest", () => {
    const [first] = dueDigests(channels(tokyo), new Date("2026-11-27T01:00:00Z"));
    expect(first?.channel.mediaDigest).toEqual({
      minutes: 540,
      zone: "Asia/Tokyo",
      staleAfterHours: 24,
    });
    expect(first?.channel.tenant).toBe("t");
  });

  it("keys a digest by channel and local date", () => {
    expect(digestKey({ channel: { channelId: "C0A" }, date: "2026-11-27" })).toBe("C0A#2026-11-27");
  });
});
