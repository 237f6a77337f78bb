/**
 * The follow-up: watches every operation in `detaching` until ECL shows it finished (or the limit
 * passes), and posts any message still owed. Each tenant's watched servers are observed once a
 * round, at a cost that grows with what is in flight, not with the fleet (observe.ts).
 * A round expires what waited too long (expire.ts), hands over what the worker lost
 * (hand-over.ts), settles each detach by what ECL shows (settle.ts), and ends the requests still
 * awaiting approval for an image a detach has just removed (lib/operations/detached-first.ts).
 */

import { randomUUID } from "node:crypto";
import type { Server } from "../ecl/server";
import { describeError } from "../errors";
import { endDetachedFirst } from "../operations/detached-first";
import type { InFlight, Operation } from "../operations/operation";
import { announce, flushAudit } from "../operations/record";
import { boundTo } from "../policy/in-force";
import type { FollowUpDeps } from "./deps";
import { sendDigests } from "./digest";
import { expireRequests } from "./expire";
import { carryOutFleets } from "./fleet-round";
import { handOver } from "./hand-over";
import { type Look, observe } from "./observe";
import { watchOutboxes } from "./outbox";
import { type SettleLook, settle } from "./settle";
import { wakeWaiting } from "./wake";

/** What one round did, for logs and tests. */
export interface RoundReport {
  done: number;
  timedOut: number;
  announced: number;
  tenantsFailed: number;
  expired: number;
  /** Detaches waiting for a busy server, handed back to the worker (wake.ts). */
  handedBack: number;
  /**
   * Operations that want the next round soon: detaches ECL has not finished, messages still owed.
   * Zero means the invocation may end: the schedule (or the worker's start after a POST) brings
   * the next one.
   */
  watching: number;
}

/** What started this invocation: the schedule, or the worker after a detach ECL accepted. */
export type Trigger = "schedule" | "worker";

/**
 * Runs a round, and more rounds every `pollIntervalMs` while something is being watched and the
 * invocation has more than `marginMs` left after the next wait: completion is reported within
 * seconds, and an idle bm costs one short invocation a minute (one scan of the sparse index).
 * One invocation polls at a time, holding the lease: a start from the worker that meets a holder
 * ends at once (the holder polls everything in flight); the schedule's waits for the holder to
 * end, so polling goes on without a gap. The schedule's invocation also sends the media digests
 * that are due (digest.ts), beside the polling, which they never hold up.
 */
export async function followUp(
  deps: FollowUpDeps,
  remainingMs: () => number,
  trigger: Trigger = "schedule",
): Promise<RoundReport[]> {
  const digests = trigger === "schedule" ? sendDigests(deps) : undefined;
  try {
    return await poll(deps, remainingMs, trigger);
  } finally {
    await digests;
  }
}

async function poll(
  deps: FollowUpDeps,
  remainingMs: () => number,
  trigger: Trigger,
): Promise<RoundReport[]> {
  const holder = randomUUID();
  if (!(await holdLease(deps, holder, remainingMs, trigger))) return [];
  try {
    const reports: RoundReport[] = [];
    for (;;) {
      const report = await round(deps);
      reports.push(report);
      if (report.watching === 0) return reports;
      if (remainingMs() - deps.pollIntervalMs < deps.marginMs) return reports;
      await deps.sleep(deps.pollIntervalMs);
    }
  } finally {
    await deps.lease?.release(holder).catch((error: unknown) =>
      deps.log.warn("could not let go of the follow-up's lease; it lapses at its end", {
        error: describeError(error),
      }),
    );
  }
}

/**
 * Takes the lease until this invocation's end. A lease DynamoDB cannot say anything about is no
 * reason to stop watching: two follow-ups at once are harmless (each write is conditional, so
 * one of them settles, hands over and posts; the other only reads), so the invocation polls.
 */
async function holdLease(
  deps: FollowUpDeps,
  holder: string,
  remainingMs: () => number,
  trigger: Trigger,
): Promise<boolean> {
  const lease = deps.lease;
  if (!lease) return true;
  for (;;) {
    const now = deps.now().getTime();
    try {
      if (await lease.take(holder, now + remainingMs(), now)) return true;
    } catch (error) {
      deps.log.warn("could not take the follow-up's lease; polling all the same", {
        error: describeError(error),
      });
      return true;
    }
    if (trigger === "worker") return false;
    if (remainingMs() - deps.pollIntervalMs < deps.marginMs) return false;
    await deps.sleep(deps.pollIntervalMs);
  }
}

