/**
 * The optional export of audit events to an EventBridge bus (`BM_AUDIT_EVENT_BUS`), pure: the
 * entries bm puts, and their batches. A security team routes them to their SIEM with rules of
 * their own; bm's code does not change for it.
 */

/** The `source` of every audit event bm puts on the bus (a rule matches it). */
export const AUDIT_EVENT_SOURCE = "bm.audit";
/** The `detail-type` of every audit event bm puts on the bus. */
export const AUDIT_DETAIL_TYPE = "bm audit event";
/** PutEvents takes at most 10 entries a call. */
export const PUT_EVENTS_MAX = 10;

/** One entry of PutEvents (the SDK's `PutEventsRequestEntry`, as bm fills it). */
export interface BusEntry {
  EventBusName: string;
  Source: string;
  DetailType: string;
  /** The archived event's JSON, the same bytes as its object in the archive. */
  Detail: string;
}

/** The entry of one archived event for the bus named `bus` (a name or an ARN). */
export function busEntry(bus: string, body: string): BusEntry {
  return {
    EventBusName: bus,
    Source: AUDIT_EVENT_SOURCE,
    DetailType: AUDIT_DETAIL_TYPE,
    Detail: body,
  };
}

/** `items` in order, in batches of at most `size`. */
export function inBatches<T>(items: readonly T[], size = PUT_EVENTS_MAX): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  return batches;
}
