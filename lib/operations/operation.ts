/**
 * An operation: one request to detach one image from one server, and its life.
 * The state machine is pure: a transition is data in, data out; the store makes it stick.
 */

import { createHash } from "node:crypto";
import { chained } from "../audit/chain";
import type { EclFailure } from "../ecl/errors";
import { BmError } from "../errors";

/** Every state an operation can be in, in the order of a life. */
export const STATES = [
  "requested",
  "awaiting_approval",
  "approved",
  "waiting_for_idle",
  "executing",
  "detaching",
  "done",
  "noop",
  "failed",
  "timed_out",
  "rejected",
  "expired",
  "cancelled",
] as const;
export type State = (typeof STATES)[number];

/** Where each state may go. Anything else is a bug, refused by {@link transition}. */
const NEXT: Record<State, readonly State[]> = {
  requested: ["awaiting_approval", "approved", "noop", "failed", "cancelled"],
  awaiting_approval: ["approved", "rejected", "expired", "cancelled", "noop", "failed"],
  // Cancelling stays possible until the detach is on its way to ECL.
  approved: ["waiting_for_idle", "executing", "noop", "failed", "cancelled"],
  waiting_for_idle: ["executing", "noop", "failed", "cancelled"],
  // Back to waiting when ECL refused the POST with 409 (busy): it took nothing, so bm sends it
  // again once the server is idle. timed_out: no answer, and nothing readable tells the outcome.
  executing: ["detaching", "failed", "waiting_for_idle", "timed_out"],
  // failed: the server is gone (404) while bm watched it.
  detaching: ["done", "timed_out", "failed"],
  done: [],
  noop: [],
  failed: [],
  // A re-check that finds the detach finished after all (someone clicked Re-check).
  timed_out: ["done"],
  rejected: [],
  expired: [],
  cancelled: [],
};

/**
 * The moves a fleet request makes that a single operation may not: it sends no POST itself, so
 * once approved it goes straight to `detaching` (its targets are being carried out), and from
 * there it ends as its targets did (lib/operations/fleet.ts), `cancelled` when the rest was.
 */
const FLEET_NEXT: Partial<Record<State, readonly State[]>> = {
  approved: ["detaching"],
  detaching: ["cancelled"],
};

/** A state as people read it: "awaiting approval", "timed out", … */
export function stateWords(state: string): string {
  return state.replace(/_/g, " ");
}

/** True when the state machine allows `from` → `to` (for a fleet request, with `fleet`). */
export function canMove(from: State, to: State, fleet = false): boolean {
  return NEXT[from].includes(to) || (fleet && (FLEET_NEXT[from] ?? []).includes(to));
}

/** The states an operation ends in. timed_out is one, though a re-check may still correct it to done. */
const TERMINAL = new Set([
  "done",
  "noop",
  "failed",
  "timed_out",
  "rejected",
  "expired",
  "cancelled",
] as const satisfies readonly State[]);
type Terminal = typeof TERMINAL extends Set<infer T> ? T : never;

export function isTerminal(state: State): state is Terminal {
  return (TERMINAL as ReadonlySet<State>).has(state);
}

/**
 * The follow-up's index: every state short of an end, and "notice" for an end whose message is
 * still owed. Derived from the states, so a new one cannot be left out of it.
 */
export type InFlight = Exclude<State, Terminal> | "notice";

/** Who did something: a Slack user, or bm itself (`userId` {@link BM_USER}). */
export interface Actor {
  teamId: string;
  userId: string;
}

/** The user id of bm itself in the audit trail: no Slack user id has this form. */
export const BM_USER = "bm";

/** bm itself, in the operation's team: the actor of every move no person made. */
export function bmActor(op: Pick<Operation, "teamId">): Actor {
  return { teamId: op.teamId, userId: BM_USER };
}

/** Facts kept with an audit event: ECL status, request id, thread permalink, … */
export type Facts = Record<string, string | number | boolean>;

