import { describe, expect, it } from "vitest";
import { type Choice, newChoice, type Option } from "../../../lib/choices/choice";
import {
  CHOOSE_ACTION,
  endedText,
  lookupMessage,
  pickedWords,
  serverState,
} from "../../../lib/slack/choice-messages";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";
const OTHER = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
const A = "11111111-2222-4333-8444-555555555555";
const B = "66666666-7777-4888-9999-aaaaaaaaaaaa";
const idle = { id: A, name: "app", status: "ACTIVE", powerState: "RUNNING", taskState: "None" };

function choice(changes: Partial<Choice>): Choice {
  return {
    ...newChoice(
      {
        id: "ch-0123456789",
        teamId: "T1",
        channelId: "C1",
        requester: "U1",
        tenant: "prod",
        secretId: "s",
        approvalsRequired: 0,
        approvers: [],
        requestTtlMinutes: 30,
        reason: "",
        asked: { server: "app" },
      },
      new Date("2026-11-27T10:00:00Z"),
    ),
    state: "open",
    ...changes,
  };
}

/** Each block as a person reads it: its text, and its button's label and value if any. */
function read(c: Choice) {
  return (lookupMessage(c).blocks ?? []).map((b) => {
    const block = b as {
      block_id?: string;
      text?: { text: string };
      elements?: Array<{ text: string }>;
      accessory?: {
        text: { text: string };
        value: string;
        action_id: string;
        accessibility_label: string;
      };
    };
    return {
      id: block.block_id,
      text: block.text?.text ?? block.elements?.map((e) => e.text).join(" "),
      ...(block.accessory
        ? {
            button: `${block.accessory.text.text} ${block.accessory.action_id} ${block.accessory.value}`,
            spoken: block.accessory.accessibility_label,
          }
        : {}),
    };
  });
}
const FOOT =
  "Only you see this. Its buttons work until <!date^1795775400^{time}|10:30 UTC> (30 minutes, as long as Slack lets bm answer here); nothing is recorded until you click one.";

