/**
 * A fleet request (`/bm detach --all IMAGE-ID [--match PREFIX]`): one image detached from every
 * server of a tenant that has it, under one approval. Pure: its targets, their operations' ids,
 * its counts and their words, how many may be released, and how it ends. Each target is an
 * operation of its own (its lock, state, audit and exactly-once detach); the fleet sends nothing.
 */
import { attachment, type Server } from "../ecl/server";
import { plural } from "../util/plural";
import {
  bmActor,
  type FleetTarget,
  isTerminal,
  newOperation,
  type Operation,
  type State,
  shortId,
  type TargetState,
  transition,
} from "./operation";

/**
 * Fleet targets of one tenant in flight at once, unless `BM_FLEET_IN_FLIGHT` says otherwise:
 * ECL's rate of server actions per tenant is not published, and 10 keeps a fleet's detaches
 * well inside what one tenant's ordinary use sends, while 200 targets still finish in 20 waves.
 */
export const FLEET_IN_FLIGHT = 10;

/** The servers a fleet request names, and how many did not say what is attached. */
export interface Named {
  targets: Omit<FleetTarget, "opId">[];
  unknowns: number;
}

/**
 * The servers that list `imageId` among their media (compared without regard to case) and whose
 * name starts with `match`, in the order listed. A server without a media list tells nothing: it
 * is not a target, but counted (when its name matches).
 */
export function targetsOf(servers: readonly Server[], imageId: string, match?: string): Named {
  const targets: Named["targets"] = [];
  let unknowns = 0;
  for (const server of servers) {
    if (match !== undefined && !server.name.startsWith(match)) continue;
    const held = attachment(server, imageId);
    if (held === "attached") targets.push({ serverId: server.id, serverName: server.name });
    if (held === "unknown") unknowns++;
  }
  return { targets, unknowns };
}

/** The id of a target's operation: the same fleet and server, the same id (a repeated release finds it). */
export function targetIdFor(fleetId: string, serverId: string): string {
  return shortId("op", `${fleetId}:${serverId}`);
}

/** The lock of one image's fleet in a tenant: one fleet request for it in flight at a time. */
export function fleetLockKeyFor(tenant: string, imageId: string): string {
  return `lock#${tenant}#fleet#${imageId.toLowerCase()}`;
}

/** A fleet's targets counted by where they stand. */
export interface Counts {
  done: number;
  noop: number;
  inFlight: number;
  waiting: number;
  queued: number;
  failed: number;
  timedOut: number;
  cancelled: number;
}

/** Where each target state is counted. (A target is born approved: it is never requested, awaiting approval, rejected or expired.) */
const COUNTED: Record<TargetState, keyof Counts> = {
  queued: "queued",
  requested: "inFlight",
  awaiting_approval: "inFlight",
  approved: "inFlight",
  executing: "inFlight",
  detaching: "inFlight",
  waiting_for_idle: "waiting",
  done: "done",
  noop: "noop",
  failed: "failed",
  timed_out: "timedOut",
  rejected: "cancelled",
  expired: "cancelled",
  cancelled: "cancelled",
};

/** A fleet's targets; none for an operation that is not a fleet request. */
export function fleetTargets(op: Pick<Operation, "fleet">): FleetTarget[] {
  return op.fleet?.targets ?? [];
}

/**
 * The targets whose own words the outcome quotes ({@link fleetOutcome}): the first five of each
 * kind it names (nothing to do, failed, timed out), in order.
 */
export function namedTargets(op: Pick<Operation, "fleet" | "tally">): FleetTarget[] {
  const named: FleetTarget[] = [];
  for (const kind of ["noop", "failed", "timed_out"] as const)
    named.push(
      ...fleetTargets(op)
        .filter((t) => stateOf(op, t) === kind)
        .slice(0, NAMED),
    );
  return named;
}

/** The state of each target as the fleet knows it: queued until its operation says otherwise. */
export function stateOf(op: Pick<Operation, "tally">, target: FleetTarget): TargetState {
  return op.tally?.[target.opId] ?? "queued";
}

/** The fleet's targets counted by where they stand. */
export function countsOf(op: Pick<Operation, "fleet" | "tally">): Counts {
  const counts: Counts = {
    done: 0,
    noop: 0,
    inFlight: 0,
    waiting: 0,
    queued: 0,
    failed: 0,
    timedOut: 0,
    cancelled: 0,
  };
  for (const target of fleetTargets(op)) counts[COUNTED[stateOf(op, target)]]++;
  return counts;
}

/** How many targets have ended (done, noop, failed, timed out, cancelled). */
export function endedOf(counts: Counts): number {
  return counts.done + counts.noop + counts.failed + counts.timedOut + counts.cancelled;
}

/** The counts in words, those that are not zero: "12 of 30 done, 10 in flight, 8 queued". */
export function countsWords(counts: Counts, total: number): string {
  const parts = [`${counts.done} of ${total} done`];
  const rest: Array<[keyof Counts, string]> = [
    ["inFlight", "in flight"],
    ["waiting", "waiting for the server"],
    ["queued", "queued"],
    ["noop", "nothing to do"],
    ["failed", "failed"],
    ["timedOut", "timed out"],
    ["cancelled", "cancelled"],
  ];
  for (const [key, words] of rest) if (counts[key] > 0) parts.push(`${counts[key]} ${words}`);
  return parts.join(", ");
}