/** One line of the audit trail. */
export interface AuditEvent {
  operationId: string;
  /** 1 for the request, then one more for each transition; 0 for a refusal. */
  seq: number;
  at: string;
  action: string;
  from?: State;
  to?: State;
  actor: Actor;
  facts: Facts;
  /** The hash of the operation's previous event; none on its first, nor on a standalone event. */
  prev?: string;
  /** SHA-256 of the event's canonical content (lib/audit/chain.ts, docs/audit.md). */
  hash?: string;
}

/** One approver's approval. */
export interface Approval {
  userId: string;
  at: string;
}

/** One server of a fleet request, named when the request was prepared. */
export interface FleetTarget {
  serverId: string;
  serverName: string;
  /** The target's own operation, made when it is released. */
  opId: string;
}

/** What a fleet request knows of each target: its operation's state, or not yet released. */
export type TargetState = State | "queued";

/** What makes an operation a fleet request: one image detached from many servers. */
export interface Fleet {
  /** `--match`: only servers whose name starts with it. */
  match?: string;
  /** The servers that had the image when it was prepared (empty until then). */
  targets: FleetTarget[];
  /** Servers of the tenant that did not list their media: not targets, but said. */
  unknowns?: number;
  /** The requester (or `/bm cancel`) asked that nothing more be sent. */
  cancelRest?: { by: string; at: string };
}

export interface Operation {
  id: string;
  state: State;
  /** Audit events written so far; the last one is {@link lastEvent}. */
  seq: number;
  /** Bumped by every write: the optimistic lock of the store. */
  rev: number;
  /** Set by the store on each write, to know its own write again when the answer was lost. */
  writeId?: string;
  teamId: string;
  channelId: string;
  requester: string;
  /** Tenant key in the policy, and its secret's id (fixed when requested). */
  tenant: string;
  secretId: string;
  approvalsRequired: number;
  /** Who may approve, as the policy said when it was requested (for the card; clicks are checked against the policy in force). */
  approvers: string[];
  /** How long a request waits for its approvals. */
  requestTtlMinutes: number;
  /** When an unanswered approval request expires. */
  requestExpiresAt?: string;
  approvals?: Approval[];
  rejectedBy?: string;
  rejectReason?: string;
  cancelledBy?: string;
  /**
   * When the follow-up last handed the operation back to the worker (a lost message, or a busy
   * server it read idle).
   */
  resentAt?: string;
  /** The server as typed, and as resolved. */
  serverRef: string;
  serverId?: string;
  serverName?: string;
  imageId: string;
  reason: string;
  createdAt: string;
  updatedAt: string;
  /** Last known server state, for the parent message. */
  taskState?: string;
  powerState?: string;
  /**
   * The last read of the server had no `media_attachments`: bm cannot tell whether the image is
   * attached, so it lets ECL answer the detach and judges completion by task_state alone.
   */
  mediaUnknown?: boolean;
  /**
   * How many times ECL refused the detach POST before acting (409 busy, 429, 503) and took
   * nothing, and with which statuses.
   */
  busyRefusals?: number;
  refusedWith?: number[];
  /** ECL's `Retry-After` after such a refusal: the detach is not sent again before then. */
  retryNotBefore?: string;
  /**
   * The slash command's response_url: how bm reaches the requester when it cannot post in the
   * channel. Slack honours it for 30 minutes from the request, and 5 posts.
   */
  responseUrl?: string;
  /** Slack refused bm's messages for this operation for good: nothing more is posted there. */
  slackRefused?: { code: string; method: string; at: string };
  /** The requester has been told how the operation ended (through the response_url). */
  toldOutcome?: boolean;
  /**
   * The lock this operation holds on its server and image: from its approval (or, needing none,
   * its start) to its end. A request that only awaits approval holds none.
   */
  lockKey?: string;
  /**
   * Another operation detached this image of this server first, while this request awaited
   * approval: which, and in which channel. It ended `noop`, and never sends a second detach.
   */
  detachedFirst?: { by: string; channelId: string };
  /** The parent message in the channel, and its permalink. */
  parentTs?: string;
  permalink?: string;
  detachRequestId?: string;
  /** When bm sent the detach POST that ECL accepted (its `executing`): what "done after" counts from. */
  detachSentAt?: string;
  /**
   * When ECL's acceptance was known (its answer, or the server's state after a POST without
   * one): what ECL's grace and the follow-up's limit count from.
   */
  detachStartedAt?: string;
  waitingSince?: string;
  finishedAt?: string;
  /** A sentence for users about how it ended, when it did not simply succeed. */
  outcome?: string;
  ecl?: EclFailure;
  /** Set while the follow-up must look at it (a sparse index). */
  inflight?: InFlight;
  /** The `seq` whose message has been posted, and a lease on posting the next. */
  noticedSeq?: number;
  noticeLeaseUntil?: number;
  /** Slack asked bm to wait (Retry-After): nobody posts for this operation before then. */
  noticeRetryAt?: number;
  lastEvent: AuditEvent;
  /**
   * The outbox of the audit trail: events saved with the operation and not yet known to be in the
   * audit table. Saved in the same write as the change they record, so none is ever lost; any
   * later touch appends them (appending is idempotent) and clears them.
   */
  unaudited?: AuditEvent[];
  /** Epoch seconds when a finished operation may be deleted (DynamoDB TTL). */
  expiresAt?: number;
  /** A fleet request (`/bm detach --all`): its targets (lib/operations/fleet.ts). */
  fleet?: Fleet;
  /**
   * A fleet request's view of its targets' states, by their operation ids: each entry is set by
   * its target (a store write of its own, `setTally`), never by the fleet's own writes.
   */
  tally?: Record<string, TargetState>;
  /** What the fleet's card last showed: its counts, and when (the coalesced progress updates). */
  fleetShown?: { counts: string; ended: number; at: string };
  /** A fleet's target: the fleet request it belongs to. Its messages go to that card. */
  parentId?: string;
}

