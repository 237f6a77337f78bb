/**
 * The day's seal: once a day, one event in the chain `seal` lists every audit event of the day
 * before (UTC) by operation, key and hash, chained to the seal of the day before it. An event
 * removed, inserted or changed after its day was sealed differs from the seal, by name, even
 * where its own chain cannot tell (a whole operation removed, a standalone event changed and
 * hashed again). The seal is itself archived and, when the policy names an audit channel, posted
 * in Slack: a copy outside AWS.
 */
import type { AuditEvent } from "../operations/operation";
import { chained } from "./chain";

/** The operation id of the seals' chain: no operation id has this form. */
export const SEAL_CHAIN = "seal";

/** A seal: an audit event of the chain {@link SEAL_CHAIN}, with the day's events listed. */
export interface Seal extends AuditEvent {
  facts: { day: string; count: number };
  /** `<operationId> <event key> <hash>`, one per event of the day, sorted. */
  sealed: string[];
}

/** An audit event as the table holds it: with its sort key. */
export type StoredEvent = AuditEvent & { event: string };

/** The UTC day (YYYY-MM-DD) of a time. */
export function dayOf(at: string): string {
  return at.slice(0, 10);
}

/** The day after `day`; empty for what is no day (a seal rewritten by hand). */
export function nextDay(day: string): string {
  const start = Date.parse(`${day}T00:00:00.000Z`);
  return Number.isNaN(start) ? "" : new Date(start + 86_400_000).toISOString().slice(0, 10);
}

/** How an event is listed in a seal. An event without a hash is listed with `-`. */
export function sealLine(event: StoredEvent): string {
  return `${event.operationId} ${event.event} ${event.hash ?? "-"}`;
}

/** Every event of `day` (its seals left out), as a seal lists them. */
export function linesOfDay(events: readonly StoredEvent[], day: string): string[] {
  return events
    .filter((e) => e.operationId !== SEAL_CHAIN && dayOf(e.at) === day)
    .map(sealLine)
    .sort();
}

/**
 * The seal of `day`, made at `at`, after `previous` (the seal of the day before; none for the
 * first seal).
 */
export function sealDay(
  day: string,
  events: readonly StoredEvent[],
  previous: Seal | undefined,
  at: Date,
): Seal {
  const sealed = linesOfDay(events, day);
  const seal = chained(
    {
      operationId: SEAL_CHAIN,
      seq: (previous?.seq ?? 0) + 1,
      at: at.toISOString(),
      action: "sealed",
      actor: { teamId: "", userId: "bm" },
      facts: { day, count: sealed.length },
      sealed,
    } as Omit<Seal, "hash" | "prev">,
    previous,
  );
  return seal as Seal;
}

/** The days to seal at `now`: every day after `lastSealed` (else from `firstDay`) up to yesterday. */
export function daysToSeal(
  lastSealed: string | undefined,
  firstDay: string | undefined,
  now: Date,
): string[] {
  const today = now.toISOString().slice(0, 10);
  let day = lastSealed ? nextDay(lastSealed) : firstDay;
  const days: string[] = [];
  while (day !== undefined && day < today) {
    days.push(day);
    day = nextDay(day);
  }
  return days;
}
