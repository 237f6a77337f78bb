/**
 * Making an operation's changes stick: a transition is saved (a conditional write), its audit
 * event appended, and the message it owes posted in Slack exactly once.
 */

import { isDeepStrictEqual } from "node:util";
import type { Metrics } from "../metrics";
import type { Chat } from "../slack/chat";
import { fleetCard, fleetNotice } from "../slack/fleet-messages";
import { broadcasts, parentMessage, requesterNotice, threadNotice } from "../slack/messages";
import { SlackApiError, slackApiError } from "../slack/slack-error";
import { bmActor, isTerminal, type Operation, record, transition } from "./operation";
import type { AuditLog, OperationStore } from "./ports";

export interface RecordDeps {
  store: OperationStore;
  audit: AuditLog;
  chat: Chat;
  now: () => Date;
  idleWaitS: number;
  log: { warn(message: string, extra?: object): void };
  metrics?: Metrics;
  /**
   * Told of each operation whose card was just posted or updated (its state changed): the Home
   * tabs that show it are published again. Best effort: never throws into the announce.
   */
  changed?: (op: Operation) => Promise<void>;
}

/** How long a poster may take before another may try: far above a few Slack calls. */
const NOTICE_LEASE_MS = 60_000;
/** How long Slack honours a slash command's response_url. */
const RESPONSE_URL_TTL_MS = 30 * 60_000;

/**
 * Saves a transition made by {@link transition}, its audit event in the operation's outbox in the
 * same write, then appends the event to the audit table. Returns the saved operation, or undefined
 * when another writer moved it first (the caller then stops: the other writer owns what follows).
 * Once the save has happened it does not throw: an append that fails waits in the outbox.
 */
export async function commit(
  deps: Pick<RecordDeps, "store" | "audit" | "log" | "metrics">,
  prev: Operation,
  next: Operation,
): Promise<Operation | undefined> {
  const saved = await saveOver(deps, prev, next);
  if (!saved) return undefined;
  if (saved.state !== prev.state) measure(deps, saved);
  if (saved.lockKey && isTerminal(saved.state)) {
    // Its end frees the server and image for the next request. A lock left behind (this call
    // failed) is taken over by the next request, which finds its holder ended.
    await deps.store.unlock(saved.lockKey, saved.id).catch((error: unknown) => {
      deps.log.warn("could not release the lock; the next request takes it over", {
        operationId: saved.id,
        error: (error as Error).name,
      });
    });
  }
  return flushAudit(deps, saved);
}

/** How many times a write is laid again over bookkeeping another writer did meanwhile. */
const REBASES = 3;

/**
 * Saves `next` over `prev`; should another writer have written the operation meanwhile but
 * decided nothing (the same state, no event since, none of the fields `next` changes: a notice's
 * lease, the card's ts, a hand-back's claim), the write is laid again over what it wrote.
 * Undefined when the other writer decided something: that writer owns what follows. Without
 * this, a follow-up posting a card while the worker's detach was at ECL made the worker lose its
 * `detaching` write, and the operation waited for the hand-over, a minute later.
 */
async function saveOver(
  deps: Pick<RecordDeps, "store">,
  prev: Operation,
  next: Operation,
): Promise<Operation | undefined> {
  let base = prev;
  let write: Operation | undefined = next;
  for (let tries = 0; ; tries++) {
    const saved = await deps.store.save(base, write);
    if (saved || tries === REBASES) return saved;
    const fresh = await deps.store.get(prev.id);
    // The same revision: nobody wrote it since (the write was refused for another reason).
    if (!fresh || fresh.rev === base.rev) return undefined;
    write = rebase(prev, next, fresh);
    if (!write) return undefined;
    base = fresh;
  }
}

/**
 * `next`, made from `prev`, laid over `fresh` instead: what `next` changed is kept, the rest is
 * `fresh`'s (a field `fresh` no longer has is left out). Undefined when `fresh` changed a field
 * `next` changes too: so whenever it was decided on since `prev` (a transition or an event
 * changes `seq`, as `next` does). The audit outbox is `next`'s: appending an event again changes
 * nothing.
 */
