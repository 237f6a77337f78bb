/**
 * What the follow-up needs from outside.
 */
import type { Tenant } from "../ecl/tenants";
import type { WorkQueue } from "../operations/ports";
import type { RecordDeps } from "../operations/record";

export interface FollowUpDeps extends RecordDeps {
  queue: WorkQueue;
  openTenant(secretId: string): Promise<Tenant>;
  pollIntervalMs: number;
  detachTimeoutS: number;
  marginMs: number;
  /** How long an operation may wait for the worker before it is handed over again. */
  handoverGraceS: number;
  /**
   * How long after ECL accepted a detach an idle server whose media ECL does not list counts as
   * finished (ECL may show a task a moment late).
   */
  eclGraceMs: number;
  sleep: (ms: number) => Promise<void>;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
}
