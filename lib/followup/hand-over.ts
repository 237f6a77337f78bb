/**
 * Operations whose queue message was lost, handed back to the worker.
 */
import { describeError } from "../errors";
import { bmActor, type Operation, transition } from "../operations/operation";
import { announce, commit, flushAudit } from "../operations/record";
import type { FollowUpDeps } from "./deps";

/** How often a hand-over is sent again: the worker may just be retrying (ECL down). */
const RESEND_EVERY_MS = 5 * 60_000;
/** A request the worker never took within this is ended, and its requester told. */
const REQUESTED_LIMIT_MS = 15 * 60_000;

/** What the worker is sent to take each waiting kind of operation over. */
const HANDOVER = {
  requested: "prepare",
  approved: "execute",
  // Given it again, the worker reads the server to decide; it never sends a second POST.
  executing: "execute",
  // (A `waiting_for_idle` operation is the follow-up's own to hand back: wake.ts.)
} as const;

/**
 * Hands operations whose queue message was lost (the front door died before sending it, a send
 * failed, a message went to the dead letters) back to the worker, once they have waited
 * `handoverGraceS`. A request nobody took for 15 minutes ends, told.
 */
export async function handOver(
  deps: FollowUpDeps,
  of: (kind: keyof typeof HANDOVER) => Operation[],
): Promise<void> {
  const now = deps.now().getTime();
  const grace = deps.handoverGraceS * 1000;
  for (const kind of Object.keys(HANDOVER) as Array<keyof typeof HANDOVER>) {
    for (const listed of of(kind)) {
      const op = await flushAudit(deps, listed);
      const last = Math.max(
        Date.parse(op.updatedAt),
        op.resentAt ? Date.parse(op.resentAt) + RESEND_EVERY_MS - grace : 0,
      );
      if (now - last < grace) continue;
      try {
        if (kind === "requested" && now - Date.parse(op.createdAt) > REQUESTED_LIMIT_MS) {
          const failed = transition(op, "failed", bmActor(op), deps.now(), {
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
