import { describe, expect, it } from "vitest";
import { type Choice, newChoice, nextChoiceId, type Option } from "../../../lib/choices/choice";
import { choose } from "../../../lib/front-door/choose";
import { frontDoorFakes, IMAGE, NOW, SERVER } from "../fakes";

const OTHER = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
const seen = { id: SERVER, name: "web01", taskState: "None", media: [IMAGE, OTHER] };

/** An open choice of `channel` by U0REQ, offering these options, saved in the fakes' store. */
async function offered(
  f: ReturnType<typeof frontDoorFakes>,
  options: Option[],
  changes: Partial<Choice> = {},
  channel = "C0INC",
) {
  const choice: Choice = {
    ...newChoice(
      {
        id: "ch-0123456789",
        teamId: "T1",
        channelId: channel,
        requester: "U0REQ",
        tenant: "t",
        secretId: "bm/tenant/t",
        approvalsRequired: 0,
        approvers: [],
        requestTtlMinutes: 30,
        reason: "INC-1",
        asked: { server: "web01" },
        responseUrl: "https://hooks.slack.com/commands/T1/1/slash",
      },
      NOW,
    ),
    state: "open",
    offer: "images",
    options,
    ...changes,
  };
  await f.deps.choices.createChoice(choice);
  return choice;
}

const IMAGES: Option[] = [
  { server: SERVER, name: "web01", image: IMAGE, seen },
  { server: SERVER, name: "web01", image: OTHER, seen },
];
const click = (
  f: ReturnType<typeof frontDoorFakes>,
  value: string,
  userId = "U0REQ",
  teamId = "T1",
) =>
  choose(f.deps, {
    teamId,
    userId,
    value,
    responseUrl: "https://hooks.slack.com/actions/T1/2/click",
  });

