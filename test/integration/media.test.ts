import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { blockActionsBody } from "../../local/slack-request";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  buttonsOf,
  clickPrivate,
  detachesOf,
  drain,
  finished,
  operation,
  operationCount,
  operationIdOf,
  privateMessages,
  sendToFrontDoor,
  slash,
  testStack,
} from "../support/stack-harness";

/** /bm media and its Detach button, through the real handlers. */
let stack: LocalStack;

beforeAll(async () => {
  stack = await testStack();
});
afterAll(() => stack.close());

const UNNAMED = "9d9d9d9d-0000-4000-8000-000000000001";
const NOWHERE = "9d9d9d9d-0000-4000-8000-0000000000ff";
const ISO = "rescue-ubuntu-22.04.iso";
const FW = "firmware-update-2.4.iso";
const LOOKING = "; the answer will appear here in a moment, for you only.";
/** The texts of a private answer's blocks. */
/** Each block's text as read; an actions block (the buttons under an image's line) as "actions". */
const lines = (shown: { blocks?: unknown[] } | undefined) =>
  (
    (shown?.blocks ?? []) as Array<{
      type: string;
      text?: { text: string };
      elements?: Array<{ text: string }>;
    }>
  ).map((b) =>
    b.type === "actions"
      ? "actions"
      : (b.text?.text ?? b.elements?.map((e) => e.text).join(" ") ?? ""),
  );
const last = (user: string, channel = "C0INCIDENT") => privateMessages(stack, user, channel).at(-1);

