/**
 * Choices, not failures, through the real handlers: a detach without its image, a name several
 * servers share, a name with a typo. bm looks them up in the worker and answers the requester
 * privately with buttons; a click records the same request as typing it in full. Nothing is
 * posted in the channel and no operation is recorded until then.
 */
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import type { Ephemeral } from "../../local/stand-ins/slack";
import {
  auditOf,
  buttonsOf,
  clickPrivate,
  drain,
  ECL_ACTIONS,
  operation,
  operationIdOf,
  operationIds,
  privateMessages,
  settled,
  slash,
  testStack,
  thread,
} from "../support/stack-harness";

let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack({ taskMs: 100, faults: true });
});
afterAll(() => stack.close());

const IMAGES = [
  SAMPLE.image,
  SAMPLE.otherImage,
  "0f0e0d0c-0b0a-4909-8807-060504030201", // unknown to the image service
];

let prefix: string;
beforeEach(() => {
  prefix = `ch${Math.random().toString(36).slice(2, 7)}`;
});

function addServer(name: string, media: string[]) {
  const server = stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media });
  if (!server) throw new Error("no simulator");
  return server;
}

/** What the requester saw last, privately. */
const last = (user = "U0REQUESTER", channel = "C0INCIDENT") =>
  privateMessages(stack, user, channel).at(-1);

/** The text of a private message, blocks included, as a person reads it. */
function read(shown = last()): string {
  const blocks = (shown?.blocks ?? []) as Array<{
    text?: { text: string };
    elements?: Array<{ text: string }>;
  }>;
  if (blocks.length === 0) return shown?.text ?? "";
  return blocks
    .map((b) => [b.text?.text, ...(b.elements ?? []).map((e) => e.text)].filter(Boolean).join("\n"))
    .join("\n");
}

/** The private message `shown` as it stands now (replaced by a click, say). */
const now = (shown: Ephemeral | undefined) =>
  privateMessages(stack, shown?.user ?? "", shown?.channel).find((m) => m.ts === shown?.ts);
/** The operation the message that replaced `shown` names. */
const recordedIn = (shown: Ephemeral | undefined) => operationIdOf(now(shown)?.text ?? "");

async function runToEnd(id: string | undefined): Promise<void> {
  await drain(stack, async () => {
    await stack.followup(150);
    return settled(stack, id);
  });
}

/** The channel's top-level messages (what everyone sees). */
const channelCount = (channel = "C0INCIDENT") => stack.slack?.history(channel).length ?? 0;

