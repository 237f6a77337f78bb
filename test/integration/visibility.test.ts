import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { drain, operation, slash, testStack } from "../support/stack-harness";

/**
 * What a channel may see (issue 21, finding 4), through the real handlers: C0OPS (only the
 * operators' group may request there) and C0INCIDENT (anyone may) are bound to one tenant. A
 * detach requested in C0OPS is none of the business of someone who may not request there, from
 * whichever channel they ask; an operator, who may request in both, sees both.
 */
let stack: LocalStack;
let restricted: string;
let open: string;

beforeAll(async () => {
  stack = await testStack();
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
    name: "vis-web",
    media: [SAMPLE.image],
  });
  // Held: the detach stays in flight, so /bm status of the server would list it.
  stack.ecl?.model.hold(server?.id);
  const ops = await slash(stack, `detach vis-web ${SAMPLE.image} secret change`, {
    channel: "C0OPS",
    user: "U0OPERATOR",
  });
  restricted = ops.operationId as string;
  await drain(stack, async () => (await operation(stack, restricted)).state === "detaching");
  const mine = await slash(stack, `detach web02 ${SAMPLE.image} my own`, {
    channel: "C0INCIDENT",
    user: "U0ALICE",
  });
  open = mine.operationId as string;
  await drain(stack);
});
afterAll(() => stack.close());

/** What `/bm status <target>` in C0INCIDENT tells `user`, once the worker has answered. */
async function status(target: string, user: string): Promise<string> {
  const before = stack.slack?.ephemeralsOf("C0INCIDENT", user).length ?? 0;
  await slash(stack, `status ${target}`, { channel: "C0INCIDENT", user, follow: false });
  const said = () => stack.slack?.ephemeralsOf("C0INCIDENT", user)[before]?.text;
  await drain(stack, async () => said() !== undefined);
  return said() ?? "";
}

describe("/bm history across the channels of a tenant", () => {
  it("shows someone who may not request in C0OPS none of its operations, only their count", async () => {
    const answer = await slash(stack, "history", { channel: "C0INCIDENT", user: "U0ALICE" });
    const lines = answer.text.split("\n");
    expect(lines[0]).toBe("The last 1 operation(s) in tenant `sample`:");
    expect(lines[1]).toMatch(new RegExp(`^• \`${open}\` .* requested by <@U0ALICE> `));
    expect(lines.slice(2)).toEqual(["1 more in channels you cannot see."]);
    expect(answer.text).not.toContain(restricted);
    expect(answer.text).not.toContain("U0OPERATOR");
    expect(answer.text).not.toContain("C0OPS");
  });

  it("says so when all there is of a server is in channels they cannot see", async () => {
    const answer = await slash(stack, "history vis-web", {
      channel: "C0INCIDENT",
      user: "U0ALICE",
    });
    expect(answer.text).toBe(
      "No operations you may see for `vis-web` in tenant `sample`: 1 more in channels you cannot see.",
    );
  });

  it("shows an operator, who may request in both channels, both", async () => {
    const answer = await slash(stack, "history", { channel: "C0INCIDENT", user: "U0OPERATOR" });
    const lines = answer.text.split("\n");
    expect(lines[0]).toBe("The last 2 operation(s) in tenant `sample`:");
    expect(lines.slice(1).map((l) => l.match(/`(op-\w+)`/)?.[1])).toEqual([open, restricted]);
  });
});

describe("the Slack calls of what a channel may see", () => {
  it("a history asks each user group of the tenant's channels once at most, then none", async () => {
    // Prepare: the front door keeps groups for minutes; a new user is worked out from them.
    const groups = () =>
      stack.slack?.callsOf("usergroups.users.list").map((c) => c.args.usergroup) ?? [];
    const before = groups().length;
    // Act
    await slash(stack, "history", { channel: "C0INCIDENT", user: "U0NEWCOMER" });
    const first = groups().slice(before);
    await slash(stack, "history", { channel: "C0INCIDENT", user: "U0NEWCOMER" });
    // Assess: the test policy names two groups
    expect(new Set(first).size).toBe(first.length);
    expect(first.every((g) => g === "S0OPERATORS" || g === "S0APPROVERS")).toBe(true);
    expect(groups().length).toBe(before + first.length);
  });
});

describe("/bm status across the channels of a tenant", () => {
  const CANNOT_SEE = (id: string) =>
    `bm shows you no operation \`${id}\`: either there is none in this channel's tenant, or it is in a channel where you may neither request nor approve.`;

  it("of an operation of C0OPS: refused as an operation that does not exist is", async () => {
    expect(await status(restricted, "U0ALICE")).toBe(CANNOT_SEE(restricted));
    expect(await status("op-0000000000", "U0ALICE")).toBe(CANNOT_SEE("op-0000000000"));
  });

  it("of the server: its state, and of what is in flight for it only the count", async () => {
    const said = await status("vis-web", "U0ALICE");
    const lines = said.split("\n");
    expect(lines[0]).toMatch(/^\*vis-web\* `[\w-]+`: ACTIVE, power RUNNING, task_state /);
    expect(lines.at(-1)).toBe(
      "No operation in flight for it that you may see; 1 more in channels you cannot see.",
    );
    expect(said).not.toContain(restricted);
  });

  it("shows an operator the operation of C0OPS, from C0INCIDENT", async () => {
    const lines = (await status(restricted, "U0OPERATOR")).split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^\`${restricted}\` detaching, image \`${SAMPLE.image}\`, requested by <@U0OPERATOR> `,
      ),
    );
    expect(lines.at(-1)).toMatch(new RegExp(`^In flight: \`${restricted}\` detaching`));
  });
});
