/**
 * The follow-up's part in fleet requests (`/bm detach --all`), once a round: the targets of a
 * fleet told to cancel the rest are cancelled where not yet sent; each fleet releases what its
 * tenant's bound on targets in flight leaves; a fleet whose targets have all ended ends, with
 * the full outcome; and a fleet's card is updated, coalesced, as its counts change. Releases
 * come only from here and from the fleet's start in the worker: a new chain every schedule,
 * never one hop longer per target.
 */
import { describeError } from "../errors";
import {
  type Counts,
  countsOf,
  endedOf,
  FLEET_IN_FLIGHT,
  fleetEnd,
  fleetOutcome,
  fleetTargets,
  inFlightIn,
  namedTargets,
  queuedOf,
  releasable,
} from "../operations/fleet";
import { releaseTargets } from "../operations/fleet-release";
import {
  bmActor,
  type Fleet,
  isTerminal,
  type Operation,
  transition,
} from "../operations/operation";
import { announce, commit, flushAudit } from "../operations/record";
import { fleetCard, progressNotice } from "../slack/fleet-messages";
import type { FollowUpDeps } from "./deps";

/** No progress update of a fleet's card sooner than this after the last. */
export const PROGRESS_MS = 10_000;

/**
 * Whether the card shows progress now: when at least a tenth of the targets (rounded up) have
 * ended since it last did, and no sooner than {@link PROGRESS_MS} after. So a fleet of any size
 * costs at most 9 progress updates (a card update and one thread notice each): 200 targets, 18
 * Slack calls, whatever ECL's pace. Its end is said by its own transition.
 */
export function progressDue(
  shown: Operation["fleetShown"],
  ended: number,
  total: number,
  nowMs: number,
): boolean {
  const step = Math.ceil(total / 10);
  if (ended - (shown?.ended ?? 0) < step) return false;
  return shown === undefined || nowMs - Date.parse(shown.at) >= PROGRESS_MS;
}

/** Target states a cancelled rest still stops: not yet on their way to ECL. */
const UNSENT = new Set(["approved", "waiting_for_idle"]);

/**
 * One round over the fleets in flight, given every operation in flight (listed this round).
 * Returns how many fleets are still under way (the round's watching count).
 */
export async function carryOutFleets(
  deps: FollowUpDeps,
  listed: readonly Operation[],
): Promise<number> {
  // The oldest first: a tenant's room goes to the fleets in the order they were asked for.
  const fleets = listed
    .filter(
      (op): op is Operation & { fleet: Fleet } =>
        op.fleet !== undefined && op.state === "detaching",
    )
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const cancelling = new Set(fleets.filter((f) => f.fleet.cancelRest).map((f) => f.id));
  const gone = new Set<string>();
  for (const target of listed) {
    if (!target.parentId || !cancelling.has(target.parentId) || !UNSENT.has(target.state)) continue;
    if (await cancelTarget(deps, target)) gone.add(target.id);
  }
  // Counted once a round per tenant from what was listed, then kept up with this round's releases.
  const inFlight = new Map<string, number>();
  const counted = (tenant: string) =>
    inFlight.get(tenant) ??
    inFlightIn(
      listed.filter((op) => !gone.has(op.id)),
      tenant,
    );
  let underWay = 0;
  for (const listedFleet of fleets) {
    try {
      const fleet = (await deps.store.get(listedFleet.id)) ?? listedFleet;
      if (fleet.state !== "detaching") continue;
      const room = releasable(
        deps.fleetInFlight ?? FLEET_IN_FLIGHT,
        counted(fleet.tenant),
        queuedOf(fleet).length,
      );
      const released = await releaseTargets(deps, fleet, room);
      inFlight.set(fleet.tenant, counted(fleet.tenant) + released);
      // Read again only when this round changed its tally.
      const current = released > 0 ? ((await deps.store.get(fleet.id)) ?? fleet) : fleet;
      if (!(await endFleet(deps, current))) {
        underWay++;
        await showProgress(deps, current);
      }
    } catch (error) {
      underWay++;
      deps.log.warn("could not carry the fleet on; next round tries again", {
        operationId: listedFleet.id,
        error: describeError(error),
      });
    }
  }
  return underWay;
}

/** A target not yet sent, of a fleet whose rest was cancelled: cancelled by bm, tallied. */
async function cancelTarget(deps: FollowUpDeps, listed: Operation): Promise<boolean> {
  try {
    const op = await flushAudit(deps, listed);
    const next = transition(
      op,
      "cancelled",
      bmActor(op),
      deps.now(),
      {},
      {
        fleet: op.parentId as string,
        cancelRest: true,
      },
    );
    const saved = await commit(deps, op, next);
    if (!saved) return false;
    await announce(deps, saved);
    return true;
  } catch (error) {
    deps.log.warn("could not cancel a fleet's target; next round tries again", {
      operationId: listed.id,
      error: describeError(error),
    });
    return false;
  }
}

/**
 * Ends the fleet when its targets have all ended (fleet.ts's `fleetEnd`), with the full outcome:
 * each target that did not simply succeed named with what its own operation said. True when it
 * has ended (by this round or another writer).
 */
async function endFleet(deps: FollowUpDeps, fleet: Operation): Promise<boolean> {
  const end = fleetEnd(fleet);
  if (!end) return false;
  const said: Record<string, string | undefined> = {};
  for (const target of namedTargets(fleet))
    said[target.opId] = (await deps.store.get(target.opId))?.outcome;
  const counts: Counts = countsOf(fleet);
  const next = transition(
    fleet,
    end,
    bmActor(fleet),
    deps.now(),
    { outcome: fleetOutcome(fleet, said) },
    { done: counts.done, ended: endedOf(counts), of: fleetTargets(fleet).length },
  );
  const saved = await commit(deps, fleet, next);
  if (!saved) return false;
  await announce(deps, saved).catch((error: unknown) =>
    deps.log.warn("could not post the fleet's end; next round tries again", {
      operationId: fleet.id,
      error: describeError(error),
    }),
  );
  return isTerminal(saved.state);
}

/**
 * The card updated, and one thread notice of the counts, when enough has changed since it last
 * showed them ({@link progressDue}). Claimed by a conditional write first, so two follow-ups
 * never post the same progress twice; a post that fails is not retried (the next change posts).
 */
async function showProgress(deps: FollowUpDeps, fleet: Operation): Promise<void> {
  if (!fleet.parentTs) return;
  const counts = countsOf(fleet);
  const now = deps.now();
  const total = fleetTargets(fleet).length;
  if (!progressDue(fleet.fleetShown, endedOf(counts), total, now.getTime())) return;
  const fleetShown = {
    counts: JSON.stringify(counts),
    ended: endedOf(counts),
    at: now.toISOString(),
  };
  const claimed = await deps.store.save(fleet, { ...fleet, fleetShown });
  if (!claimed) return;
  try {
    await deps.chat.update(fleet.channelId, fleet.parentTs, fleetCard(claimed));
    await deps.chat.post(fleet.channelId, progressNotice(claimed), fleet.parentTs);
  } catch (error) {
    deps.log.warn("could not show the fleet's progress; the next change shows it", {
      operationId: fleet.id,
      error: describeError(error),
    });
  }
}
