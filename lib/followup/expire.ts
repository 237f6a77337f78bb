/**
 * Approval requests nobody answered in time.
 */
import { describeError } from "../errors";
import { expire, hasExpired, type Operation } from "../operations/operation";
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
      if (hasExpired(op, now)) {
        // The conditional write decides a race with a last-second approval: one outcome.
        const saved = await commit(deps, op, expire(op, now));
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
