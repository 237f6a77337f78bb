/**
 * When a channel's media digest is due: from the policy and the clock alone, so that an idle
 * follow-up learns it has nothing to send without a single call.
 */
import type { ChannelPolicy, MediaDigest } from "../policy/policy";

/** A clock's reading in a time zone: the local date (YYYY-MM-DD) and minutes after midnight. */
export interface LocalTime {
  date: string;
  minutes: number;
}

/** `now` as a wall clock in `zone` shows it (a zone the policy checked at load). */
export function localTime(now: Date, zone: string): LocalTime {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    parts.find((p) => p.type === type)?.value as string;
  return {
    date: `${part("year")}-${part("month")}-${part("day")}`,
    minutes: Number(part("hour")) * 60 + Number(part("minute")),
  };
}

/** A digest due now: its channel, and the local date it is for (one digest a channel a date). */
export interface DueDigest {
  channel: ChannelPolicy & { mediaDigest: MediaDigest };
  date: string;
}

/**
 * The digests whose time of day has passed today in their zone. A time a change of clock skips
 * (02:30 on a spring-forward night) is due at the first minute after it; a time that comes twice
 * (01:30 on a fall-back night) is due at both, for the same date: the claim of that date
 * (digest.ts) keeps it to one.
 */
export function dueDigests(channels: readonly ChannelPolicy[], now: Date): DueDigest[] {
  const due: DueDigest[] = [];
  for (const channel of channels) {
    const digest = channel.mediaDigest;
    if (!digest) continue;
    const local = localTime(now, digest.zone);
    if (local.minutes >= digest.minutes)
      due.push({ channel: { ...channel, mediaDigest: digest }, date: local.date });
  }
  return due;
}

/** The key a digest is claimed under, and remembered as sent. */
export function digestKey(due: Pick<DueDigest, "date"> & { channel: { channelId: string } }) {
  return `${due.channel.channelId}#${due.date}`;
}