describe("/bm detach SERVER, without the image", () => {
  it("no image attached: says so privately, and records nothing", async () => {
    const server = addServer(`${prefix}-0`, []);
    const before = channelCount();
    const answer = await slash(stack, `detach ${server.name}`);
    expect(answer.text).toBe(
      `Looking up the images attached to \`${server.name}\` in tenant \`sample\`: they will appear here in a moment, for you only, each with a button to detach it.`,
    );
    expect(answer.followUp).toBe(
      `\`${server.name}\` (\`${server.id}\`) has no image attached (ACTIVE, power RUNNING, task_state None (idle)): there is nothing to detach.`,
    );
    expect(answer.operationId).toBeUndefined();
    expect(buttonsOf(last())).toEqual([]);
    expect(channelCount()).toBe(before);
  });

  it("one image attached: one button, and a click detaches it, the pick in the audit trail", async () => {
    const server = addServer(`${prefix}-1`, [SAMPLE.image]);
    const answer = await slash(stack, `detach ${server.name}`);
    expect(answer.operationId).toBeUndefined();
    const offered = last();
    expect(read(offered)).toContain(
      `*\`${server.name}\` (\`${server.id}\`)* · ACTIVE, power RUNNING, task_state None (idle)\n1 image(s) attached: pick the one to detach.`,
    );
    expect(read(offered)).toContain(`\`rescue-ubuntu-22.04.iso\` \`${SAMPLE.image}\``);
    expect(buttonsOf(offered).map((b) => b.label)).toEqual(["Detach this image"]);
    // The button carries the choice's id and the option's place, never the server or the image.
    const [button] = buttonsOf(offered);
    expect(button?.value).toMatch(/^ch-[0-9a-z]{10}:0$/);

    const clicked = await clickPrivate(stack, offered, "Detach this image");
    expect(clicked.status).toBe(200);
    // The message clicked is replaced: no live buttons are left behind.
    const replaced = now(offered);
    expect(replaced?.edits).toBe(1);
    expect(buttonsOf(replaced)).toEqual([]);
    const id = operationIdOf(replaced?.text ?? "");
    expect(replaced?.text).toBe(
      `You picked image \`rescue-ubuntu-22.04.iso\` \`${SAMPLE.image}\` of \`${server.name}\` (\`${server.id}\`). Recorded \`${id}\`: detach image \`${SAMPLE.image}\` from \`${server.name}\` (\`${server.id}\`). bm will check the server and post progress in this channel.`,
    );
    await runToEnd(id);
    const op = await operation(stack, id);
    expect(op.state).toBe("done");
    expect(stack.ecl?.model.server(server.id)?.media).toEqual([]);
    const trail = await auditOf(stack, id);
    expect(trail.map((e) => e.action).slice(0, 3)).toEqual(["requested", "chosen", "approved"]);
    expect(trail[1]).toMatchObject({
      actor: { teamId: "T0001", userId: "U0REQUESTER" },
      facts: {
        offered: "images",
        asked: server.name,
        of: 1,
        server: server.id,
        image: SAMPLE.image,
      },
    });
  });

  it("three images attached: three buttons, names where the image service knows them, and the one clicked is the one detached", async () => {
    const server = addServer(`${prefix}-3`, IMAGES);
    await slash(stack, `detach ${server.id}`);
    const offered = last();
    expect(buttonsOf(offered)).toHaveLength(3);
    const text = read(offered);
    expect(text).toContain(`\`rescue-ubuntu-22.04.iso\` \`${SAMPLE.image}\``);
    expect(text).toContain(`\`firmware-update-2.4.iso\` \`${SAMPLE.otherImage}\``);
    expect(text).toContain(`\n\`${IMAGES[2]}\``);

    const clicked = await clickPrivate(stack, offered, 1);
    const id = recordedIn(offered);
    expect(clicked.status).toBe(200);
    await runToEnd(id);
    expect((await operation(stack, id)).state).toBe("done");
    expect(stack.ecl?.model.server(server.id)?.media).toEqual([SAMPLE.image, IMAGES[2]]);
  });

  it("ECL does not list the media: bm says it cannot offer them", async () => {
    const server = addServer(`${prefix}-u`, [SAMPLE.image]);
    const model = stack.ecl?.model;
    if (model) model.unkind = { noMedia: true };
    try {
      const answer = await slash(stack, `detach ${server.name}`);
      expect(answer.followUp).toBe(
        `ECL did not list the media of \`${server.name}\` (\`${server.id}\`), so bm cannot offer its images. If you know the image id: \`/bm detach ${server.id} IMAGE-ID\`.`,
      );
    } finally {
      if (model) model.unkind = {};
    }
  });

  it("the image service failing only leaves the names out", async () => {
    const server = addServer(`${prefix}-g`, [SAMPLE.image]);
    stack.ecl?.model.inject({ route: "image", status: 503, times: 5 });
    await slash(stack, `detach ${server.name}`);
    const text = read();
    expect(text).not.toContain("rescue-ubuntu");
    expect(text).toContain(`\`${SAMPLE.image}\``);
    expect(buttonsOf(last()).map((b) => b.label)).toEqual(["Detach this image"]);
    stack.ecl?.model.clearFaults();
  });
});