export function rebase(prev: Operation, next: Operation, fresh: Operation): Operation | undefined {
  const laid: Record<string, unknown> = {};
  const was = prev as unknown as Record<string, unknown>;
  const now = next as unknown as Record<string, unknown>;
  const theirs = fresh as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(was), ...Object.keys(now), ...Object.keys(theirs)])) {
    const ours = !isDeepStrictEqual(was[key], now[key]);
    if (ours && key !== "unaudited" && !isDeepStrictEqual(was[key], theirs[key])) return undefined;
    const value = ours ? now[key] : theirs[key];
    if (value !== undefined) laid[key] = value;
  }
  return laid as unknown as Operation;
}

/**
 * The metrics of a transition that has just been saved: counted once, by the writer that won (an
 * event that changes no state, a re-check say, counts nothing).
 */
function measure(deps: Pick<RecordDeps, "metrics">, op: Operation): void {
  const metrics = deps.metrics;
  if (!metrics) return;
  const at = Date.parse(op.updatedAt);
  if (isTerminal(op.state)) {
    metrics.put("OperationFinished", 1, op.state);
    if (op.state === "done" && op.detachStartedAt)
      metrics.put("DetachSeconds", (at - Date.parse(op.detachStartedAt)) / 1000);
  }
  if (op.state === "approved" && op.approvalsRequired > 0)
    metrics.put("ApprovalWaitSeconds", (at - Date.parse(op.createdAt)) / 1000);
}

/**
 * Appends the events waiting in the operation's outbox, in order (appending is idempotent), and
 * takes those appended out of it. Never throws: what could not be appended waits for the next
 * touch. Returns the operation as it now stands.
 */
export async function flushAudit(
  deps: Pick<RecordDeps, "store" | "audit" | "log" | "metrics">,
  op: Operation,
): Promise<Operation> {
  const waiting = op.unaudited ?? [];
  const appended: number[] = [];
  for (const event of waiting) {
    try {
      await deps.audit.append(event);
      appended.push(event.seq);
    } catch (error) {
      // AuditConflict: another item holds the event's place (lib/aws/dynamo/audit-log.ts).
      const name = (error as Error).name;
      if (name === "AuditConflict") deps.metrics?.put("AuditConflict", 1);
      else deps.metrics?.put("AuditWriteError", 1);
      deps.log.warn("audit append failed; the event waits in the outbox", {
        operationId: op.id,
        seq: event.seq,
        error: name,
      });
      break;
    }
  }
  if (appended.length === 0) return op;
  const rest = waiting.filter((e) => !appended.includes(e.seq));
  const settled = rest.length === 0 && op.inflight === "notice" && (op.noticedSeq ?? 0) >= op.seq;
  await deps.store.clearAudited(op, appended, settled).catch((error: unknown) => {
    deps.log.warn("could not clear the audit outbox; it is appended again later", {
      operationId: op.id,
      error: (error as Error).name,
    });
  });
  const flushed: Operation = { ...op, unaudited: rest };
  if (settled) delete flushed.inflight;
  return flushed;
}

/**
 * Posts what the operation owes Slack for its latest transition: the parent message (posted the
 * first time, updated after) and the thread reply of its state. A lease stops two pollers from
 * posting twice; a passing failure releases it, so the next attempt posts instead (after a rate
 * limit, not before Slack's Retry-After): nothing is lost. A permanent refusal (the bot is not in
 * the channel, the token is revoked) is never retried: it is audited, the requester is told
 * through the slash command's response_url, and an approval request that never reached the
 * channel ends.
 * Returns the operation as saved.
 * @throws SlackApiError for a passing failure, after releasing the lease, and while Slack's
 *   Retry-After runs (with the seconds left).
 */
