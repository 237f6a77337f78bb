import type { SectionBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import type { Server } from "../../../lib/ecl/server";
import { checkMessage } from "../../../lib/slack/block-kit-limits";
import {
  type ImageGroup,
  imageActions,
  type MediaShown,
  mediaMessage,
  mountedFor,
  roughly,
} from "../../../lib/slack/media-message";

const NOW = new Date("2026-12-03T13:12:00.000Z");
const ISO = "3339fd5f-ec06-4ef8-9337-c1c70218a748";
const FW = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const server = (n: number, changes: Partial<Server> = {}): Server => ({
  id: uuid(n),
  name: `web${n}`,
  status: "ACTIVE",
  powerState: "RUNNING",
  taskState: "None",
  vmState: "active",
  mediaIds: [ISO],
  ...changes,
});
const shown = (groups: ImageGroup[], changes: Partial<MediaShown> = {}): MediaShown => ({
  scope: { kind: "all" },
  groups,
  unlisted: 0,
  sightings: true,
  now: NOW,
  ...changes,
});
const texts = (m: ReturnType<typeof mediaMessage>) =>
  (m.blocks ?? []).map((b) =>
    b.type === "section"
      ? ((b as SectionBlock).text?.text ?? "")
      : b.type === "context"
        ? b.elements.map((e) => ("text" in e ? e.text : "")).join(" ")
        : b.type,
  );
const HOW_LONG =
  "How long: since bm first saw each image on each server; ECL does not say when media was attached.";

describe("mediaMessage", () => {
  it("no image: one line, no how-long", () => {
    const m = mediaMessage(shown([]));
    expect(m.text).toBe("No server of this tenant has virtual media attached.");
    expect(texts(m)).toEqual(["No server of this tenant has virtual media attached."]);
  });

  it("one image on one server, first seen three hours ago, named, with its Detach button", () => {
    const m = mediaMessage(
      shown([
        {
          imageId: ISO,
          name: "rescue.iso",
          servers: [{ server: server(1), firstSeen: "2026-12-03T10:12:00.000Z" }],
        },
      ]),
    );
    expect(texts(m)).toEqual([
      "1 server of this tenant has virtual media attached: 1 image.",
      HOW_LONG,
      `Image *rescue.iso* \`${ISO}\` on 1 server`,
      "actions",
      `*web1* \`${uuid(1)}\`: ACTIVE, power RUNNING, idle · mounted at least 3 h (bm first saw it <!date^1796292720^{date_num} {time}|2026-12-03 10:12 UTC>)`,
    ]);
    expect(((m.blocks ?? [])[4] as SectionBlock).accessory).toEqual({
      type: "button",
      text: { type: "plain_text", text: "Detach" },
      action_id: "media_detach",
      value: `${uuid(1)} ${ISO}`,
      accessibility_label: "Detach rescue.iso from web1",
      confirm: {
        title: { type: "plain_text", text: "Detach this image?" },
        text: {
          type: "plain_text",
          text: "Detach rescue.iso from web1: bm records the request under this channel's rules, as /bm detach does.",
        },
        confirm: { type: "plain_text", text: "Request detach" },
        deny: { type: "plain_text", text: "Cancel" },
      },
    });
  });

  it("several images, each with its servers; a busy one, one first seen now, one unknown", () => {
    const m = mediaMessage(
      shown([
        {
          imageId: ISO,
          servers: [
            { server: server(1), firstSeen: NOW.toISOString() },
            { server: server(2, { taskState: "media_detaching", powerState: undefined }) },
          ],
        },
        { imageId: FW, name: "fw.iso", servers: [{ server: server(1, { mediaIds: [FW] }) }] },
      ]),
    );
    expect(texts(m)).toEqual([
      "2 servers of this tenant have virtual media attached: 2 images.",
      HOW_LONG,
      `Image \`${ISO}\` on 2 servers`,
      "actions",
      `*web1* \`${uuid(1)}\`: ACTIVE, power RUNNING, idle · first seen now`,
      `*web2* \`${uuid(2)}\`: ACTIVE, power ?, busy (media_detaching)`,
      `Image *fw.iso* \`${FW}\` on 1 server`,
      "actions",
      `*web1* \`${uuid(1)}\`: ACTIVE, power RUNNING, idle`,
    ]);
  });

  it("300 servers of one image: 50 blocks, the last saying how many more and how to narrow", () => {
    const servers = Array.from({ length: 300 }, (_, i) => ({ server: server(i + 1) }));
    const m = mediaMessage(shown([{ imageId: ISO, servers }]));
    expect(m.blocks).toHaveLength(50);
    expect(checkMessage(m)).toBeUndefined();
    const t = texts(m);
    expect(t[0]).toBe("300 servers of this tenant have virtual media attached: 1 image.");
    expect(t[3]).toBe("actions");
    expect(t[4]).toMatch(/^\*web1\* /);
    expect(t[48]).toMatch(/^\*web45\* /);
    expect(t[49]).toBe(
      "… and 255 more not shown here: narrow with `/bm media IMAGE-ID` or `/bm media SERVER`.",
    );
  });

  it("images past what fits are counted, with their servers", () => {
    // 16 images of one server each: 2 + 3 × 15 = 47 blocks (each image its line, its button and
    // its server), then no room for the 16th's three: 48 with the "more" line.
    const groups = Array.from({ length: 16 }, (_, i) => ({
      imageId: uuid(100 + i),
      servers: [{ server: server(i + 1) }],
    }));
    const m = mediaMessage(shown(groups));
    expect(m.blocks).toHaveLength(48);
    expect(texts(m).at(-1)).toBe(
      "… and 1 more not shown here (1 more image): narrow with `/bm media IMAGE-ID` or `/bm media SERVER`.",
    );
    const more = mediaMessage(
      shown([...groups, { imageId: uuid(200), servers: groups[0]?.servers ?? [] }]),
    );
    expect(texts(more).at(-1)).toBe(
      "… and 2 more not shown here (2 more images): narrow with `/bm media IMAGE-ID` or `/bm media SERVER`.",
    );
  });

  it("an image whose line and one server just fill the room is shown", () => {
    // 2 + 2 + 42 = 46 blocks, then 3 more: 49, the last kept for "more", which is not needed.
    const many = Array.from({ length: 42 }, (_, i) => ({ server: server(i + 1) }));
    const m = mediaMessage(
      shown([
        { imageId: ISO, servers: many },
        { imageId: FW, servers: [{ server: server(99, { status: undefined }) }] },
      ]),
    );
    expect(m.blocks).toHaveLength(49);
    expect(texts(m).slice(-3)).toEqual([
      `Image \`${FW}\` on 1 server`,
      "actions",
      `*web99* \`${uuid(99)}\`: ?, power RUNNING, idle`,
    ]);
  });

  it("exactly what fits: no more line", () => {
    // One block is always kept for the "more" line: 2 + 2 + 45 servers, whole, in 49 blocks.
    const servers = Array.from({ length: 45 }, (_, i) => ({ server: server(i + 1) }));
    const m = mediaMessage(shown([{ imageId: ISO, servers }]));
    expect(m.blocks).toHaveLength(49);
    expect(texts(m).at(-1)).toMatch(/^\*web45\* /);
    const one = mediaMessage(
      shown([{ imageId: ISO, servers: [...servers, { server: server(46) }] }]),
    );
    expect(texts(one).at(-1)).toBe(
      "… and 1 more not shown here: narrow with `/bm media IMAGE-ID` or `/bm media SERVER`.",
    );
  });

  it.each([
    [
      { kind: "image", imageId: ISO },
      [],
      `No server of this tenant has image \`${ISO}\` attached.`,
    ],
    [
      { kind: "image", imageId: ISO },
      [{ imageId: ISO, servers: [{ server: server(1) }] }],
      `1 server of this tenant has image \`${ISO}\` attached.`,
    ],
    [
      { kind: "image", imageId: ISO },
      [{ imageId: ISO, servers: [{ server: server(1) }, { server: server(2) }] }],
      `2 servers of this tenant have image \`${ISO}\` attached.`,
    ],
    [
      { kind: "server", server: server(1) },
      [],
      `*web1* \`${uuid(1)}\` has no virtual media attached.`,
    ],
    [
      { kind: "server", server: server(1, { mediaIds: undefined }) },
      [],
      `ECL did not list the media of *web1* \`${uuid(1)}\`: bm cannot tell what is attached.`,
    ],
    [
      { kind: "server", server: server(1) },
      [{ imageId: ISO, servers: [{ server: server(1) }] }],
      `*web1* \`${uuid(1)}\` has 1 image attached.`,
    ],
  ] as const)("scope %j: its summary", (scope, groups, words) => {
    const m = mediaMessage(shown(groups as unknown as ImageGroup[], { scope }));
    expect(texts(m)[0]).toBe(words);
  });

  it.each([
    [
      1,
      { kind: "all" },
      "No server of this tenant has virtual media attached. ECL did not list the media of 1 server: left out.",
    ],
    [
      3,
      { kind: "image", imageId: ISO },
      `No server of this tenant has image \`${ISO}\` attached. ECL did not list the media of 3 servers: left out.`,
    ],
  ] as const)("%d servers without their media listed: said", (unlisted, scope, words) => {
    expect(mediaMessage(shown([], { unlisted, scope })).text).toBe(words);
  });

  it("sightings that could not be read: said once, no durations", () => {
    const m = mediaMessage(
      shown([{ imageId: ISO, servers: [{ server: server(1) }] }], { sightings: false }),
    );
    expect(texts(m)[1]).toBe(
      "How long each has been mounted is unknown: bm could not read its sightings just now.",
    );
  });

  it("hostile names are escaped once, in the text; plain in the button", () => {
    const m = mediaMessage(
      shown([
        {
          imageId: ISO,
          name: "<!channel> & *x*",
          servers: [{ server: server(1, { name: "<@U1>" }) }],
        },
      ]),
    );
    expect(texts(m)[2]).toBe(`Image *&lt;!channel&gt; &amp; *x** \`${ISO}\` on 1 server`);
    expect(texts(m)[4]).toMatch(/^\*&lt;@U1&gt;\* /);
    const button = ((m.blocks ?? [])[4] as SectionBlock).accessory as {
      accessibility_label: string;
    };
    expect(button.accessibility_label).toBe("Detach <!channel> & *x* from <@U1>");
  });

  it("per image, Detach from all N: a fleet request of the image, confirmed first", () => {
    const group = {
      imageId: ISO.toUpperCase(),
      name: "rescue.iso",
      servers: [{ server: server(1) }, { server: server(2) }],
    };
    expect(imageActions(group)).toEqual([
      {
        type: "actions",
        block_id: `bm_media_all_${ISO}`,
        elements: [
          {
            type: "button",
            text: { type: "plain_text", text: "Detach from all 2" },
            action_id: "media_detach_all",
            value: ISO.toUpperCase(),
            accessibility_label: "Detach rescue.iso from every server that has it",
            style: "danger",
            confirm: {
              title: { type: "plain_text", text: "Detach from every server?" },
              text: {
                type: "plain_text",
                text: "Detach rescue.iso from every server of this tenant that has it (2 servers here now): bm lists them again, then records one request for all of them under this channel's rules, as /bm detach --all does.",
              },
              confirm: { type: "plain_text", text: "Request detach" },
              deny: { type: "plain_text", text: "Cancel" },
            },
          },
        ],
      },
    ]);
    const unnamed = imageActions({ imageId: ISO, servers: [{ server: server(1) }] })[0] as {
      elements: Array<{ text: { text: string }; accessibility_label: string }>;
    };
    expect(unnamed.elements[0]?.text.text).toBe("Detach from all 1");
    expect(unnamed.elements[0]?.accessibility_label).toBe(
      `Detach ${ISO} from every server that has it`,
    );
  });

  it("one server's answer: no Detach from all (its count would be that server's alone)", () => {
    const m = mediaMessage(
      shown([{ imageId: ISO, servers: [{ server: server(1) }] }], {
        scope: { kind: "server", server: server(1) },
      }),
    );
    expect(m.blocks?.map((b) => b.type)).toEqual(["section", "context", "section", "section"]);
    expect(
      mediaMessage(shown([{ imageId: ISO, servers: [{ server: server(1) }] }])).blocks?.map(
        (b) => b.type,
      ),
    ).toContain("actions");
  });
});

describe("how long", () => {
  it.each([
    [0, "0 min"],
    [59_999, "0 min"],
    [60_000, "1 min"],
    [3_599_999, "59 min"],
    [3_600_000, "1 h"],
    [47 * 3_600_000 + 3_599_999, "47 h"],
    [48 * 3_600_000, "2 days"],
    [10 * 86_400_000, "10 days"],
  ])("%d ms: %s", (ms, words) => {
    expect(roughly(ms)).toBe(words);
  });

  it.each([
    [undefined, ""],
    [NOW.toISOString(), " · first seen now"],
    ["2026-12-03T13:12:01.000Z", " · first seen now"],
    [
      "2026-12-03T13:11:59.000Z",
      " · mounted at least 0 min (bm first saw it <!date^1796303519^{date_num} {time}|2026-12-03 13:11 UTC>)",
    ],
  ])("first seen %s: %j", (firstSeen, words) => {
    const mounted = { server: server(1), ...(firstSeen ? { firstSeen } : {}) };
    expect(mountedFor(mounted, NOW).text).toBe(words);
  });
});
