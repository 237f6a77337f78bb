import { describe, expect, it } from "vitest";
import type { Operation, TargetState } from "../../../lib/operations/operation";
import {
  fleetCard,
  fleetNotice,
  progressNotice,
  restCancellable,
  TARGETS_SHOWN,
} from "../../../lib/slack/fleet-messages";
import { AT, sampleOperation } from "../operations/sample-operation";

/** A fleet of `states.length` targets web01…, in `state`, its targets in those states. */
function fleetIn(
  state: Operation["state"],
  states: TargetState[],
  changes: Partial<Operation> = {},
) {
  const targets = states.map((_, i) => ({
    serverId: `s${i + 1}`,
    serverName: `web${String(i + 1).padStart(2, "0")}`,
    opId: `op-t${i + 1}`,
  }));
  const tally: Record<string, TargetState> = {};
  states.forEach((s, i) => {
    if (s !== "queued") tally[`op-t${i + 1}`] = s;
  });
  return sampleOperation({ serverRef: "all", state, fleet: { targets }, tally, ...changes });
}

/** Every text of a message's blocks, one a line. */
function texts(message: ReturnType<typeof fleetCard>): string[] {
  return (message.blocks as unknown as Array<Record<string, unknown>>).flatMap((block) => {
    const own = (block.text as { text?: string } | undefined)?.text;
    const fields = ((block.fields ?? []) as Array<{ text: string }>).map((f) => f.text);
    const elements = ((block.elements ?? []) as Array<{ text?: string | { text: string } }>).map(
      (e) => (typeof e.text === "string" ? e.text : (e.text?.text ?? "")),
    );
    return [...(own ? [own] : []), ...fields, ...elements];
  });
}

describe("fleetCard", () => {
  it("awaiting approval: the targets' count, the first 10 by name, Approve, Reject, Cancel", () => {
    expect(TARGETS_SHOWN).toBe(10);
    const op = fleetIn("awaiting_approval", Array(12).fill("queued"), {
      approvalsRequired: 1,
      fleet: {
        match: "web",
        unknowns: 2,
        targets: Array.from({ length: 12 }, (_, i) => ({
          serverId: `s${i + 1}`,
          serverName: `web${String(i + 1).padStart(2, "0")}`,
          opId: `op-t${i + 1}`,
        })),
      },
    });
    const card = fleetCard(op);
    expect(card.text).toBe(
      "<@U1> asks to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from 12 servers: INC-1 — needs approval (op-0123456789)",
    );
    const said = texts(card);
    expect(said[0]).toBe(
      "*Media detach, many servers* `op-0123456789` · :raised_hand: Awaiting approval",
    );
    expect(said).toContain(
      "*Targets*\n12 servers: `web01`, `web02`, `web03`, `web04`, `web05`, `web06`, `web07`, `web08`, `web09`, `web10`, … and 2 more\n2 servers did not say what is attached: not included",
    );
    expect(said).toContain("*Servers*\nthe servers of tenant `prod` whose name starts with `web`");
    expect(said.some((t) => t.startsWith("*Progress*"))).toBe(false);
    expect(said.filter((t) => ["Approve", "Reject", "Cancel"].includes(t))).toEqual([
      "Approve",
      "Reject",
      "Cancel",
    ]);
  });

  it("under way: the counts, and Cancel the rest while some wait to be sent", () => {
    const op = fleetIn("detaching", ["done", "detaching", "waiting_for_idle", "queued"]);
    const said = texts(fleetCard(op));
    expect(said).toContain(
      "*Progress*\n1 of 4 done, 1 in flight, 1 waiting for the server, 1 queued",
    );
    expect(said).toContain("*Servers*\nevery server of tenant `prod` that has it");
    expect(said.at(-2)).toBe("Cancel the rest");
    expect(restCancellable(op)).toBe(true);
    expect(restCancellable(fleetIn("detaching", ["done", "waiting_for_idle"]))).toBe(true);
    expect(restCancellable(fleetIn("detaching", ["done", "detaching"]))).toBe(false);
    expect(restCancellable(fleetIn("approved", ["queued"]))).toBe(false);
    const told = fleetIn("detaching", ["queued"], {});
    told.fleet = {
      targets: told.fleet?.targets ?? [],
      cancelRest: { by: "U1", at: AT.toISOString() },
    };
    expect(restCancellable(told)).toBe(false);
    expect(texts(fleetCard(told))).not.toContain("Cancel the rest");
    expect(texts(fleetCard(told)).some((t) => t.includes("cancelled the rest"))).toBe(true);
  });

  it("ended: the outcome, no buttons; needing no approval, it says Starting", () => {
    const op = fleetIn("done", ["done", "done"], { outcome: "2 done" });
    const said = texts(fleetCard(op));
    expect(said).toContain("2 done");
    expect(said[0]).toBe("*Media detach, many servers* `op-0123456789` · :white_check_mark: Done");
    expect(fleetCard(op).text).toBe(
      "Done: <@U1> asked to detach image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from every server of tenant `prod` that has it: INC-1 (op-0123456789)",
    );
    expect(texts(fleetCard(fleetIn("approved", ["queued"])))[0]).toBe(
      "*Media detach, many servers* `op-0123456789` · :arrow_forward: Starting",
    );
    expect(texts(fleetCard(fleetIn("requested", [])))).toContain(
      "*Targets*\n_listed when bm reads the tenant's servers_",
    );
    expect(texts(fleetCard(fleetIn("noop", [])))).toContain("*Targets*\nnone");
    expect(texts(fleetCard(fleetIn("failed", [])))[0]).toBe(
      "*Media detach, many servers* `op-0123456789` · :x: Failed",
    );
    expect(texts(fleetCard(fleetIn("failed", ["failed"])))[0]).toBe(
      "*Media detach, many servers* `op-0123456789` · :x: Finished, not all done",
    );
  });
});