describe("a click on a choice", () => {
  it("records the request picked, as typed in full, with the pick in its trail, and replaces the message", async () => {
    const f = frontDoorFakes();
    await offered(f, IMAGES);
    const answer = await click(f, "ch-0123456789:1");
    expect(answer.replace).toBe(true);
    const [op] = f.ops.values();
    expect(answer.text.text).toBe(
      `You picked image \`${OTHER}\` of \`web01\` (\`${SERVER}\`). Recorded \`${op?.id}\`: detach image \`${OTHER}\` from \`web01\` (\`${SERVER}\`). bm will check the server and post progress in this channel.`,
    );
    expect(op).toMatchObject({
      state: "requested",
      requester: "U0REQ",
      serverRef: SERVER,
      serverName: "web01",
      imageId: OTHER,
      reason: "INC-1",
      responseUrl: "https://hooks.slack.com/actions/T1/2/click",
    });
    expect(f.events.map((e) => [e.seq, e.action, e.actor.userId])).toEqual([
      [1, "requested", "U0REQ"],
      [2, "chosen", "U0REQ"],
    ]);
    expect(f.events[1]?.facts).toEqual({
      choice: "ch-0123456789",
      offered: "images",
      asked: "web01",
      of: 2,
      server: SERVER,
      image: OTHER,
    });
    expect(f.sent).toEqual([{ kind: "prepare", operationId: op?.id }]);
    expect((await f.deps.choices.getChoice("ch-0123456789"))?.taken).toEqual({
      index: 1,
      userId: "U0REQ",
      at: NOW.toISOString(),
    });
  });

  it("in a channel with approvals, the request waits for them, under the policy in force", async () => {
    const f = frontDoorFakes();
    await offered(f, IMAGES, {}, "C0CHG");
    const answer = await click(f, "ch-0123456789:0", "U0REQ");
    expect(answer.text.text).toContain("It needs 2 approvals");
    expect([...f.ops.values()][0]).toMatchObject({ approvalsRequired: 2, requestTtlMinutes: 30 });
  });

  it("a server with its image still to pick: a new choice looked up, the message replaced", async () => {
    const f = frontDoorFakes();
    await offered(f, [{ server: SERVER, name: "web01", seen }], {
      offer: "servers",
      asked: { server: "web01" },
    });
    const answer = await click(f, "ch-0123456789:0");
    const parent = await f.deps.choices.getChoice("ch-0123456789");
    const next = await f.deps.choices.getChoice(nextChoiceId(parent as Choice, 0));
    expect(next).toMatchObject({
      state: "looking",
      asked: { server: SERVER },
      responseUrl: "https://hooks.slack.com/actions/T1/2/click",
      picks: [expect.objectContaining({ offer: "servers", server: SERVER })],
    });
    expect(f.sent).toEqual([{ kind: "lookup", choiceId: next?.id }]);
    expect(answer).toEqual({
      text: expect.objectContaining({
        text: `You picked \`web01\` (\`${SERVER}\`). bm is looking up its images: they appear below in a moment.`,
      }),
      replace: true,
    });
    expect(f.ops.size).toBe(0);
  });

  it("a close name several servers share: a new choice among them", async () => {
    const f = frontDoorFakes();
    await offered(f, [{ server: "app", name: "app", servers: 2, image: IMAGE }], {
      offer: "names",
      asked: { server: "ap", image: IMAGE },
    });
    const answer = await click(f, "ch-0123456789:0");
    expect(answer.text.text).toBe(
      "You picked the name `app`. bm is looking up the servers named `app`: they appear below in a moment.",
    );
    expect(f.ops.size).toBe(0);
  });

  it.each([
    ["someone else", "U0OTHER", "T1", "not_the_requester", false],
    ["the requester's id in another workspace", "U0REQ", "T2", "not_the_requester", false],
  ])(
    "by %s: refused privately, audited, the choice left open",
    async (_, userId, teamId, reason, replace) => {
      const f = frontDoorFakes();
      await offered(f, IMAGES);
      const answer = await click(f, "ch-0123456789:0", userId, teamId);
      expect(answer.replace).toBe(replace);
      expect(answer.text.text).toBe(
        "Only <@U0REQ>, who asked, can choose here. Nothing was recorded.",
      );
      expect(f.events.map((e) => [e.operationId, e.action, e.actor.userId])).toEqual([
        ["ch-0123456789", `refused:${reason}`, userId],
      ]);
      expect((await f.deps.choices.getChoice("ch-0123456789"))?.state).toBe("open");
      expect(f.ops.size).toBe(0);
    },
  );

  it.each([
    ["expired", { expiresAt: Math.floor(NOW.getTime() / 1000) }],
    ["a second before it expires", { expiresAt: Math.floor(NOW.getTime() / 1000) + 1 }],
  ])("on a choice %s", async (what, changes) => {
    const f = frontDoorFakes();
    await offered(f, IMAGES, changes);
    const answer = await click(f, "ch-0123456789:0");
    if (what === "expired") {
      expect(answer).toEqual({
        text: expect.objectContaining({
          text: "These choices have expired: bm keeps them 30 minutes, as long as Slack lets it answer here. Nothing was recorded; run `/bm detach` again.",
        }),
        replace: true,
      });
      expect(f.events.map((e) => e.action)).toEqual(["refused:choice_expired"]);
      expect(f.ops.size).toBe(0);
    } else expect(f.ops.size).toBe(1);
  });

  it.each([
    ["a value that is not a choice's", "op-0123456789"],
    ["a place past its options", "ch-0123456789:2"],
  ])("%s: refused", async (_, value) => {
    const f = frontDoorFakes();
    await offered(f, IMAGES);
    const answer = await click(f, value);
    expect(answer.text.text).toBe("That button is not one of bm's choices.");
    expect(f.events.map((e) => e.action)).toEqual(["refused:not_a_choice"]);
  });

  it("a choice still being looked up, or one no longer kept, has nothing to pick", async () => {
    const looking = frontDoorFakes();
    await offered(looking, IMAGES, { state: "looking" });
    expect((await click(looking, "ch-0123456789:0")).text.text).toBe(
      "That button is not one of bm's choices.",
    );
    const gone = frontDoorFakes();
    expect((await click(gone, "ch-0123456789:0")).replace).toBe(true);
  });

  it("a second click on the pick made carries it on (one operation); another button is refused", async () => {
    const f = frontDoorFakes();
    await offered(f, IMAGES);
    await click(f, "ch-0123456789:0");
    const again = await click(f, "ch-0123456789:0");
    expect(again.text.text).toMatch(
      /This request is already recorded as `op-\w+` \(requested\)\.$/,
    );
    expect(f.ops.size).toBe(1);
    const other = await click(f, "ch-0123456789:1");
    expect(other).toEqual({
      text: expect.objectContaining({
        text: "You already picked `web01` here; a choice is made once. `/bm history` shows what it started.",
      }),
      replace: false,
    });
    expect(f.ops.size).toBe(1);
  });

  it("a pick that loses the race to another: refused, nothing recorded", async () => {
    const f = frontDoorFakes();
    const choice = await offered(f, IMAGES);
    const save = f.deps.choices.saveChoice;
    f.deps.choices = {
      ...f.deps.choices,
      saveChoice: async (prev, next) => {
        // The other button's click was saved first.
        await save(prev, {
          ...choice,
          state: "taken",
          taken: { index: 1, userId: "U0REQ", at: NOW.toISOString() },
        });
        return save(prev, next);
      },
    };
    const answer = await click(f, "ch-0123456789:0");
    expect(answer.replace).toBe(false);
    expect(answer.text.text).toContain("You already picked");
    expect(f.ops.size).toBe(0);
  });

  it("under a policy that changed: the channel unbound, or the requester no longer one", async () => {
    const unbound = frontDoorFakes();
    await offered(unbound, IMAGES, {}, "C0GONE");
    expect((await click(unbound, "ch-0123456789:0")).text.text).toContain(
      "bm is not enabled in this channel",
    );
    const dropped = frontDoorFakes();
    await offered(dropped, IMAGES, {}, "C0SELF");
    dropped.deps.policy.channels.C0SELF = {
      ...(dropped.deps.policy.channels.C0SELF as NonNullable<
        (typeof dropped.deps.policy.channels)["C0SELF"]
      >),
      requesters: ["U0SOMEONE"],
    };
    expect((await click(dropped, "ch-0123456789:0")).text.text).toContain(
      "You may not request media detaches in this channel",
    );
    expect(dropped.events.map((e) => e.action)).toEqual(["refused:not_a_requester"]);
    expect(dropped.ops.size).toBe(0);
  });

  it("when Slack cannot say who is in the requesters' group: refused, nothing recorded", async () => {
    const f = frontDoorFakes({ groupMembers: async () => Promise.reject(new Error("down")) });
    // U0OP asks as a member of the operators' group, which Slack must be asked about.
    await offered(f, IMAGES, { requester: "U0OP" }, "C0CHG");
    expect((await click(f, "ch-0123456789:0", "U0OP")).text.text).toContain(
      "could not check your user groups with Slack",
    );
    expect(f.ops.size).toBe(0);
  });
});

