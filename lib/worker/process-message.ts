/**
 * The worker's job for one queue message: prepare an operation (resolve, check, post) and
 * execute it (wait for idle, send the detach once).
 */

import type { ChoiceStore } from "../choices/choice-store";
import {
  EclApiError,
  eclFailure,
  gatewayFailed,
  refusedUntried,
  statusMeaning,
} from "../ecl/errors";
import { attachment, isIdle, observedState, type Server } from "../ecl/server";
import type { Tenant } from "../ecl/tenants";
import { describeError, isPassing } from "../errors";
import {
  bmActor,
  canMove,
  type Facts,
  isTerminal,
  lockKeyFor,
  type Operation,
  requestExpiry,
  type State,
  transition,
} from "../operations/operation";
import type { WorkQueue } from "../operations/ports";
import { announce, commit, flushAudit, type RecordDeps } from "../operations/record";
import type { SightingStore } from "../operations/sightings";
import type { WorkMessage } from "../operations/work-message";
import { boundTo, type InForce, mayActNow } from "../policy/in-force";
import type { PolicyDeps } from "../policy/roles";
import { SlackApiError } from "../slack/slack-error";
import { formatElapsed } from "../util/elapsed";
import { AUDIT_NOT_WRITTEN, AuditNotWritten, unauditedThrough } from "./audit-first";
import { type FleetSteps, prepareFleet, startFleet } from "./fleet";
import { RetryLater } from "./retry-later";

export interface WorkerDeps extends RecordDeps, PolicyDeps {
  queue: WorkQueue;
  /**
   * Makes a message of this batch visible again in `seconds` (SQS's ChangeMessageVisibility), so
   * one left for redelivery comes back when it should, not after the queue's visibility timeout.
   */
  redeliver(receiptHandle: string, seconds: number): Promise<void>;
  /** The time one message may take at most: one is taken from a batch only with this much left. */
  messageBudgetMs: number;
  /** The first back-off of a message left for redelivery (seconds; each next, three times it). */
  retryBackOffS: number;
  /** Pending choices of server and image, which `lookup` answers. */
  choices: ChoiceStore;
  /** When bm first saw each image on each server, which `/bm media` shows. */
  sightings: SightingStore;
  openTenant(secretId: string): Promise<Tenant>;
  pollIntervalMs: number;
  /** How long ECL gets to show a detach whose POST got no answer, before bm concludes. */
  eclGraceMs: number;
  /**
   * Starts the follow-up now, so a detach ECL accepted is watched from the next poll rather than
   * from the next schedule. Best effort: the schedule starts it within a minute anyway.
   */
  startFollowUp?: () => Promise<void>;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
  /** At most this many fleet targets of one tenant in flight at once (FLEET_IN_FLIGHT unless set). */
  fleetInFlight?: number;
}

/** Receives after which a passing failure is final: the queue's dead-letter limit. */
export const MAX_RECEIVES = 5;

/**
 * Handles one message. Returns normally when the message is finished with (done, or failed and
 * said so); throws {@link RetryLater} when it should be redelivered.
 */
export async function processMessage(
  deps: WorkerDeps,
  message: Extract<WorkMessage, { kind: "prepare" | "execute" | "announce" }>,
  receiveCount: number,
): Promise<void> {
  const found = await deps.store.get(message.operationId);
  if (!found) {
    deps.log.warn("no such operation; message dropped", { operationId: message.operationId });
    return;
  }
  const op = await flushAudit(deps, found);
  const step = new Step(deps, receiveCount, message.reread ?? 0);
  try {
    await step.run(op);
  } catch (error) {
    if (!isPassing(error)) throw error;
    deps.log.warn("passing failure", {
      operationId: op.id,
      error: describeError(error),
      receiveCount,
    });
    if (receiveCount < MAX_RECEIVES) throw new RetryLater(describeError(error), { cause: error });
    // The last try: fail the operation plainly rather than let the message die silently; but
    // not a detach that may have reached ECL, which the follow-up hands over to be decided.
    const latest = (await deps.store.get(op.id)) ?? op;
    if (latest.state === "executing") {
      deps.log.warn("outcome of the detach unknown; the follow-up hands it over", {
        operationId: op.id,
      });
      return;
    }
    await step.fail(
      latest,
      error instanceof AuditNotWritten
        ? `${AUDIT_NOT_WRITTEN}.`
        : `bm gave up after ${receiveCount} tries: ${describeError(error)}.`,
      error,
    );
  }
}