describe("fleetNotice and progressNotice", () => {
  it("the end, with the outcome and the requester once; nothing while it runs", () => {
    const at = new Date(AT);
    const notice = (state: Operation["state"], changes: Partial<Operation> = {}) =>
      fleetNotice(fleetIn(state, ["done"], { outcome: "1 done", ...changes }), at, 600)?.text;
    expect(notice("done")).toBe(":white_check_mark: <@U1> done: 1 done.");
    expect(notice("failed")).toBe(":x: <@U1> finished, not all done: 1 done.");
    expect(notice("noop")).toBe(":information_source: <@U1> nothing to do: 1 done");
    expect(notice("detaching")).toBeUndefined();
    expect(notice("requested")).toBeUndefined();
    expect(notice("approved")).toBeUndefined();
    expect(fleetNotice(fleetIn("failed", [], { outcome: "ECL answered 500" }), at, 600)?.text).toBe(
      ":x: <@U1> the detach failed: ECL answered 500",
    );
    expect(progressNotice(fleetIn("detaching", ["done", "queued"])).text).toBe(
      ":arrows_counterclockwise: 1 of 2 done, 1 queued",
    );
  });
});

describe("every state of a fleet", () => {
  const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";
  const asked = (words: string) =>
    `${words}: <@U1> asked to detach image ${IMAGE} from every server of tenant \`prod\` that has it: INC-1 (op-0123456789)`;
  it.each<[Operation["state"], string, string | undefined]>([
    ["requested", ":inbox_tray: Requested", undefined],
    ["awaiting_approval", ":raised_hand: Awaiting approval", undefined],
    [
      "approved",
      ":white_check_mark: Approved",
      ":white_check_mark: Approved by <@U2>. bm goes on with the detach.",
    ],
    ["waiting_for_idle", ":arrows_counterclockwise: Detaching", ":hourglass_flowing_sand: "],
    ["executing", ":arrows_counterclockwise: Detaching", undefined],
    ["detaching", ":arrows_counterclockwise: Detaching", undefined],
    ["done", ":white_check_mark: Done", ":white_check_mark: <@U1> done: 1 done."],
    [
      "noop",
      ":information_source: Nothing to do",
      ":information_source: <@U1> nothing to do: 1 done",
    ],
    ["failed", ":x: Finished, not all done", ":x: <@U1> finished, not all done: 1 done."],
    ["timed_out", ":x: Finished, not all done", ":warning: <@U1> "],
    [
      "rejected",
      ":no_entry: Rejected",
      ":no_entry: <@U1> <@U3> rejected the request: no. Nothing was sent to ECL.",
    ],
    [
      "expired",
      ":clock3: Expired",
      ":clock3: <@U1> nobody approved within 30 min, so the request has expired. Nothing was sent to ECL.",
    ],
    [
      "cancelled",
      ":heavy_multiplication_x: Cancelled",
      ":heavy_multiplication_x: <@U1> cancelled the request. Nothing was sent to ECL.",
    ],
  ])("%s: its header, its text, its notice", (state, header, notice) => {
    const op = fleetIn(state, ["done"], {
      approvalsRequired: 1,
      approvals: [{ userId: "U2", at: "2026-11-26T10:01:00.000Z" }],
      outcome: "1 done",
      rejectedBy: "U3",
      rejectReason: "no",
      cancelledBy: "U1",
    });
    const card = fleetCard(op);
    expect(texts(card)[0]).toBe(`*Media detach, many servers* \`op-0123456789\` · ${header}`);
    expect(card.text).toBe(
      state === "awaiting_approval"
        ? `<@U1> asks to detach image ${IMAGE} from 1 server: INC-1 — needs approval (op-0123456789)`
        : asked(header.slice(header.indexOf(" ") + 1)),
    );
    const said = fleetNotice(op, new Date("2026-11-26T10:05:00Z"), 600)?.text;
    // A fleet itself never waits nor times out (its targets do): said as a single request's.
    if (state === "timed_out" || state === "waiting_for_idle")
      expect(said?.startsWith(notice as string)).toBe(true);
    else expect(said).toBe(notice);
  });

  it("says the reason, or that none was given; the footer; the rest's cancellation", () => {
    const none = fleetIn("detaching", ["queued"], { reason: "" });
    const said = texts(fleetCard(none));
    expect(said).toContain("*Reason*\n_none given_");
    expect(fleetCard(none).text).toContain("that has it: no reason given (op-0123456789)");
    expect(said.at(-1)).toBe(
      "Tenant `prod` · requested <!date^1795687200^{date_num} {time}|2026-11-26 10:00 UTC> · one operation a server, each with its own audit trail",
    );
    const told = fleetIn("cancelled", ["done", "cancelled"], { outcome: "1 done; 1 cancelled" });
    told.fleet = {
      targets: told.fleet?.targets ?? [],
      cancelRest: { by: "U1", at: "2026-11-26T10:02:00.000Z" },
    };
    expect(fleetNotice(told, new Date(), 600)?.text).toBe(
      ":heavy_multiplication_x: <@U1> the rest was cancelled: 1 done; 1 cancelled.",
    );
    expect(texts(fleetCard(told))).toContain(
      "<@U1> cancelled the rest, <!date^1795687320^{date_num} {time}|2026-11-26 10:02 UTC>: what was sent finishes.",
    );
  });
});

