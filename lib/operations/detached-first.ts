/**
 * Requests still awaiting approval for an image that another operation has just detached: they
 * are told, and end. A request that only waits holds no lock (break-glass is never blocked by
 * one), so when a detach of the same image of the same server ends `done` first, what is left
 * of the request is a second detach of an image already gone.
 */
import { describeError } from "../errors";
import { bmActor, lockKeyFor, type Operation, transition } from "./operation";
import { announce, commit, type RecordDeps } from "./record";

/** What ending them takes: the record's ports, and a log that says each move. */
type Deps = RecordDeps & {
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
};

/** The most waiting requests a detach done outside a round looks for among its tenant's. */
const LOOKED_FOR = 50;

/** Tries at a request whose revision keeps moving under it (a notice posted, an approval). */
const TRIES = 3;

/**
 * Ends, as `noop`, each request of `waiting` (awaiting approval when listed, read afresh) on the
 * image and server `done` has just detached, saying in its card and thread that `done` detached
 * it first; and posts that. Returns how many it ended. A request approved meanwhile is left to
 * the worker, which takes the lock and reads the server before any POST (the image is gone: it
 * ends noop too). Failures are logged, never thrown: the worker's read stays the guard.
 */
export async function endDetachedFirst(
  deps: Deps,
  done: Operation,
  waiting: Operation[],
): Promise<number> {
  // A detach that ended done was read on ECL by its server's id.
  const key = lockKeyFor(done.tenant, done.serverId as string, done.imageId);
  let ended = 0;
  for (const listed of waiting) {
    if (!listed.serverId || lockKeyFor(listed.tenant, listed.serverId, listed.imageId) !== key)
      continue;
    try {
      if (await endOne(deps, done, listed.id)) ended++;
    } catch (error) {
      deps.log.warn("could not tell a waiting request that its image was detached first", {
        operationId: listed.id,
        detachedBy: done.id,
        error: describeError(error),
      });
    }
  }
  return ended;
}

/**
 * The same, for a detach that ended done outside a round (a Re-check found it finished): the
 * waiting requests are looked for among the tenant's latest operations (its index, newest first;
 * a glance, not a scan). One it misses still sends nothing: its approval meets the worker's lock
 * and read.
 * @throws DynamoDB's errors, from the look.
 */
export async function endDetachedFirstOfTenant(deps: Deps, done: Operation): Promise<number> {
  const waiting = await deps.store.recentForTenant(
    done.tenant,
    LOOKED_FOR,
    (op) => op.state === "awaiting_approval",
  );
  return endDetachedFirst(deps, done, waiting);
}

/** Ends one waiting request, read afresh; false when it is no longer waiting. */
async function endOne(deps: Deps, done: Operation, id: string): Promise<boolean> {
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const op = await deps.store.get(id);
    if (op?.state !== "awaiting_approval") return false;
    const next = transition(
      op,
      "noop",
      bmActor(op),
      deps.now(),
      {
        detachedFirst: { by: done.id, channelId: done.channelId },
        outcome: `${done.id} (in channel ${done.channelId}) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.`,
      },
      { detachedBy: done.id, ...(op.permalink ? { permalink: op.permalink } : {}) },
    );
    const saved = await commit(deps, op, next);
    if (!saved) continue;
    deps.log.info("transition", { operationId: op.id, from: op.state, to: "noop" });
    await announce(deps, saved).catch((error: unknown) => {
      deps.log.warn("could not post; next round tries again", {
        operationId: op.id,
        error: describeError(error),
      });
    });
    return true;
  }
  return false;
}
