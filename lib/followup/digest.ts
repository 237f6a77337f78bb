/**
 * The daily media digest: in each channel whose policy sets `media_digest`, once a day at its
 * local time, the servers whose media bm has seen mounted longer than `stale_after_hours`.
 *
 * Whether one is due is told by the policy and the clock alone (digest-due.ts); only then does
 * the follow-up make a call: it claims the channel's digest of that date (one conditional put:
 * of two follow-ups, one posts), then lists the tenant's servers as /bm media does, refreshes the
 * sightings, and posts what is stale. Nothing stale: nothing is posted (a daily "all clear" would
 * teach the channel to skip the message that matters).
 *
 * A claim DynamoDB cannot answer is an unknown: nothing is posted, and the next round (a minute
 * later) asks again. Once claimed, the digest is that date's: a list, a sightings read or a post
 * that fails after it is logged and the digest is lost (tomorrow's comes): trying again could post
 * it twice (a Slack post whose answer was lost may have been made), and one missed reminder
 * costs less than a channel that cannot trust bm to post once.
 */
import { describeError } from "../errors";
import { nextSightings, sameSightings } from "../operations/sightings";
import { digestMessage, staleGroups } from "../slack/digest-message";
import type { ImageGroup } from "../slack/media-message";
import { keepSightings, namedGroups, readMedia } from "../worker/answer-media";
import type { DigestDeps, FollowUpDeps } from "./deps";
import { type DueDigest, digestKey, dueDigests } from "./digest-due";

/** What a digest came to: posted, nothing stale, or not this container's (claimed elsewhere). */
export type DigestOutcome = "posted" | "nothing stale" | "claimed elsewhere" | "lost" | "unknown";

/**
 * Sends the digests due now that this container has not settled yet. Returns each one's outcome,
 * by its key; never throws (every failure is logged).
 */
export async function sendDigests(deps: FollowUpDeps): Promise<Map<string, DigestOutcome>> {
  const outcomes = new Map<string, DigestOutcome>();
  const digest = deps.digest;
  if (!digest) return outcomes;
  const now = deps.now();
  for (const due of dueDigests(Object.values(deps.policy.channels), now)) {
    const key = digestKey(due);
    if (digest.settled.has(key)) continue;
    outcomes.set(key, await sendDigest(deps, digest, due, now));
  }
  return outcomes;
}

async function sendDigest(
  deps: FollowUpDeps,
  digest: DigestDeps,
  due: DueDigest,
  now: Date,
): Promise<DigestOutcome> {
  const where = { channel: due.channel.channelId, date: due.date };
  let claimed: boolean;
  try {
    claimed = await digest.claims.claim(due.channel.channelId, due.date, now);
  } catch (error) {
    deps.log.warn("could not claim the media digest; the next round asks again", {
      ...where,
      error: describeError(error),
    });
    return "unknown";
  }
  digest.settled.add(digestKey(due));
  if (!claimed) return "claimed elsewhere";
  try {
    return await postDigest(deps, digest, due, now);
  } catch (error) {
    deps.log.warn("the media digest is lost for this date: it failed after its claim", {
      ...where,
      error: describeError(error),
    });
    return "lost";
  }
}

async function postDigest(
  deps: FollowUpDeps,
  digest: DigestDeps,
  due: DueDigest,
  now: Date,
): Promise<DigestOutcome> {
  const channel = due.channel;
  // The policy made the channel's tenant and its secret: the tenant is the channel's by definition.
  const secret = deps.policy.tenants[channel.tenant]?.secret as string;
  const tenant = await deps.openTenant(secret);
  const { listed, scope, complete } = await readMedia(tenant.ecl, undefined);
  // Without the sightings, nothing can be told stale: thrown, logged, lost.
  const read = await digest.sightings.read(channel.tenant);
  const seen = nextSightings(read.seen, listed, complete, now);
  const hours = channel.mediaDigest.staleAfterHours;
  let all: ImageGroup[] | undefined;
  const { groups } = await namedGroups(tenant.ecl, listed, scope, seen, (grouped) => {
    all = grouped;
    return staleGroups(grouped, hours, now);
  });
  if (!sameSightings(read.seen, seen))
    await keepSightings({ sightings: digest.sightings, log: deps.log }, channel.tenant, read, seen);
  if (groups.length === 0) {
    deps.log.info("media digest: nothing stale, nothing posted", {
      channel: channel.channelId,
      date: due.date,
    });
    return "nothing stale";
  }
  await deps.chat.post(channel.channelId, digestMessage(groups, hours, now, all));
  return "posted";
}
