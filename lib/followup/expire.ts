/**
 * Approval requests nobody answered in time.
 */
import { describeError } from "../errors";
import { type Operation, transition } from "../operations/operation";
import { announce, commit, flushAudit } from "../operations/record";
import type { FollowUpDeps } from "./deps";

/**
 * Expires the approval requests nobody answered in time (the card loses its buttons, the thread
 * says so), and posts what is still owed for the others (an approval short of the number needed).
 */
export async function expireRequests(deps: FollowUpDeps, waiting: Operation[]): Promise<number> {
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