describe("a name several servers share", () => {
  it("lists the candidates privately, posts nothing, fails nothing; Choose continues with that server", async () => {
    const name = `${prefix}-app`;
    const a = addServer(name, [SAMPLE.image]);
    const b = addServer(name, [SAMPLE.otherImage, IMAGES[2] as string]);
    const c = addServer(name, []);
    const before = { channel: channelCount(), ops: (await operationIds(stack)).length };
    const answer = await slash(stack, `detach ${name}`);
    expect(answer.operationId).toBeUndefined();
    const offered = last();
    const text = read(offered);
    expect(text).toContain(
      `3 servers in tenant \`sample\` are named \`${name}\`: choose the one you mean. Nothing was posted in the channel.`,
    );
    expect(text).toContain(
      `\`${a.id}\`\nACTIVE, power RUNNING, task_state None (idle) · attached: \`rescue-ubuntu-22.04.iso\` \`${SAMPLE.image}\`\nChoosing it records the detach of \`rescue-ubuntu-22.04.iso\` \`${SAMPLE.image}\`, the only image attached.`,
    );
    expect(text).toContain(
      `\`${c.id}\`\nACTIVE, power RUNNING, task_state None (idle) · nothing attached`,
    );
    // A server with nothing attached has nothing to choose.
    expect(buttonsOf(offered).map((x) => x.label)).toEqual(["Choose", "Choose"]);
    expect(channelCount()).toBe(before.channel);
    expect((await operationIds(stack)).length).toBe(before.ops);

    // b has two images: choosing it asks which, in a new message; the candidates are replaced.
    await clickPrivate(stack, offered, 1);
    const replaced = now(offered);
    expect(replaced?.text).toBe(
      `You picked \`${name}\` (\`${b.id}\`). bm is looking up its images: they appear below in a moment.`,
    );
    await drain(stack, async () => last()?.ts !== offered?.ts);
    const images = last();
    expect(buttonsOf(images).map((x) => x.label)).toEqual([
      "Detach this image",
      "Detach this image",
    ]);
    await clickPrivate(stack, images, 0);
    const id = recordedIn(images);
    await runToEnd(id);
    expect((await operation(stack, id)).state).toBe("done");
    expect(stack.ecl?.model.server(b.id)?.media).toEqual([IMAGES[2]]);
    expect(stack.ecl?.model.server(a.id)?.media).toEqual([SAMPLE.image]);
    // Both picks are in the trail of the operation they started, in order.
    const chosen = (await auditOf(stack, id)).filter((e) => e.action === "chosen");
    expect(chosen.map((e) => [e.facts.offered, e.facts.server])).toEqual([
      ["servers", b.id],
      ["images", b.id],
    ]);
  });

  it("with the image typed: one click on Choose records the detach of that image", async () => {
    const name = `${prefix}-two`;
    addServer(name, [SAMPLE.image]);
    const b = addServer(name, [SAMPLE.image]);
    await slash(stack, `detach ${name} ${SAMPLE.image} CHG-7`);
    const offered = last();
    expect(read(offered)).toContain(
      `bm then records the detach of image \`${SAMPLE.image}\` from it.`,
    );
    await clickPrivate(stack, offered, 1);
    const id = recordedIn(offered);
    await runToEnd(id);
    const op = await operation(stack, id);
    expect(op).toMatchObject({ state: "done", serverId: b.id, reason: "CHG-7" });
    expect(thread(stack, op).parent).toContain(`*Server*\n\`${name}\` (\`${b.id}\`)`);
  });
});

describe("a name no server has", () => {
  it("offers close names privately; a click on one detaches", async () => {
    const server = addServer(`${prefix}web01`, [SAMPLE.image]);
    addServer(`${prefix}web010`, [SAMPLE.image]);
    const answer = await slash(stack, `detach ${prefix}web1`);
    expect(answer.operationId).toBeUndefined();
    const offered = last();
    expect(read(offered)).toContain(
      `No server in tenant \`sample\` is named \`${prefix}web1\`. Did you mean one of these?`,
    );
    expect(buttonsOf(offered).map((b) => b.label)).toEqual([`${prefix}web01`, `${prefix}web010`]);
    await clickPrivate(stack, offered, `${prefix}web01`);
    const id = recordedIn(offered);
    await runToEnd(id);
    expect((await operation(stack, id)).state).toBe("done");
    expect(stack.ecl?.model.server(server.id)?.media).toEqual([]);
  });

  it("no name close to it: says so, and how to look", async () => {
    const answer = await slash(stack, `detach zz${prefix}qq ${SAMPLE.image}`);
    expect(answer.followUp).toBe(
      `No server in tenant \`sample\` is named \`zz${prefix}qq\`, and no name is close to it. \`/bm status NAME\` shows a server by its name or id; the ECL console lists them all.`,
    );
    expect(buttonsOf(last())).toEqual([]);
  });

  it("an id no server has: says so", async () => {
    const answer = await slash(stack, "detach 0f0e0d0c-0b0a-4909-8807-0605040302ff");
    expect(answer.followUp).toBe(
      "No server in tenant `sample` has the id `0f0e0d0c-0b0a-4909-8807-0605040302ff`.",
    );
  });
});

