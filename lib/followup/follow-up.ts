/**
 * The follow-up: watches every operation in `detaching` until ECL shows it finished (or the limit
 * passes), and posts any message still owed. One `servers/detail` list per tenant per round.
 */
import { describeError } from "../describe-error";
import { EclApiError } from "../ecl/errors";
import { attachment, isDetached, isIdle, type Server } from "../ecl/server";
import type { Tenant } from "../ecl/tenants";
import { type EclFailure, type Operation, transition } from "../operations/operation";
import type { WorkQueue } from "../operations/ports";
import { announce, commit, flushAudit, type RecordDeps } from "../operations/record";
import { formatElapsed } from "../util/elapsed";
import { eclFailure } from "../worker/classify-error";

export interface FollowUpDeps extends RecordDeps {
  queue: WorkQueue;
  openTenant(secretId: string): Promise<Tenant>;
  pollIntervalMs: number;
  detachTimeoutS: number;
  marginMs: number;
  /** How long an operation may wait for the worker before it is handed over again. */
  handoverGraceS: number;
  /**
   * How long after ECL accepted a detach an idle server whose media ECL does not list counts as
   * finished (ECL may show a task a moment late).
   */
  eclGraceMs: number;
  sleep: (ms: number) => Promise<void>;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
}

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
async function inFlight(
  deps: FollowUpDeps,
): Promise<Map<NonNullable<Operation["inflight"]>, Operation[]> | undefined> {
  try {
    const byKind = new Map<NonNullable<Operation["inflight"]>, Operation[]>();
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
  const of = (kind: NonNullable<Operation["inflight"]>) => all.get(kind) ?? [];
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

/** What one round knows of an operation's server. */
type Look =
  | { server: Server }
  /** ECL answers 404 for it: it no longer exists. */
  | { gone: EclApiError }
  /** Neither the list nor a direct read said anything this round. */
  | { unread: unknown };

/**
 * The operation's server: from the list, or, when the list left it out (a page capped without
 * `servers_links`, a list that lags), read directly. Absence from a list proves nothing.
 */
async function look(
  deps: FollowUpDeps,
  tenant: Tenant,
  servers: Map<string, Server>,
  op: Operation,
): Promise<Look> {
  // A detaching operation has its server resolved: the id it sent the detach to.
  const id = op.serverId as string;
  const listed = servers.get(id);
  if (listed) return { server: listed };
  try {
    return { server: await tenant.ecl.showServer(id) };
  } catch (error) {
    if (error instanceof EclApiError && error.status === 404) return { gone: error };
    deps.log.warn("the server is not in the list and could not be read; next round tries again", {
      operationId: op.id,
      error: describeError(error),
    });
    return { unread: error };
  }
}

/** Moves one detaching operation to done, failed (server gone) or timed_out when it is time. */
async function settle(deps: FollowUpDeps, op: Operation, seenNow: Look) {
  const now = deps.now();
  const actor = { teamId: op.teamId, userId: "bm" };
  const elapsedMs = now.getTime() - Date.parse(op.detachStartedAt ?? op.updatedAt);
  const elapsedS = Math.round(elapsedMs / 1000);
  const permalink = op.permalink ? { permalink: op.permalink } : {};
  const server = "server" in seenNow ? seenNow.server : undefined;
  const seen: Partial<Operation> = server
    ? {
        taskState: isIdle(server.taskState) ? "None" : String(server.taskState),
        ...(server.powerState ? { powerState: server.powerState } : {}),
        mediaUnknown: server.mediaIds === undefined,
      }
    : {};
  let next: Operation | undefined;
  if ("gone" in seenNow) {
    const e = seenNow.gone;
    next = transition(
      op,
      "failed",
      actor,
      now,
      {
        outcome: `\`${op.serverName ?? op.serverRef}\` is gone: ECL answers 404 (not found) for it, ${formatElapsed(elapsedMs)} after it accepted the detach. bm cannot confirm the detach.`,
        ecl: eclFailure(e) as EclFailure,
      },
      { eclStatus: 404, elapsedS, ...(e.requestId ? { requestId: e.requestId } : {}) },
    );
  } else if (server && isDetached(server, op.imageId)) {
    next = transition(op, "done", actor, now, seen, { elapsedS, ...permalink });
  } else if (
    server &&
    attachment(server, op.imageId) === "unknown" &&
    isIdle(server.taskState) &&
    elapsedMs >= deps.eclGraceMs
  ) {
    // Without a media list, task_state is all there is: idle again, past ECL's grace, is done.
    next = transition(op, "done", actor, now, seen, {
      elapsedS,
      judgedBy: "task_state alone: ECL did not list media",
      ...permalink,
    });
  } else if (elapsedMs >= deps.detachTimeoutS * 1000) {
    const after = `after ${formatElapsed(elapsedMs)}`;
    let state: string;
    if (server) {
      const held = attachment(server, op.imageId);
      const image =
        held === "attached"
          ? " with the image attached"
          : held === "unknown"
            ? " (ECL does not list its media)"
            : "";
      state = `${after} it still shows task_state ${server.taskState ?? "None"}${image}.`;
    } else {
      state = `${after} bm could not read the server (${describeError((seenNow as { unread: unknown }).unread)}).`;
    }
    next = transition(op, "timed_out", actor, now, { ...seen, outcome: state }, { elapsedS });
  }
  if (!next) return undefined;
  // The conditional write is the claim: of two overlapping follow-ups, one wins and posts.
  const saved = await commit(deps, op, next);
  if (!saved) return undefined;
  await announce(deps, saved).catch((error: unknown) => {
    deps.log.warn("could not post; next round tries again", {
      operationId: op.id,
      error: describeError(error),
    });
  });
  return saved.state;
}

/**
 * Expires the approval requests nobody answered in time (the card loses its buttons, the thread
 * says so), and posts what is still owed for the others (an approval short of the number needed).
 */
async function expireRequests(deps: FollowUpDeps, waiting: Operation[]): Promise<number> {
  let expired = 0;
  const now = deps.now();
  for (const listed of waiting) {
    const op = await flushAudit(deps, listed);
    try {
      if (op.requestExpiresAt && now.toISOString() >= op.requestExpiresAt) {
        const next = transition(
          op,
          "expired",
          { teamId: op.teamId, userId: "bm" },
          now,
          {},
          { ttlMinutes: op.requestTtlMinutes },
        );
        // The conditional write decides a race with a last-second approval: one outcome.
        const saved = await commit(deps, op, next);
        if (!saved) continue;
        expired++;
        await announce(deps, saved);
      } else {
        await announce(deps, op);
      }
    } catch (error) {
      deps.log.warn("could not expire or post; next round tries again", {
        operationId: op.id,
        error: describeError(error),
      });
    }
  }
  return expired;
}

/** How often a hand-over is sent again: the worker may just be retrying (ECL down). */
const RESEND_EVERY_MS = 5 * 60_000;
/** A request the worker never took within this is ended, and its requester told. */
const REQUESTED_LIMIT_MS = 15 * 60_000;

/** What the worker is sent to take each waiting kind of operation over. */
const HANDOVER = {
  requested: "prepare",
  approved: "execute",
  waiting_for_idle: "execute",
  // Given it again, the worker reads the server to decide; it never sends a second POST.
  executing: "execute",
} as const;

/**
 * Hands operations whose queue message was lost (the front door died before sending it, a send
 * failed, a message went to the dead letters) back to the worker, once they have waited
 * `handoverGraceS` (a busy server: once its wait should have ended). A request nobody took for
 * 15 minutes ends, told.
 */
async function handOver(
  deps: FollowUpDeps,
  of: (kind: keyof typeof HANDOVER) => Operation[],
): Promise<void> {
  const now = deps.now().getTime();
  const grace = deps.handoverGraceS * 1000;
  for (const kind of Object.keys(HANDOVER) as Array<keyof typeof HANDOVER>) {
    for (const listed of of(kind)) {
      const op = await flushAudit(deps, listed);
      // A busy server's worker re-checks it every poll without writing: wait its whole wait out.
      const patience = kind === "waiting_for_idle" ? deps.idleWaitS * 1000 + grace : grace;
      const last = Math.max(
        Date.parse(op.updatedAt),
        op.resentAt ? Date.parse(op.resentAt) + RESEND_EVERY_MS - patience : 0,
      );
      if (now - last < patience) continue;
      try {
        if (kind === "requested" && now - Date.parse(op.createdAt) > REQUESTED_LIMIT_MS) {
          const failed = transition(op, "failed", { teamId: op.teamId, userId: "bm" }, deps.now(), {
            outcome:
              "bm could not hand the request to its worker for 15 minutes; nothing was sent to ECL. Try again.",
          });
          const saved = await commit(deps, op, failed);
          if (saved) await announce(deps, saved);
          continue;
        }
        // The conditional write also keeps two overlapping follow-ups from both sending.
        if (await deps.store.save(op, { ...op, resentAt: new Date(now).toISOString() })) {
          deps.log.warn("handing over again", { operationId: op.id, state: op.state });
          await deps.queue.send({ kind: HANDOVER[kind], operationId: op.id });
        }
      } catch (error) {
        deps.log.warn("could not hand over; next round tries again", {
          operationId: op.id,
          error: describeError(error),
        });
      }
    }
  }
}
