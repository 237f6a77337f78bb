import type { Button } from "@slack/types";
import { describe, expect, it } from "vitest";
import { digestMessage, staleGroups } from "../../../lib/slack/digest-message";
import type { ImageGroup } from "../../../lib/slack/media-message";
import { eclServer, IMAGE, NOW } from "../fakes";

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const on = (name: string, firstSeen?: string) => ({
  server: eclServer({ id: `id-${name}`, name }),
  ...(firstSeen === undefined ? {} : { firstSeen }),
});

describe("staleGroups", () => {
  it("keeps servers first seen at least the threshold ago, drops groups left empty", () => {
    const groups: ImageGroup[] = [
      {
        imageId: IMAGE,
        name: "rescue.iso",
        servers: [on("a", ago(5 * HOUR)), on("b", ago(5 * HOUR - 1)), on("c")],
      },
      { imageId: "other", servers: [on("d", ago(HOUR))] },
    ];
    expect(staleGroups(groups, 5, NOW)).toEqual([
      { imageId: IMAGE, name: "rescue.iso", servers: [on("a", ago(5 * HOUR))] },
    ]);
    expect(staleGroups(groups, 1, NOW).map((g) => g.servers.map((m) => m.server.name))).toEqual([
      ["a", "b"],
      ["d"],
    ]);
  });
});

describe("digestMessage", () => {
  it("says the threshold, the servers and the images, then lists them as /bm media does", () => {
    const message = digestMessage(
      [
        { imageId: IMAGE, servers: [on("a", ago(30 * HOUR)), on("b", ago(30 * HOUR))] },
        { imageId: "other", servers: [on("a", ago(30 * HOUR))] },
      ],
      1,
      NOW,
    );
    expect(message.text).toBe(
      "Media mounted for more than 1 hour: 2 servers of this channel's tenant, 2 images. Left mounted, it may boot again at the next reboot.",
    );
    expect(message.blocks?.map((b) => b.type)).toEqual([
      "section",
      "context",
      "section",
      "actions",
      "section",
      "section",
      "section",
      "actions",
      "section",
    ]);
  });

  it("counts each image's Detach from all N on every server that has it, fresh ones too", () => {
    const stale = [{ imageId: IMAGE, servers: [on("a", ago(30 * HOUR))] }];
    const all = [
      { imageId: "other", servers: [on("x")] },
      { imageId: IMAGE, servers: [on("a", ago(30 * HOUR)), on("b", ago(HOUR)), on("c")] },
    ];
    const labels = (m: ReturnType<typeof digestMessage>) =>
      (m.blocks ?? []).flatMap((b) =>
        b.type === "actions" ? b.elements.map((e) => (e as Button).text.text) : [],
      );
    expect(labels(digestMessage(stale, 24, NOW, all))).toEqual(["Detach from all 3"]);
    expect(labels(digestMessage(stale, 24, NOW))).toEqual(["Detach from all 1"]);
  });

  it("fits any fleet within Slack's 50 blocks", () => {
    const servers = Array.from({ length: 200 }, (_, i) => on(`s${i}`, ago(48 * HOUR)));
    const message = digestMessage([{ imageId: IMAGE, servers }], 24, NOW);
    expect(message.blocks).toHaveLength(50);
    expect(message.text).toBe(
      "Media mounted for more than 24 hours: 200 servers of this channel's tenant, 1 image. Left mounted, it may boot again at the next reboot.",
    );
  });
});