describe("/bm media", () => {
  it("several images: the servers grouped by image, named by the image service, first seen now", async () => {
    const answer = await slash(stack, "media", { user: "U0MEDIA1" });
    expect(answer.text).toBe(`Looking up the media attached to the servers in ECL${LOOKING}`);
    const shown = lines(last("U0MEDIA1"));
    expect(shown.slice(0, 3)).toEqual([
      "5 servers of this tenant have virtual media attached: 2 images.",
      "How long: since bm first saw each image on each server; ECL does not say when media was attached.",
      `Image *${ISO}* \`${SAMPLE.image}\` on 3 servers`,
    ]);
    expect(shown[3]).toBe("actions");
    expect(shown[4]).toMatch(
      /^\*app\* `11111111-2222-4333-8444-555555555555`: ACTIVE, power RUNNING, idle · first seen now$/,
    );
    expect(shown).toContain(`Image *${FW}* \`${SAMPLE.otherImage}\` on 2 servers`);
    expect(buttonsOf(last("U0MEDIA1")).map((b) => b.label)).toEqual([
      "Detach from all 3",
      "Detach",
      "Detach",
      "Detach",
      "Detach from all 2",
      "Detach",
      "Detach",
    ]);
    // Nothing in the channel: the answer is for the asker only.
    expect(stack.slack?.history("C0INCIDENT").some((m) => m.text.includes(ISO))).toBe(false);
  });

  it("asked again: the first sighting is kept (mounted at least 0 min, bm first saw it …)", async () => {
    await new Promise((r) => setTimeout(r, 1100));
    await slash(stack, `media ${SAMPLE.otherImage}`, { user: "U0MEDIA1" });
    const shown = lines(last("U0MEDIA1"));
    expect(shown[0]).toBe(`2 servers of this tenant have image \`${SAMPLE.otherImage}\` attached.`);
    expect(shown[4]).toMatch(
      / · mounted at least 0 min \(bm first saw it <!date\^\d+\^\{date_num\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>\)$/,
    );
  });

  it("by server name, and an image no server has", async () => {
    await slash(stack, "media web01", { user: "U0MEDIA2" });
    expect(lines(last("U0MEDIA2"))[0]).toBe(`*web01* \`${SAMPLE.web01}\` has 1 image attached.`);
    await slash(stack, `media ${NOWHERE}`, { user: "U0MEDIA2" });
    expect(lines(last("U0MEDIA2"))).toEqual([
      `No server of this tenant has image \`${NOWHERE}\` attached.`,
    ]);
    await slash(stack, "media nosuchserver", { user: "U0MEDIA2" });
    expect(last("U0MEDIA2")?.text).toBe(
      'bm could not list the media of `nosuchserver`: no server named "nosuchserver" in this tenant',
    );
  });

  it.each([
    ["404 (an image it does not know)", undefined],
    ["500", { route: "image", status: 500, times: 5 } as const],
    ["no answer", { route: "image", hang: true, times: 5 } as const],
  ])("an image service that answers %s: the image by its id alone", async (_, fault) => {
    stack.ecl?.model.addServer(SAMPLE.tenantId, { name: `un-${Date.now()}`, media: [UNNAMED] });
    if (fault) {
      stack.ecl?.model.addImage(UNNAMED, "would-be-named.iso");
      stack.ecl?.model.inject(fault);
    }
    await slash(stack, `media ${UNNAMED}`, { user: "U0MEDIA3" });
    const shown = lines(last("U0MEDIA3"));
    expect(shown[2]).toMatch(new RegExp(`^Image \`${UNNAMED}\` on \\d servers?$`));
    stack.ecl?.model.clearFaults();
  });

  it("someone who may not look here: refused, nothing read", async () => {
    const answer = await slash(stack, "media", { channel: "C0OPS", user: "U0NOBODY" });
    expect(answer.text).toBe(
      "Only this channel's requesters and approvers may look at its servers and history.",
    );
    expect(privateMessages(stack, "U0NOBODY", "C0OPS")).toEqual([]);
  });
});

describe("the Detach button of /bm media", () => {
  it("in a break-glass channel: the request goes ahead at once, from /bm media", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "media-bg",
      media: [SAMPLE.otherImage],
    });
    await slash(stack, "media media-bg", { user: "U0MEDIA4" });
    await clickPrivate(stack, last("U0MEDIA4"), "Detach");
    await drain(stack, async () => privateMessages(stack, "U0MEDIA4", "C0INCIDENT").length > 1);
    const id = operationIdOf(last("U0MEDIA4")?.text ?? "");
    const op = await finished(stack, id);
    expect([op.state, op.serverRef, op.imageId]).toEqual(["done", server?.id, SAMPLE.otherImage]);
    const [requested] = await auditOf(stack, id);
    expect(requested?.facts).toEqual({
      server: server?.id,
      image: SAMPLE.otherImage,
      channel: "C0INCIDENT",
      tenant: "sample",
      via: "/bm media",
    });
  });

  it("in an approval channel: the request waits for its approval", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "media-chg",
      media: [SAMPLE.image],
    });
    await slash(stack, "media media-chg", { channel: "C0CHANGES", user: "U0MEDIA5" });
    await clickPrivate(stack, last("U0MEDIA5", "C0CHANGES"), "Detach");
    await drain(stack, async () => privateMessages(stack, "U0MEDIA5", "C0CHANGES").length > 1);
    const id = operationIdOf(last("U0MEDIA5", "C0CHANGES")?.text ?? "");
    await drain(stack, async () => (await operation(stack, id)).state === "awaiting_approval");
    expect((await operation(stack, id)).state).toBe("awaiting_approval");
    expect(detachesOf(stack, server?.id as string)).toEqual([]);
  });

  it("Detach from all N: one fleet request of the image, each server that has it detached once", async () => {
    const image = "0f0e0d0c-0b0a-4908-8706-050403020100";
    const ids = ["media-all-1", "media-all-2"].map(
      (name) => stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [image] })?.id as string,
    );
    await slash(stack, `media ${image}`, { user: "U0MEDIA8" });
    await clickPrivate(stack, last("U0MEDIA8"), "Detach from all 2");
    await drain(stack, async () => privateMessages(stack, "U0MEDIA8", "C0INCIDENT").length > 1);
    const said = last("U0MEDIA8")?.text ?? "";
    expect(said).toMatch(
      /^Recorded `op-\w+`: detach image `0f0e0d0c-0b0a-4908-8706-050403020100` from every server of tenant `sample` that has it\./,
    );
    const id = operationIdOf(said);
    await drain(
      stack,
      async () => {
        await stack.followup(200);
        const fleet = await operation(stack, id);
        return fleet.state === "done" && (fleet.noticedSeq ?? 0) >= fleet.seq;
      },
      30_000,
    );
    const fleet = await operation(stack, id);
    expect(fleet.fleet?.targets.map((t) => t.serverId).sort()).toEqual([...ids].sort());
    for (const server of ids) expect(detachesOf(stack, server)).toHaveLength(1);
    const [requested] = await auditOf(stack, id);
    expect(requested?.facts).toMatchObject({ image, channel: "C0INCIDENT", via: "/bm media" });
  });

  it("a click delivered twice (Slack's retry, one trigger): one request", async () => {
    const server = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "media-twice",
      media: [SAMPLE.image],
    });
    await slash(stack, "media media-twice", { channel: "C0CHANGES", user: "U0MEDIA6" });
    const shown = last("U0MEDIA6", "C0CHANGES");
    const [button] = buttonsOf(shown);
    const body = blockActionsBody({
      teamId: "T0001",
      channelId: "C0CHANGES",
      userId: "U0MEDIA6",
      messageTs: shown?.ts ?? "",
      actionId: button?.actionId ?? "",
      blockId: button?.blockId ?? "",
      value: button?.value ?? "",
      responseUrl: stack.slack?.newResponseUrl("C0CHANGES", "U0MEDIA6") ?? "",
      ephemeral: true,
    });
    const before = await operationCount(stack);
    await sendToFrontDoor(stack, body);
    await sendToFrontDoor(stack, body);
    await drain(stack);
    expect(await operationCount(stack)).toBe(before + 1);
    expect(button?.value).toBe(`${server?.id} ${SAMPLE.image}`);
  });
});

describe("a fleet of 300 (last: it grows the tenant)", () => {
  it("one message of 50 blocks: the summary, what fits, and how many more", async () => {
    for (let i = 0; i < 300; i++)
      stack.ecl?.model.addServer(SAMPLE.tenantId, {
        name: `fleet${String(i).padStart(3, "0")}`,
        media: [SAMPLE.image],
      });
    await slash(stack, `media ${SAMPLE.image}`, { user: "U0MEDIA7" });
    const shown = last("U0MEDIA7");
    const all = privateMessages(stack, "U0MEDIA7");
    expect(all).toHaveLength(1);
    expect(shown?.blocks).toHaveLength(50);
    const texts = lines(shown);
    const total = Number(/^(\d+) servers/.exec(texts[0] ?? "")?.[1]);
    expect(total).toBeGreaterThanOrEqual(300);
    expect(texts[0]).toBe(
      `${total} servers of this tenant have image \`${SAMPLE.image}\` attached.`,
    );
    expect(texts[49]).toBe(
      `… and ${total - 45} more not shown here: narrow with \`/bm media IMAGE-ID\` or \`/bm media SERVER\`.`,
    );
  });
});
