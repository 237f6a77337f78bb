/**
 * Detaches waiting for a busy server, handed back to the worker when it is time: the follow-up
 * reads each waiting server every round, and sends the worker one `execute` when it reads the
 * server idle (past any `Retry-After` ECL gave), or when the wait is over (the worker then ends
 * it). One hop each time: the worker never re-queues itself while it waits, a chain Lambda's
 * recursive loop detection would cut after 16 invocations.
 */
import { isIdle, type Server } from "../ecl/server";
import { describeError } from "../errors";
import type { Operation } from "../operations/operation";
import { flushAudit } from "../operations/record";
import type { FollowUpDeps } from "./deps";

/** How soon the same operation is handed back again, if the worker found the server busy again. */
export function resendAfterMs(deps: Pick<FollowUpDeps, "pollIntervalMs">): number {
  return Math.max(2 * deps.pollIntervalMs, 2000);
}

/** Why a waiting operation goes back to the worker now; undefined while it should wait. */
export type WakeReason = "idle" | "wait over";

/**
 * Whether `op` goes back to the worker, given its server as read this round (undefined when it
 * could not be read: then only the end of the wait sends it back).
 */
export function wakeReason(
  deps: Pick<FollowUpDeps, "pollIntervalMs" | "idleWaitS">,
  op: Operation,
  server: Server | undefined,
  now: number,
): WakeReason | undefined {
  if (op.resentAt && now - Date.parse(op.resentAt) < resendAfterMs(deps)) return undefined;
  const since = Date.parse(op.waitingSince ?? op.updatedAt);
  if (now - since >= deps.idleWaitS * 1000) return "wait over";
  if (op.retryNotBefore && now < Date.parse(op.retryNotBefore)) return undefined;
  return server && isIdle(server.taskState) ? "idle" : undefined;
}

/**
 * Hands back the waiting operations whose time has come, given what this round read of their
 * servers (`serverOf`: undefined when it could not be read; then only the end of the wait sends
 * one back). Returns how many it handed back. (Each stays `waiting_for_idle` until the worker
 * moves it, so the follow-up goes on polling for all of them.)
 */
export async function wakeWaiting(
  deps: FollowUpDeps,
  waiting: Operation[],
  serverOf: (op: Operation) => Server | undefined,
): Promise<number> {
  let handedBack = 0;
  for (const listed of waiting) {
    try {
      const op = await flushAudit(deps, listed);
      const reason = wakeReason(deps, op, serverOf(listed), deps.now().getTime());
      if (reason && (await handBack(deps, op, reason))) handedBack++;
    } catch (error) {
      deps.log.warn("could not hand a waiting detach back; next round tries again", {
        operationId: listed.id,
        error: describeError(error),
      });
    }
  }
  return handedBack;
}

/** Claims the hand-back (a conditional write: one of two overlapping follow-ups), then sends it. */
async function handBack(deps: FollowUpDeps, op: Operation, reason: WakeReason): Promise<boolean> {
  const claimed = await deps.store.save(op, { ...op, resentAt: deps.now().toISOString() });
  if (!claimed) return false;
  deps.log.info("handing a waiting detach back to the worker", { operationId: op.id, reason });
  await deps.queue.send({ kind: "execute", operationId: op.id });
  return true;
}
