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
 * Decided on what is known:
 * - A claim DynamoDB cannot answer: nothing is posted, and the next round (a minute later) asks
 *   again.
 * - A try that surely posted nothing (the secret, ECL's list or the sightings failed, or Slack
 *   answered a passing refusal such as a rate limit) gives its claim back: it is tried again
 *   {@link DIGEST_RETRY_MS} later, at most {@link DIGEST_TRIES} times in all.
 * - A post whose answer never came (a timeout, an HTTP 5xx) may have been made: it is not tried
 *   again, since one missed reminder costs less than a channel that cannot trust bm to post once.
 * - A permanent refusal (bm is not in the channel) would be refused again: not tried again.
 * Every try this follow-up claimed is audited (`sent:media-digest`, by bm), whatever came of it.
 */
import { describeError } from "../errors";
import { BM_USER, shortId } from "../operations/operation";
import { nextSightings, sameSightings } from "../operations/sightings";
import { auditRead, standaloneEvent } from "../operations/standalone-event";
import { digestMessage, staleGroups } from "../slack/digest-message";
import type { ImageGroup } from "../slack/media-message";
import { SlackApiError } from "../slack/slack-error";
import { keepSightings, namedGroups, readMedia } from "../worker/answer-media";
import type { DigestClaim, DigestDeps, FollowUpDeps } from "./deps";
import { type DueDigest, digestKey, dueDigests } from "./digest-due";

/** How long after a try that posted nothing the digest is tried again. */
export const DIGEST_RETRY_MS = 10 * 60_000;
/** Tries of one digest at most: its first, and retries for about 50 minutes after. */
export const DIGEST_TRIES = 6;

/**
 * What a try of a digest came to: posted; nothing stale; held by another follow-up (or to be
 * tried later); given back to be tried again; lost (not to be tried again); or `unclaimed`, when
 * its claim could not be answered.
 */
export type DigestOutcome =
  | "posted"
  | "nothing stale"
  | "claimed elsewhere"
  | "retry"
  | "lost"
  | "unclaimed";

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
    if ((digest.notBefore.get(key) ?? 0) > now.getTime()) continue;
    outcomes.set(key, await sendDigest(deps, digest, due, now));
  }
  return outcomes;
}

/** What one try did: its outcome, and what its audit event keeps. */
interface Tried {
  outcome: "posted" | "nothing stale" | "retry" | "lost";
  facts: Record<string, string | number>;
}

async function sendDigest(
  deps: FollowUpDeps,
  digest: DigestDeps,
  due: DueDigest,
  now: Date,
): Promise<DigestOutcome> {
  const key = digestKey(due);
  const where = { channel: due.channel.channelId, date: due.date };
  let claim: DigestClaim | undefined;
  try {
    claim = await digest.claims.claim(due.channel.channelId, due.date, now);
  } catch (error) {
    deps.log.warn("could not claim the media digest; the next round asks again", {
      ...where,
      error: describeError(error),
    });
    return "unclaimed";
  }
  if (!claim) {
    digest.notBefore.set(key, Number.POSITIVE_INFINITY);
    return "claimed elsewhere";
  }
  const tried = await tryDigest(deps, digest, due, now, claim);
  const retryAt = now.getTime() + DIGEST_RETRY_MS;
  if (tried.outcome === "retry") {
    try {
      await digest.claims.release(due.channel.channelId, due.date, claim, new Date(retryAt));
    } catch (error) {
      // Still held: no follow-up takes it again, and the digest is lost.
      deps.log.warn("could not give the media digest back; it is lost for this date", {
        ...where,
        error: describeError(error),
      });
      tried.outcome = "lost";
      tried.facts.release = "failed";
    }
  }
  digest.notBefore.set(key, tried.outcome === "retry" ? retryAt : Number.POSITIVE_INFINITY);
  await auditRead(deps, digestEvent(deps, due, claim, tried, now));
  return tried.outcome;
}

/** One try of a claimed digest: never throws. */
async function tryDigest(
  deps: FollowUpDeps,
  digest: DigestDeps,
  due: DueDigest,
  now: Date,
  claim: DigestClaim,
): Promise<Tried> {
  const where = { channel: due.channel.channelId, date: due.date, try: claim.tries + 1 };
  let posting = false;
  try {
    const message = await staleMessage(deps, digest, due, now);
    if (!message) {
      deps.log.info("media digest: nothing stale, nothing posted", where);
      return { outcome: "nothing stale", facts: { servers: 0 } };
    }
    posting = true;
    await deps.chat.post(due.channel.channelId, message.message);
    return { outcome: "posted", facts: { servers: message.servers, images: message.images } };
  } catch (error) {
    const unknown = posting && mayHavePosted(error);
    const again = !posting || (!unknown && (error as SlackApiError).passing);
    const last = claim.tries + 1 >= DIGEST_TRIES;
    const outcome = again && !last ? "retry" : "lost";
    deps.log.warn(
      outcome === "retry"
        ? "the media digest failed and posted nothing; it is tried again later"
        : "the media digest is lost for this date",
      { ...where, error: describeError(error) },
    );
    return {
      outcome,
      facts: {
        error: error instanceof SlackApiError ? error.code : describeError(error),
        ...(unknown ? { posted: "unknown" } : {}),
      },
    };
  }
}

/**
 * Whether a post that failed may have been made all the same: its answer never came (a timeout,
 * a lost connection) or was an HTTP 5xx. A refusal Slack answered (`ratelimited`,
 * `not_in_channel`, an HTTP 4xx) posted nothing.
 */
export function mayHavePosted(error: unknown): boolean {
  if (!(error instanceof SlackApiError)) return true;
  // The adapter names an HTTP failure `http_<status>` (slack-error.ts).
  return error.code === "no_response" || error.code.startsWith("http_5");
}

/** The digest's message and its counts; undefined when nothing is stale. */
async function staleMessage(deps: FollowUpDeps, digest: DigestDeps, due: DueDigest, now: Date) {
  const channel = due.channel;
  // The policy made the channel's tenant and its secret: the tenant is the channel's by definition.
  const secret = deps.policy.tenants[channel.tenant]?.secret as string;
  const tenant = await deps.openTenant(secret);
  const { listed, scope, complete } = await readMedia(tenant.ecl, undefined);
  // Without the sightings, nothing can be told stale: thrown, and tried again.
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
  if (groups.length === 0) return undefined;
  const servers = new Set(groups.flatMap((g) => g.servers.map((m) => m.server.id))).size;
  return {
    message: digestMessage(groups, hours, now, all),
    servers,
    images: groups.length,
  };
}

/** The audit event of one try: by bm, under an id of the channel's digest of that date and try. */
function digestEvent(
  deps: FollowUpDeps,
  due: DueDigest,
  claim: DigestClaim,
  tried: Tried,
  at: Date,
) {
  const channel = due.channel;
  return standaloneEvent(
    {
      operationId: shortId("dg", `${channel.channelId}:${due.date}:${claim.tries}`),
      // The policy names one team at least; the first, as for a doctor's run.
      actor: { teamId: deps.policy.teamIds[0] as string, userId: BM_USER },
      action: "sent:media-digest",
      facts: {
        channel: channel.channelId,
        tenant: channel.tenant,
        date: due.date,
        try: claim.tries + 1,
        staleAfterHours: channel.mediaDigest.staleAfterHours,
        outcome: tried.outcome,
        ...tried.facts,
      },
    },
    at,
  );
}