class Step {
  constructor(
    private readonly deps: WorkerDeps,
    private readonly receiveCount: number,
    /** How many times the server was read already for an unanswered POST (the message's). */
    private readonly rereads: number,
  ) {}

  async run(op: Operation): Promise<void> {
    if (op.fleet && op.state === "requested") return prepareFleet(this.fleetSteps(), op);
    // Approved (by a click, or needing none): its first targets are released; it sends no POST.
    if (op.fleet && op.state === "approved") return startFleet(this.fleetSteps(), op);
    switch (op.state) {
      case "requested":
        return this.prepare(op);
      case "approved":
      case "waiting_for_idle":
        return this.execute(await this.tell(op));
      case "executing":
        return this.decideAfterSilence(op);
      default:
        // Nothing left to do here but what may still be owed to Slack.
        await this.tell(op);
    }
  }

  /**
   * Posts what the operation owes Slack. Slack never holds back the detach: when it fails for a
   * while (a rate limit, an outage), the post is left to the follow-up, which posts what any
   * operation in flight owes once Slack's Retry-After has passed, and the operation goes on.
   * (A permanent refusal is settled by announce.)
   */
  private async tell(op: Operation): Promise<Operation> {
    try {
      return await announce(this.deps, op);
    } catch (error) {
      if (!(error instanceof SlackApiError)) throw error;
      this.deps.log.warn("Slack failed for now; the follow-up posts it later", {
        operationId: op.id,
        slackError: error.code,
        method: error.method,
        retryAfterS: error.retryAfterS,
      });
      const latest = (await this.deps.store.get(op.id)) ?? op;
      await this.startFollowUp(latest);
      return latest;
    }
  }

  /** What a fleet request's steps (fleet.ts) use of this one. */
  private fleetSteps(): FleetSteps {
    return {
      deps: this.deps,
      move: (op, to, changes, facts) => this.move(op, to, changes, facts),
      fail: (op, outcome, error) => this.fail(op, outcome, error),
      refuse: (op, verdict) => this.refuse(op, verdict),
      lockFor: (op, key) => this.lockFor(op, key),
    };
  }

  /** Resolves the server, checks the image, posts the parent message, moves on. */
  private async prepare(op: Operation): Promise<void> {
    // The tenant's credentials are used only for a channel bound to it, whatever the item says.
    const bound = boundTo(this.deps, op);
    if (!bound.ok) return this.refuse(op, bound);
    let server: Server;
    try {
      const tenant = await this.deps.openTenant(op.secretId);
      server = await tenant.ecl.resolveServer(op.serverRef);
    } catch (error) {
      if (isPassing(error)) throw error;
      return this.fail(op, describeError(error), error);
    }
    const seen = { serverId: server.id, serverName: server.name, ...observedState(server) };
    // Not listed is not "not attached": then the detach is sent, and ECL answers.
    if (attachment(server, op.imageId) === "absent") {
      // A lookup answers a wrong image privately; this is a request by id, or an image detached
      // since the lookup: said in the thread, with what is attached now.
      const outcome = `image \`${op.imageId}\` is not attached to \`${server.name}\` (${attachedNow(server.mediaIds as string[])}); nothing was sent to ECL.`;
      await this.move(op, "noop", { ...seen, outcome }, { serverId: server.id });
      return;
    }
    if (op.approvalsRequired > 0) {
      // No lock yet: a request that only waits for its approvals holds nobody up (break-glass
      // above all). It takes the lock when it is approved and executed.
      // The card goes up with its buttons; the clicks (at the front door) decide what follows.
      await this.move(
        op,
        "awaiting_approval",
        { ...seen, requestExpiresAt: requestExpiry(op, this.deps.now()) },
        { serverId: server.id, approvals: op.approvalsRequired },
      );
      return;
    }
    // Needing no approval, it holds the lock from its start to its end.
    const locked = await this.hold(op, seen);
    if (!locked) return;
    const approved = await this.move(locked, "approved", seen, {
      serverId: server.id,
      approvals: "none needed",
    });
    if (approved) await this.execute(approved);
  }

