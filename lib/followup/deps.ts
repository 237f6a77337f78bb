/**
 * What the follow-up needs from outside.
 */
import type { Tenant } from "../ecl/tenants";
import type { WorkQueue } from "../operations/ports";
import type { RecordDeps } from "../operations/record";
import type { SightingStore } from "../operations/sightings";
import type { Policy } from "../policy/policy";

/**
 * The follow-up's lease: one invocation polls at a time (Lambda may run several: the schedule's,
 * and the worker's starts). A holder keeps it until `untilMs` (its invocation's end) or until it
 * lets go.
 */
export interface Lease {
  /** Takes the lease for `holder` until `untilMs`, unless another holds it past `nowMs`. */
  take(holder: string, untilMs: number, nowMs: number): Promise<boolean>;
  /** Lets go, if `holder` still holds it. */
  release(holder: string): Promise<void>;
}

/** A digest this follow-up holds (lib/aws/dynamo/digest-claims.ts). */
export interface DigestClaim {
  /** The claim's own token: only its holder can give it back. */
  token: string;
  /** The tries of that digest given back before this one (0 for the first). */
  tries: number;
}

/** Where each channel's digest of a day is claimed, once (lib/aws/dynamo/digest-claims.ts). */
export interface DigestClaims {
  /**
   * Claims `channelId`'s digest of `date`: undefined when another follow-up holds it, or gave it
   * back to be tried again later than `at`.
   */
  claim(channelId: string, date: string, at: Date): Promise<DigestClaim | undefined>;
  /**
   * Gives a claim back after a try that surely posted nothing: any follow-up may claim it again
   * from `retryAt`, one more try counted.
   */
  release(channelId: string, date: string, claim: DigestClaim, retryAt: Date): Promise<void>;
}

/** What the media digest needs (digest.ts). */
export interface DigestDeps {
  claims: DigestClaims;
  sightings: SightingStore;
  /**
   * When this container asks again about each digest it has met (`digestKey`, epoch ms):
   * `Infinity` once it is settled (sent, held elsewhere, or given up), so a warm follow-up past
   * a digest's time makes no call for it. Lost at a cold start, when the claim answers once more.
   */
  notBefore: Map<string, number>;
}

export interface FollowUpDeps extends RecordDeps {
  queue: WorkQueue;
  openTenant(secretId: string): Promise<Tenant>;
  /**
   * The policy, for one check only: a tenant's servers are read for an operation whose channel
   * is bound to that tenant and secret (lib/policy/in-force.ts's `boundTo`). The follow-up
   * decides nobody's rights.
   */
  policy: Policy;
  pollIntervalMs: number;
  detachTimeoutS: number;
  marginMs: number;
  /** How long an operation may wait for the worker before it is handed over again. */
  handoverGraceS: number;
  /** How long an audit event may wait in its outbox before it counts in `AuditOutboxStale`. */
  auditOutboxGraceS: number;
  /**
   * How long after ECL accepted a detach an idle server whose media ECL does not list counts as
   * finished (ECL may show a task a moment late).
   */
  eclGraceMs: number;
  sleep: (ms: number) => Promise<void>;
  /** The daily media digests; without it (the CLI, tests of other things), none is sent. */
  digest?: DigestDeps;
  /** At most this many fleet targets of one tenant in flight at once (FLEET_IN_FLIGHT unless set). */
  fleetInFlight?: number;
  /** Keeps the follow-up single; without one (the CLI, tests), every invocation polls. */
  lease?: Lease;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
}
