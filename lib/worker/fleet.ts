/**
 * The worker's steps of a fleet request (`/bm detach --all`): `prepare` names its targets (the
 * tenant's servers that list the image, by the paged list) and puts up its card; its start,
 * once approved, releases its first targets. It sends no POST itself: each target is an
 * operation of its own, which the worker executes as any other.
 */
import type { Server } from "../ecl/server";
import type { Tenant } from "../ecl/tenants";
import { describeError, isPassing } from "../errors";
import {
  FLEET_IN_FLIGHT,
  fleetLockKeyFor,
  fleetTargets,
  inFlightIn,
  releasable,
  targetIdFor,
  targetsOf,
  unknownsWords,
} from "../operations/fleet";
import type { ReleaseDeps } from "../operations/fleet-release";
import { releaseTargets } from "../operations/fleet-release";
import {
  type Facts,
  type Fleet,
  type Operation,
  requestExpiry,
  type State,
} from "../operations/operation";
import { boundTo, type InForce } from "../policy/in-force";
import type { PolicyDeps } from "../policy/roles";
import { plural } from "../util/plural";

/** What the fleet's steps need of the worker's deps. */
export type FleetWorkerDeps = ReleaseDeps &
  Pick<PolicyDeps, "policy"> & {
    openTenant(secretId: string): Promise<Tenant>;
    /** At most this many fleet targets of one tenant in flight at once (FLEET_IN_FLIGHT unless set). */
    fleetInFlight?: number;
    startFollowUp?: () => Promise<void>;
    log: {
      info(message: string, extra?: object): void;
      warn(message: string, extra?: object): void;
    };
  };

/** What the fleet's steps use of the worker's step (process-message.ts). */
export interface FleetSteps {
  deps: FleetWorkerDeps;
  move(
    op: Operation,
    to: State,
    changes: Partial<Operation>,
    facts?: Facts,
  ): Promise<Operation | undefined>;
  fail(op: Operation, outcome: string, error?: unknown): Promise<void>;
  refuse(op: Operation, verdict: Extract<InForce, { ok: false }>): Promise<void>;
  lockFor(op: Operation, key: string): Promise<Operation | undefined>;
}

/**
 * Names the targets and puts up the card: awaiting approval, or (needing none) approved and
 * started. One fleet request per tenant and image in flight: a second names the first and ends.
 */
export async function prepareFleet(steps: FleetSteps, op: Operation): Promise<void> {
  const { deps } = steps;
  const bound = boundTo(deps, op);
  if (!bound.ok) return steps.refuse(op, bound);
  const lockKey = fleetLockKeyFor(op.tenant, op.imageId);
  // Taken again by the same request on a redelivery: the lock is its own.
  const other = await steps.lockFor(op, lockKey);
  if (other) {
    const where = other.permalink ? ` (its thread: ${other.permalink})` : "";
    await steps.move(
      op,
      "noop",
      {
        outcome: `another request for every server with this image, ${other.id}, is in flight${where}; this one sent nothing.`,
      },
      { inFlight: other.id },
    );
    return;
  }
  const locked = { ...op, lockKey };
  let servers: Server[];
  try {
    const tenant = await deps.openTenant(op.secretId);
    servers = await tenant.ecl.listServers();
  } catch (error) {
    if (isPassing(error)) throw error;
    return steps.fail(locked, describeError(error), error);
  }
  const asked = op.fleet as Fleet;
  const named = targetsOf(servers, op.imageId, asked.match);
  const fleet: Fleet = {
    ...asked,
    targets: named.targets.map((t) => ({ ...t, opId: targetIdFor(op.id, t.serverId) })),
    ...(named.unknowns > 0 ? { unknowns: named.unknowns } : {}),
  };
  const facts: Facts = {
    targets: fleet.targets.map((t) => t.serverId).join(" "),
    count: fleet.targets.length,
    unknowns: named.unknowns,
  };
  if (fleet.targets.length === 0) {
    const which =
      asked.match === undefined
        ? "No server"
        : `No server whose name starts with \`${asked.match}\``;
    const unknown = unknownsWords(named.unknowns);
    await steps.move(
      locked,
      "noop",
      {
        fleet,
        outcome: `${which} of tenant \`${op.tenant}\` has image \`${op.imageId}\` attached${unknown ? ` (${unknown})` : ""}; nothing was sent to ECL.`,
      },
      facts,
    );
    return;
  }
  // Its "server", wherever a card, a button or the Home names one: "30 servers".
  const serverName = plural(fleet.targets.length, "server");
  if (op.approvalsRequired > 0) {
    await steps.move(
      locked,
      "awaiting_approval",
      { fleet, tally: {}, serverName, requestExpiresAt: requestExpiry(op, deps.now()) },
      { ...facts, approvals: op.approvalsRequired },
    );
    return;
  }
  const approved = await steps.move(
    locked,
    "approved",
    { fleet, tally: {}, serverName },
    {
      ...facts,
      approvals: "none needed",
    },
  );
  if (approved) await startFleet(steps, approved);
}

/**
 * An approved fleet request goes to `detaching` and releases its first targets: as many as the
 * tenant's bound on targets in flight leaves (one scan of what is in flight). The follow-up's
 * rounds release the rest as targets end.
 */
export async function startFleet(steps: FleetSteps, op: Operation): Promise<void> {
  const { deps } = steps;
  const detaching = await steps.move(op, "detaching", {});
  if (!detaching) return;
  const limit = deps.fleetInFlight ?? FLEET_IN_FLIGHT;
  const inFlight = inFlightIn(await deps.store.listInFlight(), op.tenant);
  const count = releasable(limit, inFlight, fleetTargets(detaching).length);
  const released = await releaseTargets(deps, detaching, count);
  deps.log.info("fleet started", { operationId: op.id, released });
  await deps.startFollowUp?.().catch(() => undefined);
}
