import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import {
  click,
  drain,
  operation,
  runAudit,
  settled,
  slash,
  testStack,
} from "../support/stack-harness";

/** web02 of the sample, by id: it has no image attached, so a detach is recorded and ends noop. */
const WEB02 = "0b9e3f4a-7c21-4d5e-8f60-a1b2c3d4e5f6";

/** /bm status, /bm history and /bm help, through the real handlers. */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack();
});
afterAll(() => stack.close());

const lastEphemeral = (user: string) =>
  stack.slack?.ephemerals.filter((e) => e.user === user).at(-1)?.text;
const run = async (id: string | undefined) =>
  drain(stack, async () => {
    await stack.followup(200);
    return settled(stack, id);
  });

describe("/bm status", () => {
  it("shows a server's live state, its media and its operations in flight, to the asker only", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "st-web",
      media: [SAMPLE.image, SAMPLE.otherImage],
    });
    const pending = await slash(stack, `detach st-web ${SAMPLE.image}`, {
      channel: "C0CHANGES",
      user: "U0ALICE",
    });
    await drain(
      stack,
      async () => (await operation(stack, pending.operationId)).state === "awaiting_approval",
    );

    const answer = await slash(stack, "status st-web", { channel: "C0INCIDENT", user: "U0BOB" });
    expect(answer.text).toBe(
      "Looking up `st-web` in ECL; the answer will appear here in a moment, for you only.",
    );
    await drain(stack);

    const said = lastEphemeral("U0BOB") ?? "";
    expect(said.split("\n")).toEqual([
      `*st-web* \`${server?.id}\`: ACTIVE, power RUNNING, task_state None (idle)`,
      `Media: \`${SAMPLE.image}\`, \`${SAMPLE.otherImage}\``,
      expect.stringMatching(
        new RegExp(
          `^In flight: \`${pending.operationId}\` awaiting approval, image \`${SAMPLE.image}\`, requested by <@U0ALICE> \\d+\\.\\ds ago$`,
        ),
      ),
    ]);
    expect(stack.slack?.history("C0INCIDENT").some((m) => m.text.includes("st-web"))).toBe(false);
  });

  it("shows an operation by its id", async () => {
    const answer = await slash(stack, `detach ${WEB02} ${SAMPLE.image}`, {
      channel: "C0INCIDENT",
      user: "U0CAROL",
    });
    await run(answer.operationId);
    await slash(stack, `status ${answer.operationId}`, { channel: "C0INCIDENT", user: "U0CAROL" });
    await drain(stack);
    expect(lastEphemeral("U0CAROL")?.split("\n")[0]).toMatch(
      new RegExp(
        `^\`${answer.operationId}\` noop, image \`${SAMPLE.image}\`, requested by <@U0CAROL>`,
      ),
    );
  });

  it("answers an unknown server plainly", async () => {
    await slash(stack, "status nowhere", { channel: "C0INCIDENT", user: "U0DAVE" });
    await drain(stack);
    expect(lastEphemeral("U0DAVE")).toBe(
      'bm could not look up `nowhere`: no server named "nowhere" in this tenant',
    );
  });

  it("is refused to users who are neither requesters nor approvers", async () => {
    const answer = await slash(stack, "status web01", { channel: "C0OPS", user: "U0ALICE" });
    expect(answer.text).toBe(
      "Only this channel's requesters and approvers may look at its servers and history.",
    );
  });
});