/**
 * Every operation in flight, by kind (one scan of the sparse index), their outboxes watched
 * (outbox.ts); undefined, logged, when DynamoDB cannot say: the next round asks again.
 */
async function inFlight(deps: FollowUpDeps): Promise<Map<InFlight, Operation[]> | undefined> {
  let listed: Operation[];
  try {
    listed = await deps.store.listInFlight();
  } catch (error) {
    deps.log.warn("could not list what is in flight; next round asks again", {
      error: describeError(error),
    });
    return undefined;
  }
  const { ops } = await watchOutboxes(deps, listed);
  const byKind = new Map<InFlight, Operation[]>();
  for (const op of ops) {
    if (op.inflight) byKind.set(op.inflight, [...(byKind.get(op.inflight) ?? []), op]);
  }
  return byKind;
}

/** One round over every operation in flight. Failures are logged and left for the next round. */
export async function round(deps: FollowUpDeps): Promise<RoundReport> {
  const report: RoundReport = {
    done: 0,
    timedOut: 0,
    announced: 0,
    tenantsFailed: 0,
    expired: 0,
    handedBack: 0,
    watching: 0,
  };
  const all = await inFlight(deps);
  if (!all) {
    // DynamoDB could not say: something may be waiting, so look again next round.
    report.watching = 1;
    return report;
  }
  const of = (kind: InFlight) => all.get(kind) ?? [];
  report.expired = await expireRequests(deps, of("awaiting_approval"));
  await handOver(deps, of);
  const waiting = of("waiting_for_idle");
  const notices = of("notice");
  for (const op of notices) {
    try {
      await announce(deps, await flushAudit(deps, op));
      report.announced++;
    } catch (error) {
      deps.log.warn("could not post; next round tries again", {
        operationId: op.id,
        error: describeError(error),
      });
    }
  }
  // A fleet request in `detaching` is its targets being carried out (fleet-round.ts): nothing to settle.
  const detaching = of("detaching").filter((op) => !op.fleet);
  let finished = 0;
  // One observation of each tenant's watched servers (detaching, and waiting for idle) a round.
  const bySecret = new Map<string, Operation[]>();
  for (const op of [...detaching, ...waiting]) {
    bySecret.set(op.secretId, [...(bySecret.get(op.secretId) ?? []), op]);
  }
  await Promise.all(
    [...bySecret].map(async ([secretId, ops]) => {
      const looks = await observeTenant(deps, secretId, ops);
      if (!looks.read) report.tenantsFailed++;
      report.handedBack += await wakeWaiting(
        deps,
        ops.filter((op) => op.state === "waiting_for_idle"),
        // Only a look that saw the server has one.
        (op) => (looks.of(op) as { server?: Server }).server,
      );
      const settling = ops.filter((op) => op.state === "detaching");
      await inBatches(settling, SETTLE_CONCURRENCY, async (listed) => {
        try {
          const op = await flushAudit(deps, listed);
          const outcome = await settle(deps, op, settleLook(deps, op, looks.of(op)));
          if (outcome) finished++;
          if (outcome === "done") {
            report.done++;
            await endDetachedFirst(deps, op, of("awaiting_approval"));
          }
          if (outcome === "timed_out") report.timedOut++;
        } catch (error) {
          deps.log.warn("could not finish; next round tries again", {
            operationId: listed.id,
            error: describeError(error),
          });
        }
      });
    }),
  );
  // After the settles, which tallied their targets' ends: releases, ends and progress of fleets.
  const fleets = await carryOutFleets(deps, [...all.values()].flat());
  // After the hand-backs and settles, which may have written them: postOwed reads them again.
  const owing = await postOwed(deps, [
    ...of("approved"),
    ...waiting,
    ...of("executing"),
    ...of("detaching"),
  ]);
  report.watching =
    detaching.length -
    finished +
    (notices.length - report.announced) +
    waiting.length +
    owing +
    fleets;
  return report;
}