describe("the private choices, word for word", () => {
  it("the images of a server, named where the image service knows them", () => {
    const options: Option[] = [IMAGE, OTHER].map((image) => ({
      server: A,
      name: "app",
      image,
      seen: { ...idle, taskState: "REBOOTING", media: [IMAGE, OTHER] },
    }));
    const c = choice({ offer: "images", options, imageNames: { [IMAGE]: "rescue.iso" } });
    expect(read(c)).toEqual([
      {
        id: undefined,
        text: `*\`app\` (\`${A}\`)* · ACTIVE, power RUNNING, task_state REBOOTING (busy)\n2 images attached: pick the one to detach. The request then goes on as if you had typed it, approvals and all. It is busy now: bm waits for it to be idle before sending the detach.`,
      },
      {
        id: "bm_choose_0",
        text: `\`rescue.iso\` \`${IMAGE}\``,
        button: `Detach this image ${CHOOSE_ACTION} ch-0123456789:0`,
        spoken: "Detach image rescue.iso from app",
      },
      {
        id: "bm_choose_1",
        text: `\`${OTHER}\``,
        button: `Detach this image ${CHOOSE_ACTION} ch-0123456789:1`,
        spoken: `Detach image ${OTHER} from app`,
      },
      { id: undefined, text: FOOT },
    ]);
    expect(lookupMessage(c).text).toBe(read(c)[0]?.text);
  });

  it("names the server as ECL showed it in each image's label, not as it was typed", () => {
    const options: Option[] = [
      { server: A, name: "app", image: IMAGE, seen: { ...idle, media: [IMAGE] } },
    ];
    const c = choice({ offer: "images", options, asked: { server: A } });
    expect(read(c)[1]?.spoken).toBe(`Detach image ${IMAGE} from app`);
  });

  it("the servers a name shares: what each shows, what choosing it does, and no button where nothing is attached", () => {
    const options: Option[] = [
      { server: A, name: "app", image: IMAGE, seen: { ...idle, media: [IMAGE] } },
      { server: B, name: "app", seen: { ...idle, id: B, media: [IMAGE, OTHER] } },
      { server: B, name: "app", seen: { ...idle, id: B, media: [] } },
      {
        server: B,
        name: "app",
        seen: { ...idle, id: B, status: undefined, powerState: undefined },
      },
    ] as Option[];
    const c = choice({ offer: "servers", options, imageNames: { [IMAGE]: "rescue.iso" } });
    const blocks = read(c);
    expect(blocks[0]?.text).toBe(
      "4 servers in tenant `prod` are named `app`: choose the one you mean. Nothing was posted in the channel.",
    );
    expect(blocks[1]).toEqual({
      id: "bm_choose_0",
      text: `\`${A}\`\nACTIVE, power RUNNING, task_state None (idle) · attached: \`rescue.iso\` \`${IMAGE}\`\nChoosing it records the detach of \`rescue.iso\` \`${IMAGE}\`, the only image attached.`,
      button: `Choose ${CHOOSE_ACTION} ch-0123456789:0`,
      spoken: `Choose server app (${A})`,
    });
    expect(blocks[2]).toEqual({
      id: "bm_choose_1",
      text: `\`${B}\`\nACTIVE, power RUNNING, task_state None (idle) · attached: \`rescue.iso\` \`${IMAGE}\`, \`${OTHER}\``,
      button: `Choose ${CHOOSE_ACTION} ch-0123456789:1`,
      spoken: `Choose server app (${B})`,
    });
    expect(blocks[3]).toEqual({
      id: "bm_choose_2",
      text: `\`${B}\`\nACTIVE, power RUNNING, task_state None (idle) · nothing attached`,
    });
    expect(blocks[4]).toEqual({
      id: "bm_choose_3",
      text: `\`${B}\`\nstatus unknown, power unknown, task_state None (idle) · media not listed by ECL`,
    });
  });

  it("with the image typed, every candidate may be chosen, and says so", () => {
    const options: Option[] = [
      { server: A, name: "app", image: IMAGE, seen: { ...idle, media: [] } },
    ];
    const c = choice({ offer: "servers", options, asked: { server: "app", image: IMAGE } });
    const blocks = read(c);
    expect(blocks[0]?.text).toBe(
      `1 servers in tenant \`prod\` are named \`app\`: choose the one you mean. Nothing was posted in the channel. bm then records the detach of image \`${IMAGE}\` from it.`,
    );
    expect(blocks[1]?.text).toBe(
      `\`${A}\`\nACTIVE, power RUNNING, task_state None (idle) · nothing attached\nChoosing it records the detach of \`${IMAGE}\`.`,
    );
    expect(blocks[1]?.button).toBe(`Choose ${CHOOSE_ACTION} ch-0123456789:0`);
  });

  it("names close to a typo: each button its name; a name several servers share lists them", () => {
    const options: Option[] = [
      { server: A, name: "web01", seen: { ...idle, name: "web01", media: [IMAGE, OTHER] } },
      { server: "web010", name: "web010", servers: 2 },
    ];
    const c = choice({ offer: "names", options, asked: { server: "web1" } });
    expect(read(c)).toEqual([
      {
        id: undefined,
        text: "No server in tenant `prod` is named `web1`. Did you mean one of these?",
      },
      {
        id: "bm_choose_0",
        text: `*\`web01\`* \`${A}\`\nACTIVE, power RUNNING, task_state None (idle) · attached: \`${IMAGE}\`, \`${OTHER}\``,
        button: `web01 ${CHOOSE_ACTION} ch-0123456789:0`,
        spoken: `Choose server web01 (${A})`,
      },
      {
        id: "bm_choose_1",
        text: "`web010`: 2 servers have this name; choosing it lists them.",
        button: `web010 ${CHOOSE_ACTION} ch-0123456789:1`,
        spoken: "List the 2 servers named web010",
      },
      { id: undefined, text: FOOT },
    ]);
  });

  it("a server's line names five images, then counts the rest", () => {
    const media = Array.from({ length: 7 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`);
    const c = choice({
      offer: "servers",
      options: [{ server: A, name: "app", seen: { ...idle, media } }],
    });
    expect(read(c)[1]?.text).toContain(`\`${media[4]}\`, … and 2 more`);
  });

  it("more options than a message holds: 40 shown, the rest counted", () => {
    const options: Option[] = Array.from({ length: 43 }, () => ({
      server: A,
      name: "app",
      seen: { ...idle, media: [IMAGE] },
      image: IMAGE,
    }));
    const blocks = read(choice({ offer: "servers", options }));
    expect(blocks).toHaveLength(42);
    expect(blocks.at(-1)?.text).toBe(`${FOOT} 3 more are not shown: name the server by its id.`);
  });
});

describe("how a lookup ended, and a pick", () => {
  const server = { ...idle, media: [] };
  it.each([
    [
      { kind: "no_server" },
      "No server in tenant `prod` is named `app`, and no name is close to it. `/bm status NAME` shows a server by its name or id; the ECL console lists them all.",
    ],
    [{ kind: "no_id" }, "No server in tenant `prod` has the id `app`."],
    [
      { kind: "nothing_attached", server },
      `\`app\` (\`${A}\`) has no image attached (ACTIVE, power RUNNING, task_state None (idle)): there is nothing to detach.`,
    ],
    [
      { kind: "nothing_attached", server, asked: IMAGE },
      `Image \`${IMAGE}\` is not attached: \`app\` (\`${A}\`) has no image attached (ACTIVE, power RUNNING, task_state None (idle)). There is nothing to detach, and nothing was recorded.`,
    ],
    [
      { kind: "media_unknown", server },
      `ECL did not list the media of \`app\` (\`${A}\`), so bm cannot offer its images. If you know the image id: \`/bm detach ${A} IMAGE-ID\`.`,
    ],
    [
      { kind: "failed", reason: "ECL answered 503" },
      "bm could not look up `app` in tenant `prod`: ECL answered 503",
    ],
    [
      {
        kind: "recorded",
        server,
        result: {
          kind: "recorded",
          operationId: "op-0123456789",
          imageId: IMAGE,
          approvalsRequired: 1,
        },
      },
      `Recorded \`op-0123456789\`: detach image \`${IMAGE}\` from \`app\` (\`${A}\`). It needs 1 approval; bm will post the request in this channel for approvers.`,
    ],
  ] as const)("%j", (given, said) => {
    const { asked, ...ended } = given as typeof given & { asked?: string };
    const c = choice({
      state: "ended",
      ended: ended as NonNullable<Choice["ended"]>,
      asked: { server: "app", ...(asked ? { image: asked } : {}) },
    });
    expect(endedText(c).text).toBe(said);
    expect(lookupMessage(c)).toEqual({ text: said });
  });

  it("a choice still looking says so", () => {
    expect(endedText(choice({ state: "looking" })).text).toBe("bm is still looking up `app`.");
  });

  it("a pick, in the words of the message it replaces", () => {
    const images = choice({
      offer: "images",
      options: [{ server: A, name: "app", image: IMAGE, seen: idle }],
      imageNames: { [IMAGE]: "rescue.iso" },
    });
    expect(pickedWords(images, images.options?.[0] as Option).text).toBe(
      `You picked image \`rescue.iso\` \`${IMAGE}\` of \`app\` (\`${A}\`).`,
    );
    const servers = choice({ offer: "servers" });
    expect(pickedWords(servers, { server: A, name: "app", seen: idle }).text).toBe(
      `You picked \`app\` (\`${A}\`).`,
    );
    expect(pickedWords(servers, { server: "app", name: "app", servers: 2 }).text).toBe(
      "You picked the name `app`.",
    );
  });
});

describe("the private choices, to the letter", () => {
  it("the buttons' action id is bm_choose: those already posted in Slack carry it", () => {
    expect(CHOOSE_ACTION).toBe("bm_choose");
  });

  it("a server whose task_state ECL left out reads as None, idle", () => {
    const { taskState: _, ...unread } = idle;
    expect(serverState(unread).text).toBe("ACTIVE, power RUNNING, task_state None (idle)");
  });

  it("with the image typed, a candidate that shows it is not attached says so; with nothing attached, no button", () => {
    const c = choice({
      offer: "servers",
      asked: { server: "app", image: IMAGE },
      options: [
        { server: A, name: "app", seen: { ...idle, media: [] } },
        { server: B, name: "app", seen: { ...idle, id: B, media: [OTHER] } },
      ],
    });
    expect(read(c).slice(1, 3)).toEqual([
      {
        id: "bm_choose_0",
        text: `\`${A}\`\nACTIVE, power RUNNING, task_state None (idle) · nothing attached\nImage \`${IMAGE}\` is not attached to it.`,
      },
      {
        id: "bm_choose_1",
        text: `\`${B}\`\nACTIVE, power RUNNING, task_state None (idle) · attached: \`${OTHER}\`\nImage \`${IMAGE}\` is not attached to it; choosing it lists those that are.`,
        button: `Choose ${CHOOSE_ACTION} ch-0123456789:1`,
        spoken: `Choose server app (${B})`,
      },
    ]);
    expect(read(c).at(-1)?.text).toBe(FOOT);
  });

  it("servers a name shares, none with anything to click: no promise of buttons", () => {
    const c = choice({
      offer: "servers",
      asked: { server: "app", image: IMAGE },
      options: [
        { server: A, name: "app", seen: { ...idle, media: [] } },
        { server: B, name: "app", seen: { ...idle, id: B, media: [] } },
      ],
    });
    expect(read(c).map((b) => [b.text, b.button])).toEqual([
      [
        "2 servers in tenant `prod` are named `app`, and none of them has an image attached that bm could detach, so there is nothing to pick. Nothing was posted in the channel.",
        undefined,
      ],
      [
        `\`${A}\`\nACTIVE, power RUNNING, task_state None (idle) · nothing attached\nImage \`${IMAGE}\` is not attached to it.`,
        undefined,
      ],
      [
        `\`${B}\`\nACTIVE, power RUNNING, task_state None (idle) · nothing attached\nImage \`${IMAGE}\` is not attached to it.`,
        undefined,
      ],
      ["Only you see this. Nothing was recorded.", undefined],
    ]);
    expect(lookupMessage(c).text).toBe(read(c)[0]?.text);
  });

  it("close names, none with anything to click: no promise of buttons", () => {
    const c = choice({
      offer: "names",
      asked: { server: "web1" },
      options: [{ server: A, name: "web01", seen: { ...idle, name: "web01", media: [] } }],
    });
    expect(read(c).map((b) => b.text)).toEqual([
      "No server in tenant `prod` is named `web1`. These names are close to it, but none of them has an image attached that bm could detach, so there is nothing to pick.",
      `*\`web01\`* \`${A}\`\nACTIVE, power RUNNING, task_state None (idle) · nothing attached`,
      "Only you see this. Nothing was recorded.",
    ]);
  });

  it("close names with the image typed: the first words say a click records that image", () => {
    const c = choice({
      offer: "names",
      asked: { server: "web1", image: IMAGE },
      options: [
        {
          server: A,
          name: "web01",
          image: IMAGE,
          seen: { ...idle, name: "web01", media: [IMAGE] },
        },
      ],
    });
    expect(read(c)[0]?.text).toBe(
      `No server in tenant \`prod\` is named \`web1\`. Did you mean one of these? bm then records the detach of image \`${IMAGE}\` from it.`,
    );
  });

  it("a candidate without its media and without the image typed claims nothing about the image", () => {
    const c = choice({
      offer: "servers",
      asked: { server: "app", image: IMAGE },
      options: [{ server: A, name: "app", seen: idle }],
    });
    expect(read(c)[1]).toEqual({
      id: "bm_choose_0",
      text: `\`${A}\`\nACTIVE, power RUNNING, task_state None (idle) · media not listed by ECL`,
    });
  });

  it("one clickable option is enough for the buttons' words", () => {
    const c = choice({
      offer: "names",
      asked: { server: "web1" },
      options: [
        { server: A, name: "web01", seen: { ...idle, name: "web01", media: [] } },
        { server: "web010", name: "web010", servers: 2 },
      ],
    });
    expect(read(c)[0]?.text).toBe(
      "No server in tenant `prod` is named `web1`. Did you mean one of these?",
    );
    expect(read(c).at(-1)?.text).toBe(FOOT);
  });

  it("the images of a server that does not have the image typed: said first, then those it has", () => {
    const c = choice({
      offer: "images",
      asked: { server: "app", image: OTHER },
      options: [{ server: A, name: "app", image: IMAGE, seen: { ...idle, media: [IMAGE] } }],
    });
    expect(read(c)[0]?.text).toBe(
      `*\`app\` (\`${A}\`)* · ACTIVE, power RUNNING, task_state None (idle)\nImage \`${OTHER}\` is not attached to it. 1 image attached: pick the one to detach. The request then goes on as if you had typed it, approvals and all.`,
    );
    expect(read(c)[1]?.button).toBe(`Detach this image ${CHOOSE_ACTION} ch-0123456789:0`);
  });

  it("the images of an idle server: no word of waiting", () => {
    const c = choice({
      offer: "images",
      options: [{ server: A, name: "app", image: IMAGE, seen: { ...idle, media: [IMAGE] } }],
    });
    expect(read(c)[0]?.text).toBe(
      `*\`app\` (\`${A}\`)* · ACTIVE, power RUNNING, task_state None (idle)\n1 image attached: pick the one to detach. The request then goes on as if you had typed it, approvals and all.`,
    );
  });

  it("a choice with nothing to offer yet says it is still being looked up", () => {
    const c = choice({ state: "looking" });
    expect(lookupMessage(c).text).toBe("bm is still looking up `app`.");
  });
});
