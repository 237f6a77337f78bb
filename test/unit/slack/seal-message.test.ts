import { describe, expect, it } from "vitest";
import { sealDay } from "../../../lib/audit/seal";
import { sealMessage } from "../../../lib/slack/messages";

describe("the audit seal's message", () => {
  const at = new Date("2026-12-02T00:30:00.000Z");
  const first = sealDay(
    "2026-12-01",
    [
      { operationId: "op-a", event: "e000001", seq: 1, at: "2026-12-01T10:00:00.000Z", hash: "h" },
    ] as never,
    undefined,
    at,
  );
  const second = sealDay("2026-12-02", [], first, at);

  it("names the day, its events, the seal and the first of its chain", () => {
    expect(sealMessage(first)).toEqual({
      text: `:lock: bm audit seal for 2026-12-01: 1 event. Seal #1 \`${first.hash}\`, the first of its chain. \`npm run audit -- --verify\` checks the trail against it.`,
    });
  });

  it("names the seal before it by number and the first 16 hex of its hash", () => {
    expect(sealMessage(second).text).toBe(
      `:lock: bm audit seal for 2026-12-02: 0 events. Seal #2 \`${second.hash}\`, chained to #1 \`${first.hash?.slice(0, 16)}…\`. \`npm run audit -- --verify\` checks the trail against it.`,
    );
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("shows a seal without a hash (none bm makes) as `-`", () => {
    const { hash: _, ...unhashed } = first;
    expect(sealMessage(unhashed as typeof first).text).toContain("Seal #1 `-`, the first");
  });
});