/** Finished operations are kept this long; the audit table keeps its events for good. */
const RETENTION_S = 400 * 24 * 3600;

/** A transition that the state machine does not allow: a bug, never a user's mistake. */
export class IllegalTransition extends BmError {
  override readonly name = "IllegalTransition";
  // Tried again: a redelivery reads the operation afresh, and a stale copy is the likely cause.
  readonly passing = true;
  readonly forUsers = false;
}

/**
 * The operation after moving to `to`, with its audit event. Pure.
 * @throws IllegalTransition when `to` may not follow the current state.
 */
export function transition(
  op: Operation,
  to: State,
  actor: Actor,
  at: Date,
  changes: Partial<Operation> = {},
  facts: Facts = {},
): Operation {
  if (!canMove(op.state, to, op.fleet !== undefined))
    throw new IllegalTransition(`${op.id}: ${op.state} → ${to} is not allowed`);
  const iso = at.toISOString();
  const seq = op.seq + 1;
  const event = chained<AuditEvent>(
    { operationId: op.id, seq, at: iso, action: to, from: op.state, to, actor, facts },
    op.lastEvent,
  );
  const next: Operation = {
    ...op,
    ...changes,
    state: to,
    seq,
    updatedAt: iso,
    lastEvent: event,
    unaudited: [...(op.unaudited ?? []), event],
  };
  if (isTerminal(to)) {
    next.finishedAt = iso;
    next.expiresAt = Math.floor(at.getTime() / 1000) + RETENTION_S;
  }
  // In the follow-up's index while it must poll ECL, or while a message is still owed: every
  // state short of an end is one (detaching, awaiting_approval; approved, waiting_for_idle and
  // executing, and requested from the start, as a safety net should the message that hands it
  // to the worker be lost), and an end is until its message is posted. No move leads back to
  // requested.
  next.inflight = isTerminal(to) ? "notice" : to;
  return next;
}

