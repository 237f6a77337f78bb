import { describe, expect, it } from "vitest";
import { decideOnRequest } from "../../../lib/front-door/decide-on-request";
import { fleetRef, requestFleet } from "../../../lib/front-door/request-fleet";
import type { Operation } from "../../../lib/operations/operation";
import { frontDoorFakes, IMAGE, NOW, operationIn } from "../fakes";

const request = (changes: Partial<Parameters<typeof requestFleet>[1]> = {}) => ({
  teamId: "T1",
  channelId: "C0INC",
  userId: "U0REQ",
  triggerId: "1.2.3",
  image: IMAGE,
  reason: "INC-7",
  responseUrl: "https://hooks.slack.com/commands/T1/1/x",
  ...changes,
});

describe("requestFleet", () => {
  it("records the fleet request by id, its prepare queued, its targets named later", async () => {
    const f = frontDoorFakes();
    const said = await requestFleet(f.deps, request({ match: "web-" }));
    const [op] = f.ops.values();
    expect(said.text).toBe(
      `Recorded \`${op?.id}\`: detach image \`${IMAGE}\` from every server of tenant \`t\` whose name starts with \`web-\` and that has it. bm lists the servers and posts progress in this channel, on one card.`,
    );
    expect(op).toMatchObject({
      state: "requested",
      serverRef: "web-",
      imageId: IMAGE,
      reason: "INC-7",
      fleet: { match: "web-", targets: [] },
      responseUrl: "https://hooks.slack.com/commands/T1/1/x",
    });
    expect(f.sent).toEqual([{ kind: "prepare", operationId: op?.id }]);
    // A redelivery of the same command records nothing more.
    const again = await requestFleet(f.deps, request({ match: "web-" }));
    expect(f.ops.size).toBe(1);
    expect(again.text).toBe(`This request is already recorded as \`${op?.id}\` (requested).`);
  });

  it("with approvals: says one approval for all; without --match: every server, no responseUrl kept", async () => {
    const f = frontDoorFakes();
    const said = await requestFleet(
      f.deps,
      request({ channelId: "C0CHG", responseUrl: undefined } as never),
    );
    const [op] = f.ops.values();
    expect(said.text).toBe(
      `Recorded \`${op?.id}\`: detach image \`${IMAGE}\` from every server of tenant \`t\` that has it. bm lists the servers, then posts the request, with its targets, in this channel for approvers: one approval for all of them.`,
    );
    expect(op?.fleet).toStrictEqual({ targets: [] });
    expect(op?.serverRef).toBe("all");
    expect(fleetRef(undefined)).toBe("all");
    expect(fleetRef("db-")).toBe("db-");
  });

  it("made by a button of /bm media: its requested event says so; by a command: nothing said", async () => {
    const f = frontDoorFakes();
    await requestFleet(f.deps, request({ via: "/bm media" }));
    await requestFleet(f.deps, request({ triggerId: "4.5.6" }));
    const [button, command] = [...f.ops.values()];
    expect(button?.lastEvent.facts.via).toBe("/bm media");
    expect(command?.lastEvent.facts).not.toHaveProperty("via");
  });

  it("refuses who may not request there, audited with the fleet's facts", async () => {
    const f = frontDoorFakes();
    const said = await requestFleet(f.deps, request({ channelId: "C0NONE" }));
    expect(said.text).toContain("bm is not enabled in this channel");
    expect(f.ops.size).toBe(0);
    expect(f.events.at(-1)?.facts).toMatchObject({
      channel: "C0NONE",
      server: "all",
      image: IMAGE,
      fleet: true,
    });
  });
});

describe("cancel the rest", () => {
  const underWay = (f: ReturnType<typeof frontDoorFakes>, changes: Partial<Operation> = {}) =>
    operationIn(f.ops, "C0INC", ["approved"], {
      state: "detaching",
      serverRef: "all",
      fleet: { targets: [{ serverId: "s1", serverName: "web01", opId: "op-t1" }] },
      tally: {},
      ...changes,
    });
  const cancel = (f: ReturnType<typeof frontDoorFakes>, id: string, userId = "U0REQ") =>
    decideOnRequest(f.deps, { teamId: "T1", userId, operationId: id, action: "cancel" });

  it("the requester's cancel of a fleet under way records it; nothing more is released", async () => {
    const f = frontDoorFakes();
    const fleet = underWay(f);
    const said = await cancel(f, fleet.id);
    expect(said.text?.text).toBe(
      `You cancelled the rest of \`${fleet.id}\`: bm sends no more of its detaches. Those sent already finish, and its card says how it ends.`,
    );
    const op = f.ops.get(fleet.id) as Operation;
    expect(op.state).toBe("detaching");
    expect(op.fleet?.cancelRest).toEqual({ by: "U0REQ", at: NOW.toISOString() });
    expect([op.lastEvent.action, op.lastEvent.actor.userId]).toEqual(["cancel_rest", "U0REQ"]);
    expect(f.sent).toEqual([{ kind: "announce", operationId: fleet.id }]);
    // Twice: said, and nothing changes.
    const again = await cancel(f, fleet.id);
    expect(again.text?.text).toBe(
      `The rest of \`${fleet.id}\` is cancelled already: what was sent finishes.`,
    );
    expect((f.ops.get(fleet.id) as Operation).seq).toBe(op.seq);
    expect(f.events.at(-1)?.action).toBe("refused:not_cancellable");
  });

  it("a fleet approved but not yet started is cancelled as a whole", async () => {
    const f = frontDoorFakes();
    const fleet = underWay(f, { state: "approved" });
    const said = await cancel(f, fleet.id);
    expect(said.text?.text).toBe(`You cancelled \`${fleet.id}\`. Nothing was sent to ECL.`);
    expect(f.ops.get(fleet.id)?.state).toBe("cancelled");
  });

  it("someone else may not; a single detach under way still cannot be cancelled", async () => {
    const f = frontDoorFakes();
    const fleet = underWay(f);
    await cancel(f, fleet.id, "U0OTHER");
    expect(f.ops.get(fleet.id)?.fleet?.cancelRest).toBeUndefined();
    const single = operationIn(f.ops, "C0INC", ["approved", "executing", "detaching"]);
    const said = await cancel(f, single.id);
    expect(said.text?.text).toBe(`\`${single.id}\` is detaching: it can no longer be cancelled.`);
  });
});