/**
 * Operations settled at once per tenant: each settle is a few DynamoDB writes and Slack posts, so
 * 200 finishing together are told within a round or two, without a burst Slack would refuse.
 */
const SETTLE_CONCURRENCY = 8;

/** Runs `each` over `items`, `width` at a time. */
async function inBatches<T>(
  items: T[],
  width: number,
  each: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await each(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

/**
 * What ECL shows of a tenant's watched servers this round (observe.ts). A tenant that cannot be
 * opened (its secret, Keystone) is a look of "unknown" for each, so the detach timeout still
 * applies: nothing waits on a tenant for ever. An operation whose channel is not bound to the
 * tenant and secret it names (an item written straight into the table) is not read with that
 * secret: logged, its look "unknown", it ends as any unread one does (a wait handed back to the
 * worker, which refuses it; a detach timed out). `read` is false when nothing at all was read.
 */
async function observeTenant(
  deps: FollowUpDeps,
  secretId: string,
  ops: Operation[],
): Promise<{ read: boolean; of(op: Operation): Look }> {
  const looks = new Map<string, Look>();
  const bound: Operation[] = [];
  for (const op of ops) {
    const verdict = boundTo(deps, op);
    if (verdict.ok) {
      bound.push(op);
      continue;
    }
    deps.log.warn("not read: the operation names a secret that is not its channel's tenant's", {
      operationId: op.id,
      secretId,
      reason: verdict.reason,
    });
    const error = new Error(`not read: ${verdict.why}`);
    looks.set(op.id, { kind: "unknown", reason: error.message, error });
  }
  const ids = bound.map((op) => op.serverId as string);
  let seen: Map<string, Look> = new Map();
  if (ids.length > 0) {
    try {
      const tenant = await deps.openTenant(secretId);
      seen = await observe(deps, tenant, ids);
    } catch (error) {
      const reason = describeError(error);
      seen = new Map(ids.map((id) => [id, { kind: "unknown", reason, error }]));
    }
  }
  // observe() answers for every id it is given, as the catch above does.
  for (const op of bound) looks.set(op.id, seen.get(op.serverId as string) as Look);
  const all = [...looks.values()];
  const read = all.some((look) => look.kind === "seen" || look.kind === "gone");
  if (!read) {
    // Nothing seen nor gone: every look is unknown or absent, and says why.
    const first = all[0] as Extract<Look, { reason: string }>;
    deps.log.warn("could not read the tenant's servers; next round tries again", {
      secretId,
      operations: ops.map((o) => o.id),
      error: first.reason,
    });
  }
  return { read, of: (op) => looks.get(op.id) as Look };
}

/** A look as settle.ts takes it: what is not known is "unread", and decides nothing but time. */
function settleLook(deps: FollowUpDeps, op: Operation, seen: Look): SettleLook {
  if (seen.kind === "seen") return { server: seen.server };
  if (seen.kind === "gone") return { gone: seen.error };
  deps.log.warn("the server could not be read; next round tries again", {
    operationId: op.id,
    look: seen.kind,
    reason: seen.reason,
  });
  return { unread: seen.error };
}

/**
 * Posts what operations still on their way owe Slack (the worker could not post it: a rate
 * limit, an outage), once Slack's Retry-After has passed. Returns how many still owe something.
 */
async function postOwed(deps: FollowUpDeps, ops: Operation[]): Promise<number> {
  let owing = 0;
  const now = deps.now().getTime();
  for (const op of ops) {
    if ((op.noticedSeq ?? 0) >= op.seq) continue;
    if ((op.noticeRetryAt ?? 0) > now) {
      owing++; // Slack's Retry-After still runs
      continue;
    }
    try {
      // Read again: this round may have written it since it was listed (a hand-back's claim).
      const current = (await deps.store.get(op.id)) ?? op;
      const posted = await announce(deps, await flushAudit(deps, current));
      if ((posted.noticedSeq ?? 0) < posted.seq) owing++;
    } catch (error) {
      owing++;
      deps.log.warn("could not post; next round tries again", {
        operationId: op.id,
        error: describeError(error),
      });
    }
  }
  return owing;
}