/** When a request whose card goes up at `at` expires, unless decided: its TTL later. */
export function requestExpiry(op: Pick<Operation, "requestTtlMinutes">, at: Date): string {
  return new Date(at.getTime() + op.requestTtlMinutes * 60_000).toISOString();
}

/** True once a request awaiting approval is past its expiry. */
export function hasExpired(op: Pick<Operation, "requestExpiresAt">, now: Date): boolean {
  return op.requestExpiresAt !== undefined && now.toISOString() >= op.requestExpiresAt;
}

/**
 * The request expired, by bm: nobody decided it in time. Pure; whoever finds it expired first
 * (the follow-up, or a click) writes it, and the conditional write decides a race with a
 * last-second decision.
 */
export function expire(op: Operation, now: Date): Operation {
  return transition(op, "expired", bmActor(op), now, {}, { ttlMinutes: op.requestTtlMinutes });
}

/**
 * The operation with one more audit event that does not change its state (an approval short of
 * the number needed, say). Pure.
 */
export function record(
  op: Operation,
  action: string,
  actor: Actor,
  at: Date,
  changes: Partial<Operation> = {},
  facts: Facts = {},
): Operation {
  const iso = at.toISOString();
  const seq = op.seq + 1;
  const event = chained<AuditEvent>(
    { operationId: op.id, seq, at: iso, action, actor, facts },
    op.lastEvent,
  );
  return {
    ...op,
    ...changes,
    seq,
    updatedAt: iso,
    lastEvent: event,
    unaudited: [...(op.unaudited ?? []), event],
  };
}

/** A new operation, in `requested`, with its first audit event. */
export function newOperation(
  fields: Omit<Operation, "state" | "seq" | "rev" | "createdAt" | "updatedAt" | "lastEvent">,
  at: Date,
  /** Where it was asked for, when not by `/bm detach` (a button of `/bm media`): its facts say. */
  via?: string,
): Operation & { unaudited: AuditEvent[] } {
  const iso = at.toISOString();
  const actor = { teamId: fields.teamId, userId: fields.requester };
  const event = chained<AuditEvent>({
    operationId: fields.id,
    seq: 1,
    at: iso,
    action: "requested",
    to: "requested",
    actor,
    facts: {
      server: fields.serverRef,
      image: fields.imageId,
      channel: fields.channelId,
      tenant: fields.tenant,
      ...(fields.reason ? { reason: fields.reason } : {}),
      ...(fields.parentId ? { fleet: fields.parentId } : {}),
      ...(via ? { via } : {}),
    },
  });
  return {
    ...fields,
    state: "requested",
    seq: 1,
    rev: 0,
    createdAt: iso,
    updatedAt: iso,
    lastEvent: event,
    unaudited: [event],
    // Watched until the worker takes it: the front door may die before handing it over.
    inflight: "requested",
  };
}

/**
 * The operation id for one Slack delivery: the same trigger gives the same id, so a repeated
 * delivery finds the operation it already made. `op-` and 10 base-32 characters.
 */
export function operationIdFor(teamId: string, triggerId: string): string {
  return shortId("op", `${teamId}:${triggerId}`);
}

/**
 * `<prefix>-` and 10 base-32 characters from a seed: the same seed, the same id (a repeated
 * delivery or click finds what the first one made). Operation ids and choice ids are made so.
 */
export function shortId(prefix: string, seed: string): string {
  const digest = createHash("sha256").update(seed).digest();
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  let id = "";
  for (let i = 0; i < 10; i++) id += alphabet[(digest[i] as number) % 32];
  return `${prefix}-${id}`;
}

/** The lock on one image of one server of a tenant (image ids in ECL's lower case). */
export function lockKeyFor(tenant: string, serverId: string, imageId: string): string {
  return `lock#${tenant}#${serverId}#${imageId.toLowerCase()}`;
}

/** True when `text` has the form of an operation id. */
export function isOperationId(text: string): boolean {
  return /^op-[0-9a-hjkmnp-tv-z]{10}$/.test(text);
}