describe("who may click, and when", () => {
  it("someone else's click is refused privately, audited, and the requester can still choose", async () => {
    const server = addServer(`${prefix}-x`, [SAMPLE.image]);
    await slash(stack, `detach ${server.name}`);
    const offered = last();
    const clicked = await clickPrivate(stack, offered, 0, "U0MALLORY");
    expect(clicked.status).toBe(200);
    expect(privateMessages(stack, "U0MALLORY").at(-1)?.text).toBe(
      "Only <@U0REQUESTER>, who asked, can choose here. Nothing was recorded.",
    );
    const choiceId = buttonsOf(offered)[0]?.value.split(":")[0] ?? "";
    // The choice's trail: the requester shown its options, then the refusal.
    expect((await auditOf(stack, choiceId)).map((e) => [e.action, e.actor.userId])).toEqual([
      ["viewed:choices", "U0REQUESTER"],
      ["refused:not_the_requester", "U0MALLORY"],
    ]);
    expect(buttonsOf(now(offered))).toHaveLength(1);

    await clickPrivate(stack, offered, 0);
    const id = recordedIn(offered);
    await runToEnd(id);
    expect((await operation(stack, id)).state).toBe("done");
  });

  it("a choice clicked after it expired: replaced by a plain answer, nothing recorded", async () => {
    const server = addServer(`${prefix}-e`, [SAMPLE.image]);
    await slash(stack, `detach ${server.name}`);
    const offered = last();
    const choiceId = buttonsOf(offered)[0]?.value.split(":")[0] ?? "";
    // 31 minutes later, as the table would have it.
    await stack.dynamo.send(
      new UpdateItemCommand({
        TableName: stack.env.BM_TABLE,
        Key: { id: { S: `choice#${choiceId}` } },
        UpdateExpression: "SET #c.#e = :past",
        ExpressionAttributeNames: { "#c": "choice", "#e": "expiresAt" },
        ExpressionAttributeValues: { ":past": { N: String(Math.floor(Date.now() / 1000) - 60) } },
      }),
    );
    const before = (await operationIds(stack)).length;
    await clickPrivate(stack, offered, 0);
    const replaced = now(offered);
    expect(replaced?.text).toBe(
      "These choices have expired: bm keeps them 30 minutes, as long as Slack lets it answer here. Nothing was recorded; run `/bm detach` again.",
    );
    expect(buttonsOf(replaced)).toEqual([]);
    expect((await operationIds(stack)).length).toBe(before);
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(server.id))).toEqual([]);
  });

  it("a choice clicked twice, or twice at once, starts one operation", async () => {
    const server = addServer(`${prefix}-2`, [SAMPLE.image]);
    await slash(stack, `detach ${server.name}`);
    const offered = last();
    // As the buttons were when first shown: a click that left before the message was replaced.
    const stale = structuredClone(offered);
    const before = (await operationIds(stack)).length;
    const [first, second] = await Promise.all([
      clickPrivate(stack, offered, 0),
      clickPrivate(stack, offered, 0),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    await clickPrivate(stack, stale, 0);
    expect((await operationIds(stack)).length).toBe(before + 1);
    const id = recordedIn(offered);
    await runToEnd(id);
    expect((await operation(stack, id)).state).toBe("done");
    expect(ECL_ACTIONS(stack).filter((r) => r.path.includes(server.id))).toHaveLength(1);
  });

  it("another button of a choice already made: refused, privately, and nothing more recorded", async () => {
    const server = addServer(`${prefix}-o`, [SAMPLE.image, SAMPLE.otherImage]);
    await slash(stack, `detach ${server.name}`);
    const offered = last();
    const stale = structuredClone(offered);
    await clickPrivate(stack, offered, 0);
    const before = (await operationIds(stack)).length;
    await clickPrivate(stack, stale, 1);
    expect(privateMessages(stack, "U0REQUESTER").at(-1)?.text).toBe(
      `You already picked \`${server.name}\` here; a choice is made once. \`/bm history\` shows what it started.`,
    );
    expect((await operationIds(stack)).length).toBe(before);
    await runToEnd(recordedIn(offered));
    expect(stack.ecl?.model.server(server.id)?.media).toEqual([SAMPLE.otherImage]);
  });

  it("where bm is not in the channel, the choice and the click still work, through response_urls", async () => {
    const server = addServer(`${prefix}-n`, [SAMPLE.image]);
    await slash(stack, `detach ${server.name}`, { channel: "C0NOBOT", user: "U0CAROL" });
    const offered = last("U0CAROL", "C0NOBOT");
    expect(buttonsOf(offered)).toHaveLength(1);
    await clickPrivate(stack, offered, 0);
    const said = privateMessages(stack, "U0CAROL", "C0NOBOT").find((m) => m.ts === offered?.ts);
    const id = operationIdOf(said?.text ?? "");
    await runToEnd(id);
    expect((await operation(stack, id)).state).toBe("done");
  });

  it("in a channel with approvals, the pick makes a request that waits for them, as typed", async () => {
    const server = addServer(`${prefix}-a`, [SAMPLE.image]);
    await slash(stack, `detach ${server.name}`, { channel: "C0CHANGES", user: "U0ALICE" });
    const offered = last("U0ALICE", "C0CHANGES");
    await clickPrivate(stack, offered, 0);
    const said = privateMessages(stack, "U0ALICE", "C0CHANGES").find((m) => m.ts === offered?.ts);
    expect(said?.text).toContain(
      "It needs 1 approval(s); bm will post the request in this channel for approvers.",
    );
    const id = operationIdOf(said?.text ?? "");
    await drain(stack, async () => (await operation(stack, id)).parentTs !== undefined);
    expect((await operation(stack, id)).state).toBe("awaiting_approval");
  });
});

