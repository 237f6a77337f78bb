/**
 * The audit table's sort key (lib/aws/dynamo/audit-log.ts). Not run by mutation testing, which
 * does not mutate lib/aws/ (vitest.mutation.config.ts), so that its runs do not load the AWS SDK.
 */
import { describe, expect, it } from "vitest";
import { auditKey } from "../../../lib/aws/dynamo/audit-log";
import type { AuditEvent } from "../../../lib/operations/operation";

const refusal = (at: string, changes: Partial<AuditEvent> = {}): AuditEvent => ({
  operationId: "op-0123456789",
  seq: 0,
  at,
  action: "refused:not_an_approver",
  actor: { teamId: "T1", userId: "U0X" },
  facts: { button: "approve" },
  ...changes,
});

describe("auditKey of a collapsed refusal", () => {
  it("keyed by its time, user and reason; its count right after it, per container", () => {
    const first = refusal("2026-12-02T10:15:01.000Z", {
      facts: { minute: "2026-12-02T10:15" },
    });
    expect(auditKey(first)).toBe("r2026-12-02T10:15:01.000Z#U0X#refused:not_an_approver");
    const count = {
      ...first,
      at: "2026-12-02T10:15:59.999Z",
      facts: { ...first.facts, count: 4, first: first.at, tally: "c1" },
    };
    expect(auditKey(count)).toBe("r2026-12-02T10:15:01.000Z#U0X#refused:not_an_approver#c1");
    // A refusal not collapsed keeps its time and a random suffix.
    expect(auditKey(refusal("2026-12-02T10:15:01.000Z"))).toMatch(
      /^r2026-12-02T10:15:01\.000Z#[0-9a-f]{6}$/,
    );
    expect(auditKey({ ...first, seq: 3 })).toBe("e000003");
  });
});