export async function announce(deps: RecordDeps, op: Operation): Promise<Operation> {
  if ((op.noticedSeq ?? 0) >= op.seq) return op;
  if (op.parentId) return tallyInstead(deps, op);
  const now = deps.now();
  const wait = (op.noticeRetryAt ?? 0) - now.getTime();
  if (wait > 0) throw new SlackApiError("chat", "ratelimited", "passing", Math.ceil(wait / 1000));
  if ((op.noticeLeaseUntil ?? 0) > now.getTime()) return op;
  const leased = await deps.store.save(op, {
    ...op,
    noticeLeaseUntil: now.getTime() + NOTICE_LEASE_MS,
  });
  if (!leased) return (await deps.store.get(op.id)) ?? op;
  if (leased.slackRefused) return tellRequesterInstead(deps, leased);

  let current = leased;
  let { parentTs } = leased;
  try {
    const parent = leased.fleet ? fleetCard(leased) : parentMessage(leased);
    if (!parentTs) {
      parentTs = await deps.chat.post(leased.channelId, parent);
      const permalink = await deps.chat
        .permalink(leased.channelId, parentTs)
        .catch(() => undefined);
      // Kept at once, whatever a click or a poller wrote meanwhile: a card whose ts were lost
      // would be posted again, and the first would keep live buttons.
      current = await keepParent(deps, leased, parentTs, permalink);
    } else {
      await deps.chat.update(leased.channelId, parentTs, parent);
    }
    const notice = leased.fleet
      ? fleetNotice(leased, now, deps.idleWaitS)
      : threadNotice(leased, now, deps.idleWaitS);
    // A failure or a time-out is shown in the channel too, not only in its thread.
    if (notice)
      await deps.chat.post(leased.channelId, notice, parentTs, { broadcast: broadcasts(leased) });
  } catch (caught) {
    if (caught instanceof ParentNotKept) {
      await deps.store.save(leased, without(leased, "noticeLeaseUntil")).catch(() => undefined);
      throw caught.cause;
    }
    const error = slackApiError("chat", caught);
    if (error.kind === "permanent") return refused(deps, current, current, error);
    // Passing: free the lease; after a rate limit, nobody tries before Slack's Retry-After.
    const released = without(current, "noticeLeaseUntil");
    // Counted from when Slack answered, not from when bm began: never a try before it.
    if (error.retryAfterS) released.noticeRetryAt = deps.now().getTime() + error.retryAfterS * 1000;
    await deps.store.save(current, released).catch(() => undefined);
    throw error;
  }
  const done = without(
    { ...current, noticedSeq: Math.max(current.noticedSeq ?? 0, leased.seq) },
    "noticeLeaseUntil",
    "noticeRetryAt",
  );
  // Out of the follow-up's index once nothing is owed: no message, no audit event.
  if (done.inflight === "notice" && !done.unaudited?.length) delete done.inflight;
  await deps.changed?.(leased).catch(() => undefined);
  const saved = await deps.store.save(current, done);
  if (saved) return saved;
  // Another writer got there first: merge the bookkeeping into what it wrote, so that its own
  // message is not held back by a lease nobody holds any more.
  const latest = await deps.store.get(leased.id);
  if (!latest || latest.noticeLeaseUntil !== leased.noticeLeaseUntil) return latest ?? current;
  const merged = without(
    { ...latest, noticedSeq: Math.max(latest.noticedSeq ?? 0, leased.seq) },
    "noticeLeaseUntil",
  );
  return (await deps.store.save(latest, merged)) ?? latest;
}

/**
 * A fleet's target posts nothing of its own (no card, no thread reply): its state goes to its
 * fleet's tally, which the fleet's card shows, coalesced (lib/followup/fleet-round.ts); its
 * notice is then given.
 */
async function tallyInstead(deps: RecordDeps, op: Operation): Promise<Operation> {
  await deps.store.setTally(op.parentId as string, op.id, op.state);
  const done = without({ ...op, noticedSeq: op.seq }, "noticeLeaseUntil", "noticeRetryAt");
  if (done.inflight === "notice" && !done.unaudited?.length) delete done.inflight;
  return (await deps.store.save(op, done)) ?? (await deps.store.get(op.id)) ?? op;
}

