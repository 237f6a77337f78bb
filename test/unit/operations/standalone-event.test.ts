import { afterEach, describe, expect, it, vi } from "vitest";
import type { MetricName } from "../../../lib/metrics";
import type { AuditEvent } from "../../../lib/operations/operation";
import { auditRead, readIdFor, standaloneEvent } from "../../../lib/operations/standalone-event";
import { NOW } from "../fakes";

const EVENT: AuditEvent = {
  operationId: "rd-0123456789",
  seq: 0,
  at: NOW.toISOString(),
  action: "viewed:history",
  actor: { teamId: "T1", userId: "U0X" },
  facts: { channel: "C0INC" },
};

describe("standaloneEvent", () => {
  it("is seq 0, at the time given, with the fields given and nothing else", () => {
    expect(
      standaloneEvent(
        {
          operationId: "op-0123456789",
          actor: { teamId: "T1", userId: "U0X" },
          action: "refused:not_a_member",
          facts: { command: "status", n: 2, ok: false },
        },
        NOW,
      ),
    ).toEqual({
      operationId: "op-0123456789",
      seq: 0,
      at: "2026-11-27T10:00:00.000Z",
      action: "refused:not_a_member",
      actor: { teamId: "T1", userId: "U0X" },
      facts: { command: "status", n: 2, ok: false },
    });
  });
});

describe("readIdFor", () => {
  it("is rd- and 10 base-32 characters, the same for the same team and trigger, else another", () => {
    const id = readIdFor("T1", "1.2.3");
    expect(id).toMatch(/^rd-[0-9a-hjkmnp-tv-z]{10}$/);
    expect(readIdFor("T1", "1.2.3")).toBe(id);
    expect(readIdFor("T2", "1.2.3")).not.toBe(id);
    expect(readIdFor("T1", "1.2.4")).not.toBe(id);
  });
});

/** Ports that keep what was appended, logged and counted. */
function fakes(append: (e: AuditEvent) => Promise<void>) {
  const logs: Array<[string, object | undefined]> = [];
  const counted: Array<[MetricName, number]> = [];
  const deps = {
    audit: { append },
    log: { warn: (message: string, extra?: object) => void logs.push([message, extra]) },
    metrics: {
      put: (name: MetricName, value: number) => void counted.push([name, value]),
      flush() {},
    },
  };
  return { deps, logs, counted };
}

describe("auditRead", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("appends the event; nothing logged or counted", async () => {
    const appended: AuditEvent[] = [];
    const f = fakes(async (e) => void appended.push(e));
    await auditRead(f.deps, EVENT, Date.now() + 1000);
    await auditRead(f.deps, EVENT);
    expect(appended).toEqual([EVENT, EVENT]);
    expect(f.logs).toEqual([]);
    expect(f.counted).toEqual([]);
  });

  it.each([
    ["an error", new Error("down"), "Error"],
    ["anything else thrown", "down", "string"],
  ])(
    "a failed append (%s): does not throw; logged by the error's name and counted once",
    async (_, thrown, name) => {
      const f = fakes(async () => Promise.reject(thrown));
      await expect(auditRead(f.deps, EVENT)).resolves.toBeUndefined();
      await expect(auditRead(f.deps, EVENT, Date.now() + 1000)).resolves.toBeUndefined();
      const line = [
        "audit append of a read failed; the read is answered all the same",
        { operationId: "rd-0123456789", action: "viewed:history", error: name },
      ];
      expect(f.logs).toEqual([line, line]);
      expect(f.counted).toEqual([
        ["AuditWriteError", 1],
        ["AuditWriteError", 1],
      ]);
    },
  );

  it("an append still at work at the deadline: returns then, logged and counted; a failure after it is not counted again", async () => {
    vi.useFakeTimers({ now: NOW });
    let fail: (error: Error) => void = () => {};
    const f = fakes(() => new Promise<void>((_, reject) => (fail = reject)));
    let done = false;
    const read = auditRead(f.deps, EVENT, NOW.getTime() + 500).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(499);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await read;
    expect(done).toBe(true);
    expect(f.logs).toEqual([
      [
        "audit append of a read still at work when the answer had to leave",
        { operationId: "rd-0123456789", action: "viewed:history" },
      ],
    ]);
    expect(f.counted).toEqual([["AuditWriteError", 1]]);
    fail(new Error("down"));
    await vi.advanceTimersByTimeAsync(0);
    expect(f.counted).toEqual([["AuditWriteError", 1]]);
    expect(f.logs.map(([message]) => message)).toEqual([
      "audit append of a read still at work when the answer had to leave",
      "audit append of a read failed; the read is answered all the same",
    ]);
  });

  it("without a deadline, waits for the append however long it takes", async () => {
    vi.useFakeTimers({ now: NOW });
    let finish: () => void = () => {};
    const f = fakes(() => new Promise<void>((resolve) => (finish = resolve)));
    let done = false;
    const read = auditRead(f.deps, EVENT).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(done).toBe(false);
    finish();
    await read;
    expect(done).toBe(true);
    expect(f.counted).toEqual([]);
  });

  it("without metrics, a failure is logged all the same", async () => {
    const f = fakes(async () => Promise.reject(new Error("down")));
    const { metrics: _, ...deps } = f.deps;
    await auditRead(deps, EVENT);
    expect(f.logs).toHaveLength(1);
  });
});
