/**
 * Approve, reject and cancel: what a click (or `/bm cancel`) does to an operation awaiting
 * approval. Each outcome is one conditional write; of two racing clicks, or a click racing the
 * expiry, exactly one wins, and the other is told what happened instead.
 */
import {
  canMove,
  expire,
  hasExpired,
  isOperationId,
  type Operation,
  record,
  stateWords,
  transition,
} from "../operations/operation";
import { commit } from "../operations/record";
import { mayApprove, mayCancel, mayReject } from "../policy/permissions";
import { MAX_REJECT_REASON } from "../slack/messages";
import { code, type Mrkdwn, md } from "../slack/mrkdwn";
import { type FrontDoorDeps, refuse } from "./deps";
import { commandRepeats } from "./refusals";

export interface Decision {
  teamId: string;
  userId: string;
  operationId: string;
  action: "approve" | "reject" | "cancel";
  /** With `reject`: the reason given in the modal. */
  reason?: string;
  /**
   * A command's channel (`/bm cancel`): its refusals are collapsed per channel, as every
   * command's are; a click's, per operation.
   */
  channelId?: string;
}

/** What to tell the clicker, where, and whether to open the reject modal. */
export interface Answer {
  text?: Mrkdwn;
  /** The channel of the request, where an ephemeral answer goes. */
  channelId?: string;
  openReject?: boolean;
  /** A field error for the reject modal. */
  reasonError?: string;
}

/** Tries this many times when other clicks keep winning the race. */
const ATTEMPTS = 3;

/**
 * Applies one decision. A `reject` without a reason only checks that the user may reject, and
 * asks for the modal; with a reason it rejects.
 */
export async function decideOnRequest(deps: FrontDoorDeps, decision: Decision): Promise<Answer> {
  if (!isOperationId(decision.operationId)) return { text: md`That is not a bm request.` };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const op = await deps.store.get(decision.operationId);
    const refusal = (reason: string, message: Mrkdwn) =>
      refuse(
        deps,
        {
          operationId: decision.operationId,
          teamId: decision.teamId,
          userId: decision.userId,
          reason,
          facts: { decision: decision.action, state: op?.state ?? "unknown" },
          ...(decision.channelId ? { repeats: commandRepeats(decision.channelId) } : {}),
        },
        message,
      ).then((text) => ({ text, ...(op ? { channelId: op.channelId } : {}) }));
    if (!op)
      return refusal("unknown_operation", md`There is no request ${code(decision.operationId)}.`);

    if (decision.action === "cancel") {
      const notTheirs = mayCancel(op, decision.userId);
      if (notTheirs) return refusal(notTheirs.reason, notTheirs.message);
      if (op.fleet && op.state === "detaching") {
        // A fleet under way: nothing more is sent; what was sent finishes (lib/followup/fleet-round.ts).
        if (op.fleet.cancelRest)
          return refusal(
            "not_cancellable",
            md`The rest of ${code(op.id)} is cancelled already: what was sent finishes.`,
          );
        const at = deps.now();
        const cancelRest = { by: decision.userId, at: at.toISOString() };
        const next = record(op, "cancel_rest", actorOf(decision), at, {
          fleet: { ...op.fleet, cancelRest },
        });
        if (await apply(deps, op, next))
          return {
            text: md`You cancelled the rest of ${code(op.id)}: bm sends no more of its detaches. Those sent already finish, and its card says how it ends.`,
          };
        continue;
      }
      if (!canMove(op.state, "cancelled"))
        return refusal(
          "not_cancellable",
          md`${code(op.id)} is ${stateWords(op.state)}: it can no longer be cancelled.`,
        );
      const done = await apply(
        deps,
        op,
        transition(op, "cancelled", actorOf(decision), deps.now(), {
          cancelledBy: decision.userId,
        }),
      );
      if (done) return { text: md`You cancelled ${code(op.id)}. Nothing was sent to ECL.` };
      continue;
    }

    if (op.state !== "awaiting_approval")
      return refusal(
        "not_awaiting_approval",
        md`${code(op.id)} is ${stateWords(op.state)}: there is nothing to ${decision.action} any more.`,
      );
    const now = deps.now();
    if (hasExpired(op, now)) {
      // The click found it expired before the follow-up did: it expires it, then says so.
      await apply(deps, op, expire(op, now));
      return refusal(
        "expired",
        md`${code(op.id)} has expired: nobody approved it within ${op.requestTtlMinutes} min.`,
      );
    }
    if (decision.action === "reject") {
      const may = await mayReject(deps, op, decision.userId);
      if (!may.ok) return refusal(may.reason, may.message);
      const reason = decision.reason?.trim();
      if (decision.reason === undefined) return { openReject: true };
      if (!reason) return { reasonError: "A reason is required." };
      const done = await apply(
        deps,
        op,
        transition(
          op,
          "rejected",
          actorOf(decision),
          now,
          { rejectedBy: decision.userId, rejectReason: reason.slice(0, MAX_REJECT_REASON) },
          { reason: reason.slice(0, 300) },
        ),
      );
      if (done) return { text: md`You rejected ${code(op.id)}.`, channelId: op.channelId };
      continue;
    }

    const may = await mayApprove(deps, op, decision.userId);
    if (!may.ok) return refusal(may.reason, may.message);
    const approvals = [...(op.approvals ?? []), { userId: decision.userId, at: now.toISOString() }];
    const enough = approvals.length >= op.approvalsRequired;
    const facts = { approvals: approvals.length, needed: op.approvalsRequired };
    const next = enough
      ? transition(op, "approved", actorOf(decision), now, { approvals }, facts)
      : record(op, "approval", actorOf(decision), now, { approvals }, facts);
    const done = await apply(deps, op, next);
    if (!done) continue;
    return {
      text: enough
        ? md`You approved ${code(op.id)} (${approvals.length} of ${op.approvalsRequired}): bm goes on with the detach.`
        : md`You approved ${code(op.id)} (${approvals.length} of ${op.approvalsRequired}).`,
    };
  }
  return {
    text: md`Others were deciding on this request at the same moment; look at the request and try again if still needed.`,
  };
}

const actorOf = (decision: Decision) => ({ teamId: decision.teamId, userId: decision.userId });

/**
 * Saves the decision and hands the rest (the card, the detach) to the worker. False when another
 * writer changed the operation first.
 */
async function apply(deps: FrontDoorDeps, op: Operation, next: Operation): Promise<boolean> {
  const saved = await commit(deps, op, next);
  if (!saved) return false;
  // If this send is lost, the follow-up finds the operation waiting and sends it again.
  await deps.queue
    .send({ kind: saved.state === "approved" ? "execute" : "announce", operationId: saved.id })
    .catch((error: unknown) =>
      deps.log.warn("could not enqueue; the follow-up will", {
        operationId: saved.id,
        error: (error as Error).name,
      }),
    );
  return true;
}