describe("the card's blocks, whole", () => {
  const targets = [1, 2].map((i) => ({
    serverId: `s${i}`,
    serverName: `web0${i}`,
    opId: `op-t${i}`,
  }));
  const base = {
    serverRef: "all",
    serverName: "2 servers",
    approvalsRequired: 1,
    fleet: { targets },
  };

  it("awaiting approval", () => {
    const op = sampleOperation({
      ...base,
      state: "awaiting_approval",
      approvers: ["S0APP"],
      requestExpiresAt: "2026-11-26T10:30:00.000Z",
      tally: {},
    });
    expect(fleetCard(op).blocks).toEqual([
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: "*Media detach, many servers* `op-0123456789` \u00b7 :raised_hand: Awaiting approval",
          verbatim: true,
        },
      },
      {
        type: "section",
        fields: [
          {
            type: "mrkdwn",
            text: "*Requested by*\n<@U1>",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Image*\n`3339fd5f-ec06-4ef8-9337-c1c70218a748`",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Servers*\nevery server of tenant `prod` that has it",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Targets*\n2 servers: `web01`, `web02`",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Reason*\nINC-1",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Approval*\n1 needed from <!subteam^S0APP>\nexpires <!date^1795689000^{date_num} {time}|2026-11-26 10:30 UTC>",
            verbatim: true,
          },
        ],
      },
      {
        type: "actions",
        block_id: "bm_approval",
        elements: [
          {
            type: "button",
            text: {
              type: "plain_text",
              text: "Approve",
            },
            action_id: "bm_approve",
            value: "op-0123456789",
            accessibility_label: "Approve detaching 3339fd5f\u2026 from 2 servers (op-0123456789)",
            style: "primary",
            confirm: {
              title: {
                type: "plain_text",
                text: "Approve this detach?",
              },
              text: {
                type: "plain_text",
                text: "Once 1 approval is given, bm detaches image 3339fd5f-ec06-4ef8-9337-c1c70218a748 from 2 servers (op-0123456789) at once. A detach cannot be undone.",
              },
              confirm: {
                type: "plain_text",
                text: "Approve",
              },
              deny: {
                type: "plain_text",
                text: "Back",
              },
              style: "primary",
            },
          },
          {
            type: "button",
            text: {
              type: "plain_text",
              text: "Reject",
            },
            action_id: "bm_reject",
            value: "op-0123456789",
            accessibility_label: "Reject detaching 3339fd5f\u2026 from 2 servers (op-0123456789)",
            style: "danger",
          },
          {
            type: "button",
            text: {
              type: "plain_text",
              text: "Cancel",
            },
            action_id: "bm_cancel",
            value: "op-0123456789",
            accessibility_label: "Cancel detaching 3339fd5f\u2026 from 2 servers (op-0123456789)",
            confirm: {
              title: {
                type: "plain_text",
                text: "Cancel this request?",
              },
              text: {
                type: "plain_text",
                text: "Nothing is sent to ECL, and nobody can approve op-0123456789 afterwards: the requester would have to ask again.",
              },
              confirm: {
                type: "plain_text",
                text: "Cancel the request",
              },
              deny: {
                type: "plain_text",
                text: "Keep it",
              },
              style: "danger",
            },
          },
        ],
      },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: "Tenant `prod` \u00b7 requested <!date^1795687200^{date_num} {time}|2026-11-26 10:00 UTC> \u00b7 one operation a server, each with its own audit trail",
            verbatim: true,
          },
        ],
      },
    ]);
  });

  it("under way, with Cancel the rest", () => {
    const op = sampleOperation({
      ...base,
      state: "detaching",
      approvals: [{ userId: "U2", at: "2026-11-26T10:01:00.000Z" }],
      tally: { "op-t1": "done" },
    });
    expect(fleetCard(op).blocks).toEqual([
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: "*Media detach, many servers* `op-0123456789` \u00b7 :arrows_counterclockwise: Detaching",
          verbatim: true,
        },
      },
      {
        type: "section",
        fields: [
          {
            type: "mrkdwn",
            text: "*Requested by*\n<@U1>",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Image*\n`3339fd5f-ec06-4ef8-9337-c1c70218a748`",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Servers*\nevery server of tenant `prod` that has it",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Targets*\n2 servers: `web01`, `web02`",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Reason*\nINC-1",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Approval*\n1 needed\n:white_check_mark: <@U2> approved, <!date^1795687260^{date_num} {time}|2026-11-26 10:01 UTC>",
            verbatim: true,
          },
          {
            type: "mrkdwn",
            text: "*Progress*\n1 of 2 done, 1 queued",
            verbatim: true,
          },
        ],
      },
      {
        type: "actions",
        block_id: "bm_fleet",
        elements: [
          {
            type: "button",
            text: {
              type: "plain_text",
              text: "Cancel the rest",
            },
            action_id: "bm_cancel",
            value: "op-0123456789",
            accessibility_label: "Cancel the rest of op-0123456789",
            confirm: {
              title: {
                type: "plain_text",
                text: "Cancel the rest?",
              },
              text: {
                type: "plain_text",
                text: "bm sends no more detaches for op-0123456789; those already sent to ECL finish and are reported.",
              },
              confirm: {
                type: "plain_text",
                text: "Cancel the rest",
              },
              deny: {
                type: "plain_text",
                text: "Keep going",
              },
              style: "danger",
            },
          },
        ],
      },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: "Tenant `prod` \u00b7 requested <!date^1795687200^{date_num} {time}|2026-11-26 10:00 UTC> \u00b7 one operation a server, each with its own audit trail",
            verbatim: true,
          },
        ],
      },
    ]);
  });
});

