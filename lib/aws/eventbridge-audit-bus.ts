/**
 * The optional export of audit events to an EventBridge bus (`BM_AUDIT_EVENT_BUS`).
 */
import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { AuditBus } from "../audit/archive-batch";

/**
 * PutEvents on the bus each entry names. An entry without an EventId in the answer (an
 * `ErrorCode`, or no answer for it) counts as refused, so it is put again.
 */
export function eventBridgeAuditBus(client: EventBridgeClient): AuditBus {
  return {
    async publish(entries) {
      const answer = await client.send(new PutEventsCommand({ Entries: entries }));
      return entries.map((_, i) => {
        const result = answer.Entries?.[i];
        return !result?.EventId || result.ErrorCode !== undefined;
      });
    },
  };
}
