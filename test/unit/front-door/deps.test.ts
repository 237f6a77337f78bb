/**
 * The front door's shared steps: a refusal written to the trail and logged, and a state in words.
 */
import { describe, expect, it } from "vitest";
import { refuse } from "../../../lib/front-door/deps";
import { stateWords } from "../../../lib/operations/operation";
import { md } from "../../../lib/slack/mrkdwn";
import { frontDoorFakes, NOW, operationIn } from "../fakes";

describe("refuse", () => {
  it("audits the refusal under its operation, logs it, and gives back the words", async () => {
    // Prepare
    const logged: Array<[string, object | undefined]> = [];
    const f = frontDoorFakes({
      log: { info: (message, extra) => void logged.push([message, extra]), warn: () => {} },
    });
    const words = md`You may not.`;
    // Act
    const said = await refuse(
      f.deps,
      {
        operationId: "op-0123456789",
        teamId: "T1",
        userId: "U0X",
        reason: "not_a_member",
        facts: { command: "status" },
      },
      words,
    );
    // Assess
    expect(said).toBe(words);
    expect(f.events).toEqual([
      {
        operationId: "op-0123456789",
        seq: 0,
        at: NOW.toISOString(),
        action: "refused:not_a_member",
        actor: { teamId: "T1", userId: "U0X" },
        facts: { command: "status" },
      },
    ]);
    expect(logged).toEqual([["refused", { operationId: "op-0123456789", reason: "not_a_member" }]]);
    expect(f.ops.size).toBe(0);
  });
});

describe("stateWords", () => {
  it.each([
    [[], "requested"],
    [["awaiting_approval"], "awaiting approval"],
    [["approved", "waiting_for_idle"], "waiting for idle"],
    [["approved", "executing", "timed_out"], "timed out"],
  ] as const)("after %j: %s", (states, words) => {
    // Prepare
    const op = operationIn(new Map(), "C0CHG", [...states]);
    // Act, Assess
    expect(stateWords(op.state)).toBe(words);
  });
});