describe("the card's edges", () => {
  it("progress only once under way and with targets; nothing to do says so, not Failed", () => {
    const fieldsOf = (op: Operation) =>
      texts(fleetCard(op)).filter((t) => t.startsWith("*Progress*"));
    expect(fieldsOf(fleetIn("requested", ["queued"]))).toEqual([]);
    expect(fieldsOf(fleetIn("awaiting_approval", ["queued"]))).toEqual([]);
    expect(fieldsOf(fleetIn("detaching", []))).toEqual([]);
    expect(fieldsOf(fleetIn("approved", ["queued"]))).toEqual([
      "*Progress*\n0 of 1 done, 1 queued",
    ]);
    expect(texts(fleetCard(fleetIn("noop", [])))[0]).toBe(
      "*Media detach, many servers* `op-0123456789` · :information_source: Nothing to do",
    );
    const done = fleetIn("done", ["done"], { outcome: "1 done" });
    expect(fleetCard(done).blocks?.map((b) => b.type)).toEqual([
      "section",
      "section",
      "section",
      "context",
    ]);
  });

  it("an operation without a fleet still makes a card and a notice", () => {
    const op = sampleOperation({ state: "noop" });
    expect(texts(fleetCard(op))).toContain("*Targets*\nnone");
    expect(texts(fleetCard(op))).toContain("*Servers*\nevery server of tenant `prod` that has it");
    expect(progressNotice(op).text).toBe(":arrows_counterclockwise: 0 of 0 done");
    expect(restCancellable(sampleOperation({ state: "detaching" }))).toBe(false);
    expect(fleetNotice(sampleOperation({ state: "cancelled" }), new Date(), 600)?.text).toBe(
      ":heavy_multiplication_x: <@U1> cancelled the request. Nothing was sent to ECL.",
    );
  });

  it("a notice only at an end: none while the rest is being cancelled; an end without words", () => {
    const told = fleetIn("detaching", ["detaching", "queued"]);
    told.fleet = {
      targets: told.fleet?.targets ?? [],
      cancelRest: { by: "U1", at: AT.toISOString() },
    };
    expect(fleetNotice(told, new Date(), 600)).toBeUndefined();
    expect(fleetNotice(fleetIn("done", ["done"]), new Date(), 600)?.text).toBe(
      ":white_check_mark: <@U1> done: .",
    );
  });
});