/** The card was posted but its ts could not be kept (and the card was withdrawn). */
class ParentNotKept extends Error {}

/**
 * Keeps the ts of a card just posted. If DynamoDB cannot take it, the card is deleted again, so
 * that the next attempt's card is the only one (a card whose ts is lost would keep live buttons).
 * @throws ParentNotKept, with DynamoDB's error as its cause.
 */
async function keepParent(
  deps: RecordDeps,
  op: Operation,
  parentTs: string,
  permalink: string | undefined,
): Promise<Operation> {
  try {
    return await deps.store.setParent(op.id, parentTs, permalink);
  } catch (error) {
    deps.log.warn("could not keep the card's ts; withdrawing the card", {
      operationId: op.id,
      error: (error as Error).name,
    });
    await deps.chat.remove(op.channelId, parentTs).catch((removal: unknown) => {
      const refusal = slackApiError("chat.delete", removal);
      deps.log.warn("could not withdraw the card", {
        operationId: op.id,
        slackError: refusal.code,
        method: refusal.method,
      });
    });
    throw new ParentNotKept("the card's ts could not be kept", { cause: error });
  }
}

/**
 * Slack refused bm's message for good. The refusal is an audit event; nothing more is posted in
 * the channel for this operation; an approval request whose card never reached the channel ends
 * (nobody could approve it); and the requester is told, with the fix, through the response_url.
 */
async function refused(
  deps: RecordDeps,
  leased: Operation,
  posted: Operation,
  error: SlackApiError,
): Promise<Operation> {
  const now = deps.now();
  const bm = bmActor(leased);
  const slackRefused = { code: error.code, method: error.method, at: now.toISOString() };
  deps.log.warn("Slack refused bm's message; not retried", {
    operationId: leased.id,
    slackError: error.code,
    method: error.method,
  });
  let next = record(
    posted,
    "slack_refused",
    bm,
    now,
    { slackRefused },
    {
      error: error.code,
      method: error.method,
    },
  );
  let saved = await commit(deps, leased, without(next, "noticeLeaseUntil"));
  if (!saved) return (await deps.store.get(leased.id)) ?? leased;
  if (saved.state === "awaiting_approval" && !saved.parentTs) {
    next = transition(saved, "failed", bm, now, {
      outcome: `bm could not post the approval request in this channel (Slack answered ${error.code}), so nobody could approve it; nothing was sent to ECL.`,
    });
    saved = (await commit(deps, saved, next)) ?? saved;
  }
  return tellRequesterInstead(deps, saved, error.code);
}

/**
 * The channel refuses bm: the requester hears through the response_url instead, once when it
 * happens (`code` given) and once more with the outcome. Nothing else is owed to the channel.
 */
async function tellRequesterInstead(
  deps: RecordDeps,
  op: Operation,
  code?: string,
): Promise<Operation> {
  const ending = isTerminal(op.state) && !op.toldOutcome;
  let told = false;
  if (code !== undefined || ending) {
    const message = requesterNotice(op, deps.now(), deps.idleWaitS, code);
    const fresh = Date.parse(op.createdAt) + RESPONSE_URL_TTL_MS > deps.now().getTime();
    if (op.responseUrl && fresh) {
      told = await deps.chat.respond(op.responseUrl, message).then(
        () => true,
        (caught: unknown) => {
          const error = slackApiError("response_url", caught);
          deps.log.warn("could not tell the requester", {
            operationId: op.id,
            slackError: error.code,
            method: error.method,
          });
          return false;
        },
      );
    } else {
      deps.log.warn("could not tell the requester: no response_url any more", {
        operationId: op.id,
      });
    }
  }
  const done = without({ ...op, noticedSeq: op.seq }, "noticeLeaseUntil");
  if (ending && told) done.toldOutcome = true;
  if (done.inflight === "notice" && !done.unaudited?.length) delete done.inflight;
  return (await deps.store.save(op, done)) ?? op;
}

/** A copy without the given optional fields. */
export function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): T {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}