describe("a click on a choice, to the letter", () => {
  it("a button that names no choice: refused under a placeholder id, with no option", async () => {
    const f = frontDoorFakes();
    await click(f, "not-a-choice");
    expect(f.events).toMatchObject([
      {
        operationId: "choice-unknown",
        action: "refused:not_a_choice",
        facts: { option: -1 },
      },
    ]);
  });

  it("a refusal names the option clicked", async () => {
    const f = frontDoorFakes();
    await offered(f, IMAGES);
    await click(f, "ch-0123456789:1", "U0OTHER");
    expect(f.events[0]?.facts).toEqual({ option: 1 });
  });

  it.each([
    ["a place past its options", "ch-0123456789:2", {}],
    ["another button of a choice made", "ch-0123456789:1", { state: "taken" as const }],
    ["a choice still being looked up", "ch-0123456789:0", { state: "looking" as const }],
  ])("by someone else, on %s: refused as not theirs, first", async (_, value, changes) => {
    // Prepare
    const f = frontDoorFakes();
    await offered(f, IMAGES, {
      taken: { index: 0, userId: "U0REQ", at: NOW.toISOString() },
      ...changes,
    });
    // Act
    const answer = await click(f, value, "U0OTHER");
    // Assess
    expect(answer).toEqual({
      text: expect.objectContaining({
        text: "Only <@U0REQ>, who asked, can choose here. Nothing was recorded.",
      }),
      replace: false,
    });
    expect(f.events.map((e) => [e.operationId, e.action, e.actor.userId])).toEqual([
      ["ch-0123456789", "refused:not_the_requester", "U0OTHER"],
    ]);
  });

  it("a choice without options yet: nothing to pick", async () => {
    const f = frontDoorFakes();
    const choice = await offered(f, IMAGES);
    const bare = { ...choice, state: "looking" as const };
    delete bare.options;
    f.deps.choices = { ...f.deps.choices, getChoice: async () => bare };
    expect((await click(f, "ch-0123456789:0")).text.text).toBe(
      "That button is not one of bm's choices.",
    );
  });

  it("a channel now bound to another tenant: refused, as unbound", async () => {
    const f = frontDoorFakes();
    await offered(f, IMAGES, { tenant: "elsewhere" });
    expect((await click(f, "ch-0123456789:0")).text.text).toContain(
      "bm is not enabled in this channel",
    );
    expect(f.ops.size).toBe(0);
  });

  it("Slack unable to say who is in a group: audited as such", async () => {
    const f = frontDoorFakes({ groupMembers: async () => Promise.reject(new Error("down")) });
    await offered(f, IMAGES, { requester: "U0OP" }, "C0CHG");
    await click(f, "ch-0123456789:0", "U0OP");
    expect(f.events.map((e) => e.action)).toEqual(["refused:group_lookup_failed"]);
  });

  it("the pick made, clicked again: not written again, its time kept", async () => {
    const f = frontDoorFakes();
    const choice = await offered(f, IMAGES);
    await click(f, "ch-0123456789:0");
    const first = await f.deps.choices.getChoice(choice.id);
    let saves = 0;
    const save = f.deps.choices.saveChoice;
    f.deps.choices = {
      ...f.deps.choices,
      saveChoice: async (prev, next) => {
        saves++;
        return save(prev, next);
      },
    };
    await click(f, "ch-0123456789:0");
    expect(saves).toBe(0);
    expect((await f.deps.choices.getChoice(choice.id))?.taken).toEqual(first?.taken);
  });

  it("a close name picked with the image typed: the next choice keeps the image", async () => {
    const f = frontDoorFakes();
    await offered(f, [{ server: "web01", name: "web01" }], {
      offer: "names",
      asked: { server: "web1", image: IMAGE },
    });
    await click(f, "ch-0123456789:0");
    const next = await f.deps.choices.getChoice(nextChoiceId({ id: "ch-0123456789" } as Choice, 0));
    expect(next?.asked).toEqual({ server: "web01", image: IMAGE });
    expect(f.sent).toEqual([{ kind: "lookup", choiceId: next?.id }]);
  });

  it("a close name clicked twice: looked up again while the lookup is pending, not once it has answered", async () => {
    const f = frontDoorFakes();
    await offered(f, [{ server: "web01", name: "web01" }], { offer: "names" });
    await click(f, "ch-0123456789:0");
    await click(f, "ch-0123456789:0");
    expect(f.sent).toHaveLength(2);
    const id = nextChoiceId({ id: "ch-0123456789" } as Choice, 0);
    const pending = await f.deps.choices.getChoice(id);
    await f.deps.choices.saveChoice(pending as Choice, {
      ...(pending as Choice),
      state: "open",
      options: IMAGES,
    });
    await click(f, "ch-0123456789:0");
    expect(f.sent).toHaveLength(2);
  });
});