describe("/bm history", () => {
  it("lists the tenant's last operations: who asked, who decided, the outcome, the duration, the thread", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "hist-web",
      media: [SAMPLE.image],
    });
    const approved = await slash(stack, `detach hist-web ${SAMPLE.image}`, {
      channel: "C0CHANGES",
      user: "U0ALICE",
    });
    await drain(
      stack,
      async () => (await operation(stack, approved.operationId)).state === "awaiting_approval",
    );
    await drain(stack);
    await click(stack, await operation(stack, approved.operationId), "bm_approve", "U0APPROVER1");
    await run(approved.operationId);

    const answer = await slash(stack, "history hist-web", { channel: "C0INCIDENT", user: "U0BOB" });
    const lines = answer.text.split("\n");
    expect(lines[0]).toBe("The last 1 operation for `hist-web` in tenant `sample`:");
    const op = await operation(stack, approved.operationId);
    // When it was asked, as a Slack date token: each reader's own time zone, UTC beside it.
    const asked = `<!date^${Math.floor(Date.parse(op.createdAt) / 1000)}^{date_num} {time}|${op.createdAt.slice(0, 10)} ${op.createdAt.slice(11, 16)} UTC>`;
    expect(lines[1]?.replace(asked, "ASKED")).toMatch(
      new RegExp(
        `^• \`${op.id}\` ASKED \`hist-web\` · requested by <@U0ALICE> · approved by <@U0APPROVER1> · \\*done\\* in \\d+\\.\\ds · <https://local\\.slack\\.test/archives/C0CHANGES/p\\d+\\|thread>$`,
      ),
    );
    expect(server?.media).toEqual([]);

    for (let i = 0; i < 10; i++)
      await slash(stack, `detach ${WEB02} ${SAMPLE.image} batch ${i}`, {
        channel: "C0INCIDENT",
        user: "U0BOB",
      });
    const all = await slash(stack, "history", { channel: "C0INCIDENT", user: "U0BOB" });
    expect(all.text.split("\n")).toHaveLength(11);
    expect(all.text.split("\n")[0]).toBe("The last 10 operations in tenant `sample`:");
    expect(all.text).toContain("*requested* (in progress)");
  });
});

describe("/bm help", () => {
  it.each([
    ["C0INCIDENT", "U0ANYONE", ["detach", "cancel", "status", "media", "history", "help"]],
    ["C0OPS", "U0OPERATOR", ["detach", "cancel", "status", "media", "history", "help"]],
    ["C0OPS", "U0ALICE", ["help"]],
  ])("in %s, %s sees %j", async (channel, user, commands) => {
    const answer = await slash(stack, "help", { channel, user });
    const shown = [...answer.text.matchAll(/^`\/bm (\w+)/gm)].map((m) => m[1]);
    expect(shown).toEqual(commands);
    if (commands.includes("detach"))
      expect(answer.text).toContain(
        "Example: `/bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748",
      );
  });

  it("tells approvers about the buttons", async () => {
    const answer = await slash(stack, "help", { channel: "C0CHANGES", user: "U0APPROVER1" });
    expect(answer.text).toContain(
      "You approve or reject requests with the buttons on bm's messages in this channel.",
    );
  });
});

describe("npm run audit", () => {
  const audit = (...args: string[]) => runAudit(stack.env, ...args);

  it("exports every event, oldest first, as JSON lines", async () => {
    const { code, stdout } = await audit();
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.length).toBeGreaterThan(20);
    const times = events.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    expect(events.some((e) => e.action === "approved" && e.actor.userId === "U0APPROVER1")).toBe(
      true,
    );
    expect(events.some((e) => e.action === "refused:not_a_member")).toBe(true);
    expect(events[0]).not.toHaveProperty("event");
  });

  it("exports as CSV, and only since a date", async () => {
    const all = await audit("--format", "csv");
    const rows = all.stdout.trim().split("\r\n");
    expect(rows[0]).toBe("at,operation_id,seq,action,from,to,team_id,user_id,facts,prev,hash");
    expect(rows.find((r) => r.includes(",approved,"))).toMatch(
      /^\S+,op-\w+,\d+,approved,awaiting_approval,approved,T0001,U0APPROVER1,"\{""approvals"":1,""needed"":1/,
    );

    const future = await audit("--since", "2999-01-01", "--format", "csv");
    expect(future.stdout.trim().split("\r\n")).toHaveLength(1);
  });

  it("refuses a wrong format or date plainly", async () => {
    expect(await audit("--format", "xml")).toMatchObject({
      code: 2,
      stderr: "audit: --format is jsonl or csv\n",
    });
    expect((await audit("--since", "yesterday")).stderr).toContain(
      "--since must be a date, such as 2026-11-01",
    );
  });
});
