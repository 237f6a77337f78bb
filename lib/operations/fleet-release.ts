/**
 * Releasing a fleet request's targets: each becomes an operation of its own, born approved, and
 * its `execute` is queued. Made only by the fleet's start in the worker and by the follow-up's
 * rounds, never by the worker on a target's end (a chain of Lambda → SQS → Lambda one hop longer
 * per target, which Lambda's recursive loop detection cuts after 16: docs/architecture.md).
 */
import { queuedOf, targetOperation } from "./fleet";
import type { Operation } from "./operation";
import type { WorkQueue } from "./ports";
import { flushAudit, type RecordDeps } from "./record";

export type ReleaseDeps = Pick<RecordDeps, "store" | "audit" | "log" | "metrics" | "now"> & {
  queue: WorkQueue;
};

/**
 * Releases up to `count` of the fleet's queued targets, in order, unless the rest was cancelled.
 * A target made already (a release that died halfway) is found by its id and only tallied: an
 * `approved` one whose `execute` never left is the follow-up's hand-over's, as any such
 * operation. Returns how many were released.
 */
export async function releaseTargets(
  deps: ReleaseDeps,
  fleet: Operation,
  count: number,
): Promise<number> {
  if (fleet.fleet?.cancelRest || count < 1) return 0;
  let released = 0;
  for (const target of queuedOf(fleet).slice(0, count)) {
    const op = targetOperation(fleet, target, deps.now());
    const created = await deps.store.create(op);
    if (!created.created) {
      await deps.store.setTally(fleet.id, op.id, created.existing.state);
      released++;
      continue;
    }
    await flushAudit(deps, op);
    try {
      await deps.queue.send({ kind: "execute", operationId: op.id });
    } catch (error) {
      // Recorded approved and watched: the follow-up's hand-over sends it.
      deps.log.warn("could not queue a fleet target; the follow-up hands it over", {
        operationId: op.id,
        fleet: fleet.id,
        error: (error as Error).name,
      });
    }
    await deps.store.setTally(fleet.id, op.id, op.state);
    released++;
  }
  return released;
}
