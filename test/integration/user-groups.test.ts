/**
 * User groups Slack refuses for good, through the real handlers: a channel whose approvers are a
 * deleted group, a disabled one and a live one still has approvers (the live group's members);
 * anyone else is refused as not an approver, never asked to try again; and the broken groups
 * are asked of Slack once, not on every click.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { click, drain, operation, settled, slash, testStack } from "../support/stack-harness";

let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({
    groups: {
      S0APPROVERS: ["U0APPROVER1", "U0APPROVER2"],
      S0OPERATORS: ["U0OPERATOR"],
      S0RETIRED: ["U0RETIRED"],
    },
    disabledGroups: ["S0RETIRED"],
  });
});
afterAll(() => stack.close());

/** A request in C0GROUPGONE, awaiting approval with its card up. */
async function awaiting(): Promise<Operation> {
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: `ug-${Math.random().toString(36).slice(2, 8)}`,
    media: [SAMPLE.image],
  });
  const answer = await slash(stack, `detach ${server?.name} ${SAMPLE.image} CHG-9`, {
    channel: "C0GROUPGONE",
    user: "U0ALICE",
  });
  await drain(
    stack,
    async () => (await operation(stack, answer.operationId)).parentTs !== undefined,
  );
  return operation(stack, answer.operationId);
}

const lastSeenBy = (user: string) =>
  stack.slack?.ephemerals.filter((e) => e.user === user).at(-1)?.text;
const askedFor = (group: string) =>
  stack.slack?.callsOf("usergroups.users.list").filter((c) => c.args.usergroup === group) ?? [];
const NOT_AN_APPROVER =
  "You may not approve requests in this channel: you are not one of its approvers in the policy.";

describe("approvers in a deleted, a disabled and a live group", () => {
  it("a member of the live group approves, and the detach is done", async () => {
    // Prepare
    const op = await awaiting();
    // Act
    await click(stack, op, "bm_approve", "U0APPROVER1");
    // Assess
    expect(lastSeenBy("U0APPROVER1")).toBe(
      `You approved \`${op.id}\` (1 of 1): bm goes on with the detach.`,
    );
    await drain(stack, async () => {
      await stack.followup(200);
      return settled(stack, op.id);
    });
    const done = await operation(stack, op.id);
    expect(done.state).toBe("done");
    expect(done.approvals?.map((a) => a.userId)).toEqual(["U0APPROVER1"]);
  });

  it("someone in no live group is refused as not an approver, not asked to try again", async () => {
    // Prepare
    const op = await awaiting();
    // Act
    await click(stack, op, "bm_approve", "U0NOBODY");
    await click(stack, op, "bm_approve", "U0RETIRED");
    // Assess
    expect(lastSeenBy("U0NOBODY")).toBe(NOT_AN_APPROVER);
    expect(lastSeenBy("U0RETIRED")).toBe(NOT_AN_APPROVER);
    expect((await operation(stack, op.id)).state).toBe("awaiting_approval");
  });

  it("asks Slack about each broken group once, however many clicks follow", async () => {
    // Prepare
    const op = await awaiting();
    // Act
    for (const user of ["U0NOBODY", "U0RETIRED", "U0OPERATOR", "U0APPROVER2"])
      await click(stack, op, "bm_approve", user);
    // Assess
    expect(lastSeenBy("U0APPROVER2")).toBe(
      `You approved \`${op.id}\` (1 of 1): bm goes on with the detach.`,
    );
    // Once per cache, whatever the number of clicks: the front door's; the worker's in-force
    // check's (it asks again right before a detach, and remembers as the front door does); the
    // worker's Home tabs' (a cache apart, so that publishing a Home never answers the in-force
    // check); and the follow-up's (whose Home tabs to publish again when it settles the detach).
    for (const broken of ["S0DELETED", "S0RETIRED"]) {
      const answers = askedFor(broken).map((c) => c.error);
      expect(answers.length).toBeGreaterThanOrEqual(1);
      expect(answers.length).toBeLessThanOrEqual(4);
      expect(new Set(answers)).toEqual(new Set(["no_such_subteam"]));
    }
    expect(askedFor("S0APPROVERS").length).toBeLessThanOrEqual(4);
  });
});

describe("the Slack stand-in's user groups, as Slack answers", () => {
  const secrets = JSON.parse(
    readFileSync(join(import.meta.dirname, "../../infra/local/secrets.json"), "utf8"),
  ) as { "bm/slack": { bot_token: string } };
  const list = async (args: Record<string, string>) => {
    const response = await fetch(`${stack.slack?.apiUrl}usergroups.users.list`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Bearer ${secrets["bm/slack"].bot_token}`,
      },
      body: new URLSearchParams(args).toString(),
    });
    return response.json();
  };

  it.each([
    ["a live group", { usergroup: "S0OPERATORS" }, { ok: true, users: ["U0OPERATOR"] }],
    ["no such group", { usergroup: "S0DELETED" }, { ok: false, error: "no_such_subteam" }],
    ["a disabled group", { usergroup: "S0RETIRED" }, { ok: false, error: "no_such_subteam" }],
    [
      "a disabled group, include_disabled",
      { usergroup: "S0RETIRED", include_disabled: "true" },
      { ok: true, users: ["U0RETIRED"] },
    ],
    [
      "a disabled group, include_disabled false",
      { usergroup: "S0RETIRED", include_disabled: "false" },
      { ok: false, error: "no_such_subteam" },
    ],
  ])("%s: %j", async (_, args, answer) => {
    expect(await list(args)).toEqual(answer);
  });
});
