import { describe, expect, it } from "vitest";
import {
  AUDIT_DETAIL_TYPE,
  AUDIT_EVENT_SOURCE,
  busEntry,
  inBatches,
  PUT_EVENTS_MAX,
} from "../../../lib/audit/event-bus";

describe("the bus's entries", () => {
  it("carries the archived JSON as its detail, from bm.audit, as a bm audit event", () => {
    expect(busEntry("arn:aws:events:ap-northeast-1:123456789012:event-bus/x", '{"a":1}')).toEqual({
      EventBusName: "arn:aws:events:ap-northeast-1:123456789012:event-bus/x",
      Source: "bm.audit",
      DetailType: "bm audit event",
      Detail: '{"a":1}',
    });
    expect([AUDIT_EVENT_SOURCE, AUDIT_DETAIL_TYPE, PUT_EVENTS_MAX]).toEqual([
      "bm.audit",
      "bm audit event",
      10,
    ]);
  });

  it.each([
    [0, []],
    [1, [1]],
    [10, [10]],
    [11, [10, 1]],
    [25, [10, 10, 5]],
  ])("puts %i entries in batches of %j, in order", (count, sizes) => {
    const items = Array.from({ length: count }, (_, i) => i);
    const batches = inBatches(items);
    expect(batches.map((b) => b.length)).toEqual(sizes);
    expect(batches.flat()).toEqual(items);
  });

  it("takes another size", () => {
    expect(inBatches([1, 2, 3], 2)).toEqual([[1, 2], [3]]);
  });
});
