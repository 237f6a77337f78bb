/**
 * The follow-up: watches every operation in `detaching` until ECL shows it finished (or the limit
 * passes), and posts any message still owed. One `servers/detail` list per tenant per round.
 * A round expires what waited too long (expire.ts), hands over what the worker lost
 * (hand-over.ts), and settles each detach by what ECL shows (settle.ts).
 */

import { randomUUID } from "node:crypto";
import type { Server } from "../ecl/server";
import type { Tenant } from "../ecl/tenants";
import { describeError } from "../errors";
import type { InFlight, Operation } from "../operations/operation";
import { announce, flushAudit } from "../operations/record";
import type { FollowUpDeps } from "./deps";
import { expireRequests } from "./expire";
import { handOver } from "./hand-over";
import { look, settle } from "./settle";
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
 * end, so polling goes on without a gap.
 */
export async function followUp(
  deps: FollowUpDeps,
  remainingMs: () => number,
  trigger: Trigger = "schedule",
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
 * Every operation in flight, by kind (one scan of the sparse index); undefined, logged, when
 * DynamoDB cannot say: the next round asks again.
 */
async function inFlight(deps: FollowUpDeps): Promise<Map<InFlight, Operation[]> | undefined> {
  try {
    const byKind = new Map<InFlight, Operation[]>();
    for (const op of await deps.store.listInFlight()) {
      if (op.inflight) byKind.set(op.inflight, [...(byKind.get(op.inflight) ?? []), op]);
    }
    return byKind;
  } catch (error) {
    deps.log.warn("could not list what is in flight; next round asks again", {
      error: describeError(error),
    });
    return undefined;
  }
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
  report.handedBack = await wakeWaiting(deps, waiting);
  const owing = await postOwed(deps, [
    ...of("approved"),
    ...waiting,
    ...of("executing"),
    ...of("detaching"),
  ]);
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
  const detaching = of("detaching");
  let finished = 0;
  const bySecret = new Map<string, Operation[]>();
  for (const op of detaching) {
    bySecret.set(op.secretId, [...(bySecret.get(op.secretId) ?? []), op]);
  }
  await Promise.all(
    [...bySecret].map(async ([secretId, ops]) => {
      let servers: Map<string, Server>;
      let tenant: Tenant;
      try {
        tenant = await deps.openTenant(secretId);
        servers = new Map((await tenant.ecl.listServers()).map((s) => [s.id, s]));
      } catch (error) {
        report.tenantsFailed++;
        deps.log.warn("could not list servers; next round tries again", {
          secretId,
          operations: ops.map((o) => o.id),
          error: describeError(error),
        });
        return;
      }
      for (const listed of ops) {
        const op = await flushAudit(deps, listed);
        try {
          const outcome = await settle(deps, op, await look(deps, tenant, servers, op));
          if (outcome) finished++;
          if (outcome === "done") report.done++;
          if (outcome === "timed_out") report.timedOut++;
        } catch (error) {
          deps.log.warn("could not finish; next round tries again", {
            operationId: op.id,
            error: describeError(error),
          });
        }
      }
    }),
  );
  report.watching =
    detaching.length - finished + (notices.length - report.announced) + waiting.length + owing;
  return report;
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
