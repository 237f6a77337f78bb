/**
 * The follow-up: watches every operation in `detaching` until ECL shows it finished (or the limit
 * passes), and posts any message still owed. One `servers/detail` list per tenant per round.
 * A round expires what waited too long (expire.ts), hands over what the worker lost
 * (hand-over.ts), and settles each detach by what ECL shows (settle.ts).
 */

import type { Server } from "../ecl/server";
import type { Tenant } from "../ecl/tenants";
import { describeError } from "../errors";
import type { InFlight, Operation } from "../operations/operation";
import { announce, flushAudit } from "../operations/record";
import type { FollowUpDeps } from "./deps";
import { expireRequests } from "./expire";
import { handOver } from "./hand-over";
import { look, settle } from "./settle";

/** What one round did, for logs and tests. */
export interface RoundReport {
  done: number;
  timedOut: number;
  announced: number;
  tenantsFailed: number;
  expired: number;
  /**
   * Operations that want the next round soon: detaches ECL has not finished, messages still owed.
   * Zero means the invocation may end: the schedule (or the worker's start after a POST) brings
   * the next one.
   */
  watching: number;
}

/**
 * Runs a round, and more rounds every `pollIntervalMs` while something is being watched and the
 * invocation has more than `marginMs` left after the next wait: completion is reported within
 * seconds, and an idle bm costs one short invocation a minute (one scan of the sparse index).
 */
export async function followUp(
  deps: FollowUpDeps,
  remainingMs: () => number,
): Promise<RoundReport[]> {
  const reports: RoundReport[] = [];
  for (;;) {
    const report = await round(deps);
    reports.push(report);
    if (report.watching === 0) return reports;
    if (remainingMs() - deps.pollIntervalMs < deps.marginMs) return reports;
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
  report.watching = detaching.length - finished + (notices.length - report.announced);
  return report;
}