/**
 * How many more targets of a fleet may be released now: at most `limit` fleet targets of one
 * tenant in flight at once, `inFlight` of them already are, `queued` wait.
 */
export function releasable(limit: number, inFlight: number, queued: number): number {
  return Math.max(0, Math.min(limit - inFlight, queued));
}

/** The targets not yet released, in order. */
export function queuedOf(op: Pick<Operation, "fleet" | "tally">): FleetTarget[] {
  return fleetTargets(op).filter((target) => stateOf(op, target) === "queued");
}

/**
 * How many fleet targets of `tenant` are in flight (approved, waiting for idle, executing,
 * detaching) among `ops`, the operations in flight.
 */
export function inFlightIn(ops: readonly Operation[], tenant: string): number {
  return ops.filter((op) => op.parentId && op.tenant === tenant && !isTerminal(op.state)).length;
}

/**
 * A target's operation, born approved: its first events say that the fleet's requester asked
 * for it, for the fleet, and that bm approved it because the fleet was (with the fleet's
 * approvers). It carries the fleet's requester, channel, tenant, secret, image, reason and
 * approvals, so the worker's check before the POST judges it as it would the fleet.
 */
export function targetOperation(fleet: Operation, target: FleetTarget, at: Date): Operation {
  const requested = newOperation(
    {
      id: target.opId,
      teamId: fleet.teamId,
      channelId: fleet.channelId,
      requester: fleet.requester,
      tenant: fleet.tenant,
      secretId: fleet.secretId,
      approvalsRequired: fleet.approvalsRequired,
      approvers: fleet.approvers,
      requestTtlMinutes: fleet.requestTtlMinutes,
      ...(fleet.requestExpiresAt ? { requestExpiresAt: fleet.requestExpiresAt } : {}),
      ...(fleet.approvals ? { approvals: fleet.approvals } : {}),
      serverRef: target.serverId,
      serverId: target.serverId,
      serverName: target.serverName,
      imageId: fleet.imageId,
      reason: fleet.reason,
      parentId: fleet.id,
    },
    at,
  );
  const approvers = fleet.approvals?.map((a) => a.userId).join(" ");
  return transition(
    requested,
    "approved",
    bmActor(fleet),
    at,
    {},
    {
      fleet: fleet.id,
      approvals: approvers || "none needed",
    },
  );
}

/**
 * How a fleet in `detaching` ends, once it may: undefined while a target has not ended (or,
 * unless the rest was cancelled, waits to be released); `cancelled` when the rest was; `failed`
 * when a target failed or timed out; else `done` (every target done or with nothing to do).
 */
export function fleetEnd(op: Pick<Operation, "fleet" | "tally">): State | undefined {
  const counts = countsOf(op);
  const cancelling = op.fleet?.cancelRest !== undefined;
  if (counts.inFlight + counts.waiting > 0) return undefined;
  if (counts.queued > 0 && !cancelling) return undefined;
  if (cancelling) return "cancelled";
  return counts.failed + counts.timedOut > 0 ? "failed" : "done";
}

/** How many names an outcome lists per kind before "and N more". */
const NAMED = 5;

/**
 * The full outcome, in a sentence for the card and the thread: "30 done", or "28 done, 1 failed:
 * `web07` (ECL answered 404: …), 1 nothing to do: `web09` (…)". `said` holds what each target's
 * own operation said of its end (its outcome), by operation id; the targets queued when the rest
 * was cancelled are counted cancelled. Plain text: the card escapes it once.
 */
export function fleetOutcome(
  op: Pick<Operation, "fleet" | "tally">,
  said: Readonly<Record<string, string | undefined>>,
): string {
  const targets = fleetTargets(op);
  if (targets.length === 0) return "no targets";
  const ended = (target: FleetTarget): TargetState => {
    const state = stateOf(op, target);
    return state === "queued" ? "cancelled" : state;
  };
  const kinds: Array<[TargetState[], string, boolean]> = [
    [["done"], "done", false],
    [["noop"], "nothing to do", true],
    [["failed"], "failed", true],
    [["timed_out"], "timed out", true],
    [["cancelled", "rejected", "expired"], "cancelled", false],
  ];
  const parts: string[] = [];
  for (const [states, words, named] of kinds) {
    const these = targets.filter((target) => states.includes(ended(target)));
    if (these.length === 0) continue;
    if (!named) {
      parts.push(`${these.length} ${words}`);
      continue;
    }
    const names = these.slice(0, NAMED).map((target) => {
      const why = clipped(said[target.opId]);
      return why ? `\`${target.serverName}\` (${why})` : `\`${target.serverName}\``;
    });
    const more = these.length > NAMED ? ` and ${these.length - NAMED} more` : "";
    parts.push(`${these.length} ${words}: ${names.join(", ")}${more}`);
  }
  return parts.join("; ");
}

/** The longest a target's own words are kept in the fleet's outcome. */
const WHY = 120;

function clipped(text: string | undefined): string | undefined {
  if (text === undefined || text.length <= WHY) return text;
  return `${text.slice(0, WHY - 1)}…`;
}

/** "3 servers did not say what is attached: not included", or nothing. */
export function unknownsWords(unknowns: number | undefined): string | undefined {
  if (!unknowns) return undefined;
  return `${plural(unknowns, "server")} did not say what is attached: not included`;
}