  /**
   * Takes the lock on the operation's server and image, unless it holds it already: one
   * operation at a time on one image of one server, from its approval (or, needing none, its
   * start) to its end. Returns the operation with its `lockKey`, saved by its next move; or, when
   * another operation holds the lock and has not ended, moves it to noop naming that one and
   * returns undefined.
   */
  private async hold(
    op: Operation,
    seen: Partial<Operation> & { serverId: string } = { serverId: op.serverId as string },
  ): Promise<Operation | undefined> {
    const lockKey = lockKeyFor(op.tenant, seen.serverId, op.imageId);
    if (op.lockKey === lockKey) return op;
    const other = await this.lockFor(op, lockKey);
    if (!other) return { ...op, lockKey };
    const where = other.permalink ? ` (its thread: ${other.permalink})` : "";
    const name = seen.serverName ?? op.serverName ?? op.serverRef;
    const outcome = `another request, ${other.id}, is already detaching this image from \`${name}\`${where}; nothing was sent to ECL.`;
    await this.move(
      op,
      "noop",
      { ...seen, outcome },
      { serverId: seen.serverId, inFlight: other.id },
    );
    return undefined;
  }

  /**
   * Takes the lock on the server and image for `op`. Returns the operation that holds it instead,
   * if one does and has not ended; a lock whose holder ended (it could not let go) is taken over.
   */
  private async lockFor(op: Operation, key: string): Promise<Operation | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const lock = await this.deps.store.lock(key, op.id);
      if (lock.held) return undefined;
      const holder = await this.deps.store.get(lock.holder);
      if (holder && !isTerminal(holder.state)) return holder;
      if (await this.deps.store.takeLock(key, lock.holder, op.id)) return undefined;
    }
    throw new RetryLater("the lock on the server and image kept changing hands");
  }

  /** Sends the detach when the server is idle; waits for idle otherwise, up to the limit. */
  private async execute(approved: Operation): Promise<void> {
    // Before the lock and any read with the tenant's credentials: the secret the item names is
    // its channel's tenant's, or nothing is read with it.
    const bound = boundTo(this.deps, approved);
    if (!bound.ok) return this.refuse(approved, bound);
    // The lock first, before the read that decides the POST: a request approved after another
    // detached the image, or while another holds it, sends nothing.
    const op = await this.hold(approved);
    if (!op) return;
    let tenant: Tenant;
    let server: Server;
    try {
      tenant = await this.deps.openTenant(op.secretId);
      server = await tenant.ecl.showServer(op.serverId as string);
    } catch (error) {
      // A final answer before anything was sent (an endpoint refused, a secret changed since the
      // request, the server gone) ends the operation, said; a passing one is tried again.
      if (isPassing(error)) throw error;
      return this.fail(op, describeError(error), error);
    }
    const seen = observedState(server);
    if (attachment(server, op.imageId) === "absent") {
      const outcome = `image \`${op.imageId}\` is no longer attached to \`${server.name}\` (detached by someone else?); nothing was sent to ECL.`;
      await this.move(op, "noop", { ...seen, outcome });
      return;
    }
    if (!isIdle(server.taskState)) return this.waitForIdle(op, seen);
    // The policy in force, asked again: what the table says is not proof of who may act.
    const allowed = await mayActNow(this.deps, op);
    if ("unknown" in allowed)
      throw new RetryLater("Slack could not say who is in the channel's user groups", {
        cause: allowed.cause,
      });
    if (!allowed.ok) return this.refuse(op, allowed);
    // A fleet's target: not sent once its fleet was told to cancel the rest (or is gone).
    if (op.parentId && (await this.restCancelled(op))) return;

    // The authorisation in the audit table first (audit-first.ts): what waits in the outbox is
    // appended now, and while any of it cannot be, nothing is sent.
    const audited = await flushAudit(this.deps, op);
    if (unauditedThrough(audited, audited.seq).length > 0) throw new AuditNotWritten();
    // Recorded before the POST: a redelivery then knows it may have been sent.
    // Nothing (not even a Slack call, which could fail) stands between this write and the POST
    // but the append of its own event, which commit has just tried.
    const sentAt = this.deps.now().toISOString();
    const executing = await this.move(
      audited,
      "executing",
      { ...seen, detachSentAt: sentAt },
      {},
      false,
    );
    if (!executing) return;
    if (unauditedThrough(executing, executing.seq).length > 0) return this.unaudited(executing);
    let accepted: Awaited<ReturnType<typeof tenant.ecl.detachMedia>>;
    try {
      accepted = await tenant.ecl.detachMedia(server.id, op.imageId);
    } catch (error) {
      // Only ECL's own answer is an answer. A refusal made before acting (409 busy, 429 too many
      // requests, 503 unavailable) took nothing: wait, and send again. Any other answer of ECL's
      // is final. Anything else (no answer, a gateway's 502 or 504, a broken answer, a fault
      // here) leaves the outcome unknown: the server is read again, a poll from now and for as
      // long as ECL's grace, to decide. (Should this send fail, the queue's redelivery, or at the
      // last the follow-up's hand-over, brings the same reading later.)
      if (error instanceof EclApiError && refusedUntried(error))
        return this.notAccepted(executing, error);
      if (error instanceof EclApiError && !gatewayFailed(error))
        return this.fail(executing, describeError(error), error);
      this.deps.log.warn("detach POST without a readable answer; reading the server to decide", {
        operationId: op.id,
        error: describeError(error),
      });
      await this.readAgain(executing, 0);
      return;
    }
    // ECL accepted it. Should recording that fail, the redelivery finds `executing`, reads the
    // server and goes on to `detaching`; it never reports failed, and never sends it again.
    const detaching = await this.move(
      executing,
      "detaching",
      {
        detachStartedAt: this.deps.now().toISOString(),
        ...(accepted.requestId ? { detachRequestId: accepted.requestId } : {}),
      },
      {
        eclStatus: accepted.status,
        ...(accepted.requestId ? { requestId: accepted.requestId } : {}),
      },
    );
    if (detaching) await this.startFollowUp(executing);
  }

  /**
   * The server is busy. The wait is the follow-up's: it watches `waiting_for_idle` operations and
   * hands the detach back here when it reads the server idle (one hop each time, never a chain
   * of messages to this queue, which Lambda's recursive loop detection would cut), or when the
   * wait is over, for this to end it.
   */
  private async waitForIdle(op: Operation, seen: Partial<Operation>): Promise<void> {
    const now = this.deps.now();
    if (op.state === "approved") {
      const waiting = await this.move(
        op,
        "waiting_for_idle",
        { ...seen, waitingSince: now.toISOString() },
        { taskState: String(seen.taskState) },
      );
      if (waiting) await this.startFollowUp(waiting);
      return;
    }
    const waited = now.getTime() - Date.parse(op.waitingSince ?? op.updatedAt);
    if (waited >= this.deps.idleWaitS * 1000) {
      const refused = op.busyRefusals
        ? `ECL refused the detach ${times(op.busyRefusals)}, answering ${refusalsSaid(op)}, and accepted nothing`
        : "nothing was sent to ECL";
      await this.fail(
        op,
        `\`${op.serverName}\` stayed busy (task_state ${seen.taskState}) for ${formatElapsed(waited)}; ${refused}. Try again later.`,
      );
      return;
    }
    // Busy again since the follow-up read it idle: it hands the detach back at the next idle read.
    this.deps.log.info("the server is busy again; the follow-up goes on watching", {
      operationId: op.id,
      taskState: String(seen.taskState),
    });
  }

  /**
   * ECL refused the POST before acting: 409 (a task started on the server between bm's read and
   * its POST), 429 (too many requests) or 503 (unavailable). ECL took nothing, so bm waits (for
   * idle, and past a `Retry-After`), within the same limit, and the follow-up hands the detach
   * back to send it again.
   */
  private async notAccepted(op: Operation, error: EclApiError): Promise<void> {
    const now = this.deps.now();
    const since = op.waitingSince ?? now.toISOString();
    const refusals = (op.busyRefusals ?? 0) + 1;
    const facts = {
      eclStatus: error.status,
      ...(error.requestId ? { requestId: error.requestId } : {}),
      ...(error.retryAfterS !== undefined ? { retryAfterS: error.retryAfterS } : {}),
    };
    const waited = now.getTime() - Date.parse(since);
    const statuses = [...new Set([...(op.refusedWith ?? []), error.status])];
    if (waited >= this.deps.idleWaitS * 1000) {
      // ECL keeps refusing: the wait has a limit all the same.
      await this.fail(
        { ...op, refusedWith: statuses },
        `ECL refused the detach ${times(refusals)}, answering ${refusalsSaid({ refusedWith: statuses })}, over ${formatElapsed(waited)} and accepted nothing. Try again later.`,
        error,
      );
      return;
    }
    const notBefore =
      error.retryAfterS === undefined
        ? undefined
        : new Date(now.getTime() + error.retryAfterS * 1000).toISOString();
    const waiting = await this.move(
      op,
      "waiting_for_idle",
      {
        waitingSince: since,
        taskState:
          error.status === 409
            ? "not None (ECL answered 409)"
            : `unknown (ECL answered ${error.status})`,
        busyRefusals: refusals,
        refusedWith: statuses,
        ...(notBefore ? { retryNotBefore: notBefore } : {}),
      },
      facts,
    );
    if (waiting) await this.startFollowUp(waiting);
  }

  /**
   * The audit table took the events before `executing` but not `executing`'s own (it failed in
   * between): the POST is not sent. Back to `waiting_for_idle`, so that no redelivery reads the
   * server to learn the fate of a POST that never left, and tried again with the back-off.
   * @throws AuditNotWritten always.
   */
  private async unaudited(executing: Operation): Promise<never> {
    await this.move(
      executing,
      "waiting_for_idle",
      { waitingSince: executing.waitingSince ?? this.deps.now().toISOString() },
      { auditNotWritten: true },
    );
    throw new AuditNotWritten();
  }

  /** A redelivery found the operation `executing`: the POST's fate is read off the server. */
  private async decideAfterSilence(op: Operation): Promise<void> {
    // The worker checked the binding before its POST; an item that names another secret since
    // (written straight into the table) is not read with it.
    const bound = boundTo(this.deps, op);
    if (!bound.ok) return this.refuse(op, bound);
    const tenant = await this.deps.openTenant(op.secretId);
    const server = await tenant.ecl.showServer(op.serverId as string);
    const held = attachment(server, op.imageId);
    if (held !== "absent" && isIdle(server.taskState)) {
      // ECL may show an accepted detach a moment late: look again for a while before concluding.
      const silentMs = this.deps.now().getTime() - Date.parse(op.updatedAt);
      if (silentMs < this.deps.eclGraceMs) {
        await this.readAgain(op, this.rereads);
        return;
      }
      if (held === "unknown") {
        // Idle, and no list of media to look at: nothing read tells whether ECL acted.
        await this.move(
          op,
          "timed_out",
          {
            ...observedState(server),
            outcome: `ECL did not answer the detach request, and it does not list media for this server, so bm cannot tell whether the image was detached. bm never sends a detach twice: check \`${op.serverName ?? op.serverRef}\` in the ECL console.`,
          },
          { decidedBy: "no answer and no media list" },
        );
        return;
      }
      await this.fail(
        op,
        "ECL did not answer the detach request, and the server shows no sign of it. bm never sends a detach twice: check the server and run `/bm detach` again if it is still needed.",
      );
      return;
    }
    const detaching = await this.move(
      op,
      "detaching",
      { ...observedState(server), detachStartedAt: this.deps.now().toISOString() },
      { decidedBy: "server state after an unanswered request" },
    );
    if (detaching) await this.startFollowUp(op);
  }

  /**
   * True, and the target cancelled, when its fleet request was told to cancel the rest (or has
   * ended, or is not there, or is not a fleet): nothing more of it is sent. Read right before the POST.
   */
  private async restCancelled(op: Operation): Promise<boolean> {
    const fleet = await this.deps.store.get(op.parentId as string);
    const by = fleet?.fleet?.cancelRest?.by;
    if (fleet?.fleet && !by && !isTerminal(fleet.state)) return false;
    await this.move(
      op,
      "cancelled",
      { ...(by ? { cancelledBy: by } : {}) },
      { fleet: op.parentId as string, cancelRest: true },
    );
    return true;
  }

  /** Starts the follow-up at once; a failure only means it starts on its schedule. */
  private async startFollowUp(op: Operation): Promise<void> {
    if (!this.deps.startFollowUp) return;
    try {
      await this.deps.startFollowUp();
    } catch (error) {
      this.deps.log.warn("could not start the follow-up; its schedule starts it", {
        operationId: op.id,
        error: describeError(error),
      });
    }
  }

  /**
   * The policy in force does not allow the detach: it ends `failed`, saying why in the thread and
   * the trail, and nothing is sent to ECL.
   */
  private async refuse(op: Operation, verdict: Extract<InForce, { ok: false }>) {
    this.deps.log.warn("the policy in force refuses the detach; nothing sent", {
      operationId: op.id,
      reason: verdict.reason,
    });
    // Called from prepare (`requested`), execute (`approved`, `waiting_for_idle`) and the reading
    // after an unanswered POST (`executing`): each may fail.
    await this.move(
      op,
      "failed",
      { outcome: `bm did not send the detach: ${verdict.why}. Nothing was sent to ECL.` },
      { refusedBy: "policy in force", reason: verdict.reason, receiveCount: this.receiveCount },
    );
  }

  /** Moves to `failed` with a sentence for users and ECL's facts, and says so in Slack. */
  async fail(op: Operation, outcome: string, error?: unknown): Promise<void> {
    if (!canMove(op.state, "failed")) {
      await this.tell(op);
      return;
    }
    const ecl = eclFailure(error);
    const facts: Facts = { reason: outcome.slice(0, 300), receiveCount: this.receiveCount };
    if (ecl?.status) facts.eclStatus = ecl.status;
    if (ecl?.requestId) facts.requestId = ecl.requestId;
    await this.move(op, "failed", { outcome, ...(ecl ? { ecl } : {}) }, facts);
  }

  /** One transition: saved, audited, announced. Undefined when another writer got there first. */
  private async move(
    op: Operation,
    to: State,
    changes: Partial<Operation>,
    facts: Facts = {},
    tell = true,
  ): Promise<Operation | undefined> {
    const next = transition(op, to, bmActor(op), this.deps.now(), changes, {
      ...facts,
      ...(op.permalink ? { permalink: op.permalink } : {}),
    });
    const saved = await commit(this.deps, op, next);
    if (!saved) {
      this.deps.log.info("lost a race; the other writer goes on", { operationId: op.id, to });
      return undefined;
    }
    this.deps.log.info("transition", { operationId: op.id, from: op.state, to });
    return tell ? this.tell(saved) : saved;
  }

  /**
   * Reads the server again later, to learn the fate of a POST that got no answer: a poll from
   * now, then twice as long each time, so the whole of ECL's grace takes a few hops (a chain
   * Lambda's recursive loop detection never cuts: 5, 10 and 20 s for a 30 s grace), never one a
   * poll. The count goes with the message, so it holds whatever the queue's clock.
   */
  private async readAgain(op: Operation, rereads: number): Promise<void> {
    const poll = Math.max(1, Math.ceil(this.deps.pollIntervalMs / 1000));
    const reread = Math.min(rereads + 1, 20);
    await this.deps.queue.send(
      { kind: "execute", operationId: op.id, reread },
      poll * 2 ** (reread - 1),
    );
  }
}

/**
 * The statuses ECL refused a detach with, in words: "409 (task_state not None)", or
 * "409 (task_state not None) and 429 (too many requests)". (Before `refusedWith`, only 409s.)
 */
function refusalsSaid(op: Pick<Operation, "refusedWith">): string {
  const statuses = op.refusedWith?.length ? op.refusedWith : [409];
  const said = statuses.map((status) => `${status} (${statusMeaning(status)})`);
  return said.length === 1
    ? (said[0] as string)
    : `${said.slice(0, -1).join(", ")} and ${said.at(-1)}`;
}

/**
 * `attached: \`a\`, \`b\``, or `nothing is attached`: the media of a server ECL lists (one
 * whose image is "absent" lists them).
 */
function attachedNow(ids: string[]): string {
  if (ids.length === 0) return "nothing is attached";
  const shown = ids.slice(0, 5).map((id) => `\`${id}\``);
  const more = ids.length > 5 ? ` and ${ids.length - 5} more` : "";
  return `attached: ${shown.join(", ")}${more}`;
}

function times(n: number): string {
  return n === 1 ? "once" : n === 2 ? "twice" : `${n} times`;
}
