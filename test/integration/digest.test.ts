import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse, stringify } from "yaml";
import type { AuditEvent } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { blockActionsBody } from "../../local/slack-request";
import type { LocalStack } from "../../local/stack";
import {
  auditOf,
  buttonsOf,
  drain,
  operationIdOf,
  privateMessages,
  sendToFrontDoor,
  slash,
  testStack,
} from "../support/stack-harness";

/**
 * The daily media digest through the real follow-up: C0INCIDENT's policy sets one at 09:00 UTC,
 * stale after 24 h. Only the clock is the test's (vi's fake Date; timers and sockets stay real).
 */
let stack: LocalStack;
const HOUR = 3_600_000;
/** 08:00 UTC the day after today: the test's first day. */
const DAY1 = (Math.floor(Date.now() / (24 * HOUR)) + 1) * 24 * HOUR + 8 * HOUR;

beforeAll(async () => {
  const fixtures = join(import.meta.dirname, "../fixtures/policy.yml");
  const policy = parse(await readFile(fixtures, "utf8"));
  policy.channels.C0INCIDENT.media_digest = "09:00 UTC";
  policy.channels.C0INCIDENT.stale_after_hours = 24;
  const file = join(await mkdtemp(join(tmpdir(), "bm-digest-")), "policy.yml");
  await writeFile(file, stringify(policy));
  stack = await testStack({ policyFile: file });
  vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
});
afterAll(async () => {
  vi.useRealTimers();
  await stack.close();
});

const digests = () =>
  (stack.slack?.history("C0INCIDENT") ?? []).filter((m) =>
    m.text.startsWith("Media mounted for more than 24 hours"),
  );
const eclRequests = () => stack.ecl?.requests.length ?? 0;
/** The follow-up at `at` (epoch ms): the ECL requests it made. */
async function followUpAt(at: number): Promise<number> {
  vi.setSystemTime(at);
  const before = eclRequests();
  await stack.followup(2000);
  return eclRequests() - before;
}

describe("the media digest", () => {
  it("before its time: the follow-up reads nothing of ECL", async () => {
    vi.setSystemTime(DAY1);
    // /bm media sees the sample's media now: its first sightings, 08:00 of day 1.
    await slash(stack, "media", { user: "U0DIGEST" });
    expect(await followUpAt(DAY1 + 59 * 60_000)).toBe(0);
    expect(digests()).toEqual([]);
  });

  it("at its time, nothing stale yet: nothing posted, and not asked again that day", async () => {
    expect(await followUpAt(DAY1 + HOUR)).toBeGreaterThan(0);
    expect(digests()).toEqual([]);
    expect(await followUpAt(DAY1 + 2 * HOUR)).toBe(0);
  });

  it("the next day: one message, the stale media told from the fresh", async () => {
    const fresh = stack.ecl?.model.addServer(SAMPLE.tenantId, {
      name: "fresh01",
      media: [SAMPLE.image],
    });
    expect(await followUpAt(DAY1 + 24 * HOUR + 59 * 60_000)).toBe(0);
    expect(await followUpAt(DAY1 + 25 * HOUR)).toBeGreaterThan(0);
    const [digest, ...more] = digests();
    expect(more).toEqual([]);
    expect(digest?.text).toBe(
      "Media mounted for more than 24 hours: 5 servers of this channel's tenant, 2 images. Left mounted, it may boot again at the next reboot.",
    );
    const shown = JSON.stringify(digest?.blocks);
    expect(shown).toContain("rescue-ubuntu-22.04.iso");
    expect(shown).toContain("firmware-update-2.4.iso");
    // First seen a moment after 08:00 of day 1, by the clock that runs on: 24 h 59 min, rounded down.
    expect(shown).toContain("mounted at least 24 h (bm first saw it");
    expect(shown).toContain("*web01*");
    expect(shown).not.toContain("fresh01");
    expect(shown).not.toContain(fresh?.id);
    // Again the same day: none.
    expect(await followUpAt(DAY1 + 26 * HOUR)).toBe(0);
    expect(digests()).toHaveLength(1);
  });

  it("two follow-ups at once on the third day post one", async () => {
    vi.setSystemTime(DAY1 + 49 * HOUR);
    await Promise.all([stack.followup(2000), stack.followup(2000)]);
    expect(digests()).toHaveLength(2);
    expect(digests()[1]?.text).toBe(
      "Media mounted for more than 24 hours: 6 servers of this channel's tenant, 2 images. Left mounted, it may boot again at the next reboot.",
    );
  });

  it("its Detach from all N, clicked in the channel: one fleet request of that image, by the clicker", async () => {
    const digest = digests().at(-1);
    const all = buttonsOf(digest).find((b) => b.label.startsWith("Detach from all"));
    expect(all?.label).toMatch(/^Detach from all \d+$/);
    await sendToFrontDoor(
      stack,
      blockActionsBody({
        teamId: "T0001",
        channelId: "C0INCIDENT",
        userId: "U0DIGEST",
        messageTs: digest?.ts as string,
        actionId: all?.actionId as string,
        blockId: all?.blockId as string,
        value: all?.value as string,
        responseUrl: stack.slack?.newResponseUrl("C0INCIDENT", "U0DIGEST") ?? "",
      }),
    );
    await drain(stack, async () =>
      privateMessages(stack, "U0DIGEST").some((m) => m.text.startsWith("Recorded `op-")),
    );
    const said = privateMessages(stack, "U0DIGEST").find((m) => m.text.startsWith("Recorded"));
    expect(said?.text).toMatch(
      /detach image `[0-9a-f-]{36}` from every server of tenant `sample` that has it\./,
    );
    const [requested] = await auditOf(stack, operationIdOf(said?.text ?? ""));
    expect(requested?.actor.userId).toBe("U0DIGEST");
    expect(requested?.facts).toMatchObject({ channel: "C0INCIDENT", via: "/bm media" });
    // The digest itself stays as it was: one per day, none more for the click.
    expect(digests()).toHaveLength(2);
  });

  it("each try is an audit event by bm: one a day, whatever came of it", async () => {
    const { Items = [] } = await stack.dynamo.send(
      new ScanCommand({ TableName: stack.env.BM_AUDIT_TABLE }),
    );
    const tries = Items.map((i) => unmarshall(i) as AuditEvent)
      .filter((e) => e.action === "sent:media-digest")
      .sort((a, b) => a.at.localeCompare(b.at));
    expect(
      tries.map((e) => [e.actor.userId, e.facts.channel, e.facts.try, e.facts.outcome]),
    ).toEqual([
      ["bm", "C0INCIDENT", 1, "nothing stale"],
      ["bm", "C0INCIDENT", 1, "posted"],
      ["bm", "C0INCIDENT", 1, "posted"],
    ]);
    expect(tries[1]?.facts).toMatchObject({ servers: 5, images: 2, staleAfterHours: 24 });
  });
});
