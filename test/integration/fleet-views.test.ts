/**
 * A fleet request as the reads show it (issue 25), through the real handlers: `/bm history`
 * gives it one line with its counts and no line per target; `/bm history SERVER` gives the
 * target's, naming its fleet; `/bm status FLEET-ID` lists its targets by name with their own
 * operations' ids; the requester's Home tab shows it once.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Operation } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { httpApiEvent, lambdaContext } from "../../local/lambda-events";
import { appHomeOpenedBody, eventHeaders } from "../../local/slack-request";
import type { LocalStack } from "../../local/stack";
import { drain, operation, settled, slash, testStack } from "../support/stack-harness";

let stack: LocalStack;
beforeAll(async () => {
  stack = await testStack({ taskMs: 100 });
});
afterAll(() => stack.close());

const USER = "U0VIEWER";
const lastEphemeral = (user: string) => stack.slack?.ephemeralsOf("C0INCIDENT", user).at(-1)?.text;

/** The Home tab's text as the person reads it: every section's text, in order. */
function homeText(user: string): string {
  const view = stack.slack?.homes.get(user)?.view as
    | { blocks: Array<{ text?: { text: string } }> }
    | undefined;
  return (view?.blocks ?? [])
    .map((b) => b.text?.text ?? "")
    .filter(Boolean)
    .join("\n");
}

let fleet: Operation;
let targets: Operation[];
const prefix = `views-${Math.random().toString(36).slice(2, 7)}-`;

beforeAll(async () => {
  for (let i = 1; i <= 4; i++)
    stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: `${prefix}${i}`,
      media: [SAMPLE.image],
    });
  const answer = await slash(stack, `detach --all ${SAMPLE.image} --match ${prefix} INC-9`, {
    user: USER,
  });
  const id = answer.operationId as string;
  await drain(
    stack,
    async () => {
      await stack.followup(200);
      return settled(stack, id);
    },
    30_000,
  );
  fleet = await operation(stack, id);
  targets = await Promise.all((fleet.fleet?.targets ?? []).map((t) => operation(stack, t.opId)));
}, 60_000);

it("the fleet ended done, its 4 targets each an operation of their own", () => {
  expect(fleet.state).toBe("done");
  expect(targets.map((t) => [t.state, t.parentId])).toEqual(
    Array.from({ length: 4 }, () => ["done", fleet.id]),
  );
});

it("/bm history: the fleet in one line with its counts, no line per target", async () => {
  const answer = await slash(stack, "history", { user: USER });
  const lines = answer.text.split("\n");
  const line = lines.find((l) => l.includes(fleet.id));
  expect(line).toContain(` 4 servers named \`${prefix}\`… · requested by <@U0VIEWER> · *done* in `);
  expect(line).toMatch(/ · 4 of 4 done · <[^|]+\|thread>$/);
  for (const target of targets) expect(answer.text).not.toContain(target.id);
});

it("/bm history SERVER: the target's line, naming its fleet", async () => {
  const target = targets[0] as Operation;
  const answer = await slash(stack, `history ${target.serverName}`, { user: USER });
  expect(answer.text).toContain(`\`${target.id}\``);
  expect(answer.text).toContain(`\`${target.serverName}\` · of fleet \`${fleet.id}\``);
  expect(answer.text).not.toContain(`\`${fleet.id}\` <!date`);
});

it("/bm status FLEET-ID: its counts, then each target by name with its operation's id", async () => {
  await slash(stack, `status ${fleet.id}`, { user: USER });
  await drain(stack);
  const [head, outcome, listed] = lastEphemeral(USER)?.split("\n") ?? [];
  expect(head).toMatch(
    new RegExp(`^\`${fleet.id}\` done, .*: 4 servers named \`${prefix}\`…, 4 of 4 done\\.$`),
  );
  expect(outcome).toBe("4 done");
  for (const t of fleet.fleet?.targets ?? [])
    expect(listed).toContain(`\`${t.serverName}\` \`${t.opId}\` done`);
});

it("/bm status TARGET-ID: the target's server read, its line naming its fleet", async () => {
  const target = targets[1] as Operation;
  await slash(stack, `status ${target.id}`, { user: USER });
  await drain(stack);
  const [line, server] = lastEphemeral(USER)?.split("\n") ?? [];
  expect(line).toMatch(new RegExp(`^\`${target.id}\` \\(of fleet \`${fleet.id}\`\\) done, `));
  expect(server).toContain(`*${target.serverName}*`);
});

it("the requester's Home: the fleet once, with its counts, none of its targets", async () => {
  const body = appHomeOpenedBody({ teamId: "T0001", userId: USER });
  const result = (await stack.handlers.slack(
    httpApiEvent("POST", "/slack/events", eventHeaders(stack.signingSecret, body), body),
    lambdaContext("bm-slack", 6000),
  )) as { statusCode?: number };
  expect(result.statusCode).toBe(200);
  const home = homeText(USER);
  expect(home).toContain(
    `\`${fleet.id}\` 4 servers named \`${prefix}\`… (4 of 4 done) in <#C0INCIDENT>: *done*`,
  );
  for (const target of targets) expect(home).not.toContain(target.id);
});
