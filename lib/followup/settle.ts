/**
 * Settling one detach by what ECL shows of its server: done, failed (the server is gone) or
 * timed out when it is time.
 */

import { type EclApiError, type EclFailure, eclFailure } from "../ecl/errors";
import { attachment, detachFinished, judgedBy, observedState, type Server } from "../ecl/server";
import { describeError } from "../errors";
import { bmActor, type Operation, transition } from "../operations/operation";
import { announce, commit } from "../operations/record";
import { formatElapsed } from "../util/elapsed";
import type { FollowUpDeps } from "./deps";

/** What one round knows of an operation's server (from observe.ts's look). */
export type SettleLook =
  | { server: Server }
  /** ECL answers 404 for it: it no longer exists. */
  | { gone: EclApiError }
  /** Nothing was learnt of it this round (a failed read, a list that left it out). */
  | { unread: unknown };

/** Moves one detaching operation to done, failed (server gone) or timed_out when it is time. */
export async function settle(deps: FollowUpDeps, op: Operation, seenNow: SettleLook) {
  const now = deps.now();
  const actor = bmActor(op);
  const acceptedAt = Date.parse(op.detachStartedAt ?? op.updatedAt);
  const elapsedMs = now.getTime() - acceptedAt;
  const elapsedS = Math.round(elapsedMs / 1000);
  const permalink = op.permalink ? { permalink: op.permalink } : {};
  const server = "server" in seenNow ? seenNow.server : undefined;
  const seen: Partial<Operation> = server ? observedState(server) : {};
  const finished =
    server && detachFinished(server, op.imageId, acceptedAt, now.getTime(), deps.eclGraceMs);
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
  } else if (finished) {
    next = transition(op, "done", actor, now, seen, {
      elapsedS,
      ...judgedBy(finished),
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
