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