describe("when what a choice needs fails", () => {
  it("ECL failing for every try of the lookup: tried again, and at the last try the requester is told", async () => {
    const name = `${prefix}-down`;
    addServer(name, [SAMPLE.image]);
    stack.ecl?.model.inject({ route: "list", status: 503, times: 100 });
    try {
      const answer = await slash(stack, `detach ${name}`);
      expect(answer.followUp).toMatch(
        new RegExp(`^bm could not look up \`${name}\` in tenant \`sample\`: ECL answered 503`),
      );
      expect(answer.operationId).toBeUndefined();
      // One list per try (each tried three times by the client), five tries.
      expect(
        stack.ecl?.requests.filter((r) => r.route === "list" && r.status === 503),
      ).toHaveLength(15);
    } finally {
      stack.ecl?.model.clearFaults();
    }
  }, 20_000);

  it("Slack failing the answer for a while: the lookup's answer is posted later, once", async () => {
    const server = addServer(`${prefix}-sf`, [SAMPLE.image]);
    stack.slack?.serverError("response_url", 2);
    await slash(stack, `detach ${server.name}`);
    const offers = privateMessages(stack, "U0REQUESTER").filter((m) => read(m).includes(server.id));
    expect(offers).toHaveLength(1);
    expect(buttonsOf(offers[0])).toHaveLength(1);
  });

  it("Slack refusing the answer for good (the response_url expired): not retried, nothing recorded", async () => {
    const server = addServer(`${prefix}-sx`, [SAMPLE.image]);
    stack.slack?.refuse("response_url", "expired_url");
    const from = stack.slack?.calls.length ?? 0;
    const before = (await operationIds(stack)).length;
    await slash(stack, `detach ${server.name}`, { follow: false });
    await drain(stack);
    expect(
      stack.slack?.calls
        .slice(from)
        .filter((c) => c.method === "response_url")
        .map((c) => c.error),
    ).toEqual(["expired_url"]);
    expect((await operationIds(stack)).length).toBe(before);
  });

  it.each([
    ["fails", "error"],
    ["hangs", "hang"],
  ] as const)(
    "the answer to a click %s: the pick is recorded all the same, and a second click says so",
    async (_, kind) => {
      const server = addServer(`${prefix}-r${kind}`, [SAMPLE.image]);
      await slash(stack, `detach ${server.name}`);
      const offered = last();
      const stale = structuredClone(offered);
      if (kind === "hang") stack.slack?.hang("response_url");
      else stack.slack?.serverError("response_url");
      const clicked = await clickPrivate(stack, offered, 0);
      expect(clicked.status).toBe(200);
      // Nothing replaced the choice (Slack did not take the answer), but the request is recorded.
      const ids = await operationIds(stack);
      await clickPrivate(stack, stale, 0);
      const again = now(offered)?.text ?? "";
      expect(again).toMatch(/This request is already recorded as `op-\w+` \(requested\)\.$/);
      expect(await operationIds(stack)).toEqual(ids);
      await runToEnd(recordedIn(offered));
      expect((await operation(stack, recordedIn(offered))).state).toBe("done");
    },
  );

  it("DynamoDB failing under a click: the clicker is told to try again, and the buttons stay", async () => {
    const server = addServer(`${prefix}-df`, [SAMPLE.image]);
    await slash(stack, `detach ${server.name}`);
    const offered = last();
    // Both tries of the front door's read of the choice (its SDK tries twice).
    stack.faults.dynamo?.inject({ target: "GetItem", kind: "error", times: 2 });
    await clickPrivate(stack, offered, 0);
    expect(privateMessages(stack, "U0REQUESTER").at(-1)?.text).toBe(
      "bm could not record that just now (an internal error), so nothing was done. Try again in a minute.",
    );
    expect(buttonsOf(now(offered))).toHaveLength(1);
    await clickPrivate(stack, offered, 0);
    const id = recordedIn(offered);
    await runToEnd(id);
    expect((await operation(stack, id)).state).toBe("done");
  });
});
