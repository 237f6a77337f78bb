import { describe, expect, it } from "vitest";
import { knownZone, PolicyError, parsePolicy } from "../../../lib/policy/policy";

const channel = { tenant: "t", requesters: ["*"], approvals: 0 };
const policyWith = (fields: object) => ({
  team_ids: ["T1"],
  tenants: { t: { secret: "bm/tenant/t" } },
  channels: { C0X1: { ...channel, ...fields } },
});

describe("media_digest and stale_after_hours", () => {
  it("reads a time of day and a zone, stale after a day by default", () => {
    const policy = parsePolicy(policyWith({ media_digest: "09:05 Asia/Tokyo" }));
    expect(policy.channels.C0X1?.mediaDigest).toEqual({
      minutes: 545,
      zone: "Asia/Tokyo",
      staleAfterHours: 24,
    });
  });

  it.each([
    ["00:00 UTC", 0, "UTC"],
    ["23:59 America/New_York", 1439, "America/New_York"],
    ["19:30 Europe/London", 1170, "Europe/London"],
  ])("reads %s as minute %i of %s", (at, minutes, zone) => {
    const policy = parsePolicy(policyWith({ media_digest: at, stale_after_hours: 1 }));
    expect(policy.channels.C0X1?.mediaDigest).toEqual({ minutes, zone, staleAfterHours: 1 });
  });

  it("leaves a channel without media_digest without a digest, whatever stale_after_hours says", () => {
    const policy = parsePolicy(policyWith({ stale_after_hours: 5 }));
    expect(policy.channels.C0X1).not.toHaveProperty("mediaDigest");
  });

  const format = 'media_digest must be a time of day and a time zone, as "09:00 Asia/Tokyo"';
  it.each([
    [{ media_digest: "9:00 Asia/Tokyo" }, `channels.C0X1.media_digest: ${format}`],
    [{ media_digest: "24:00 UTC" }, `channels.C0X1.media_digest: ${format}`],
    [{ media_digest: "09:60 UTC" }, `channels.C0X1.media_digest: ${format}`],
    [{ media_digest: "09:00" }, `channels.C0X1.media_digest: ${format}`],
    [{ media_digest: "09:00  UTC" }, `channels.C0X1.media_digest: ${format}`],
    [{ media_digest: "x09:00 UTC" }, `channels.C0X1.media_digest: ${format}`],
    [{ media_digest: "09:00 UTC x" }, `channels.C0X1.media_digest: ${format}`],
    [
      { media_digest: "09:00 Mars/Olympus" },
      "channels.C0X1.media_digest: media_digest names a time zone this runtime does not know (an IANA name, as Asia/Tokyo)",
    ],
    [{ media_digest: 900 }, "channels.C0X1.media_digest: media_digest must be a string"],
    [
      { media_digest: "09:00 UTC", stale_after_hours: 0 },
      "channels.C0X1.stale_after_hours: stale_after_hours must be 1 or more",
    ],
    [
      { media_digest: "09:00 UTC", stale_after_hours: 1.5 },
      "channels.C0X1.stale_after_hours: stale_after_hours must be a whole number",
    ],
    [
      { media_digest: "09:00 UTC", stale_after_hours: "24" },
      "channels.C0X1.stale_after_hours: stale_after_hours must be a number",
    ],
  ])("refuses %j, naming the field", (fields, message) => {
    const document = policyWith(fields);
    expect(() => parsePolicy(document, "policy.yml")).toThrow(PolicyError);
    expect(() => parsePolicy(document, "policy.yml")).toThrow(`policy.yml is invalid: ${message}`);
  });

  it.each([
    ["Asia/Tokyo", true],
    ["UTC", true],
    ["Mars/Olympus", false],
    ["", false],
  ])("knows zone %j: %s", (zone, known) => {
    expect(knownZone(zone)).toBe(known);
  });
});
