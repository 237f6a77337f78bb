import { describe, expect, it } from "vitest";
import type { EclApi, FleetReads } from "../../../lib/ecl/client";
import type { Server } from "../../../lib/ecl/server";
import type { Tenant } from "../../../lib/ecl/tenants";
import type { DigestClaims } from "../../../lib/followup/deps";
import { sendDigests } from "../../../lib/followup/digest";
import { followUp } from "../../../lib/followup/follow-up";
import { sightingKey } from "../../../lib/operations/sightings";
import { parsePolicy } from "../../../lib/policy/policy";
import type { SlackMessage } from "../../../lib/slack/chat";
import { blockTexts, eclServer, IMAGE, memorySightings, NOW, POLICY, workerFakes } from "../fakes";

// NOW is 2026-11-27T10:00Z: 19:00 in Tokyo.
const OTHER = "0b5e6a1c-9a7e-4b7a-8c1e-2d3f4a5b6c7d";
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

const fleet: Server[] = [
  eclServer({ id: uuid(1), name: "web01", mediaIds: [IMAGE] }),
  eclServer({ id: uuid(2), name: "web02", mediaIds: [IMAGE, OTHER] }),
  eclServer({ id: uuid(3), name: "web03", mediaIds: [] }),
];

/** Fakes with a digest at `at` in C0INC (Tokyo), claims kept in memory, ECL listing `list`. */
function fakes(
  options: {
    at?: string;
    list?: Server[] | Error;
    claim?: Array<boolean | Error>;
    seen?: Record<string, string>;
  } = {},
) {
  const f = workerFakes();
  f.deps.policy = parsePolicy({
    ...POLICY,
    channels: {
      ...POLICY.channels,
      C0INC: {
        ...POLICY.channels.C0INC,
        media_digest: options.at ?? "18:00 Asia/Tokyo",
        stale_after_hours: 24,
      },
    },
  });
  const posted: Array<{ channel: string; message: SlackMessage }> = [];
  const post = f.deps.chat.post;
  f.deps.chat = {
    ...f.deps.chat,
    post: async (channel, message, ...rest) => {
      posted.push({ channel, message });
      return post(channel, message, ...rest);
    },
  };
  const calls: string[] = [];
  const answers = [...(options.claim ?? [true])];
  const claims: DigestClaims = {
    claim: async (channel, date, at) => {
      calls.push(`claim ${channel} ${date} ${at.toISOString()}`);
      const next = answers.length > 1 ? answers.shift() : answers[0];
      if (next instanceof Error) throw next;
      return next as boolean;
    },
  };
  const ecl: Partial<EclApi & FleetReads> = {
    listServerPages: () => ({
      async *[Symbol.asyncIterator]() {
        calls.push("list");
        if (options.list instanceof Error) throw options.list;
        yield options.list ?? fleet;
      },
    }),
    imageName: async (id) => {
      calls.push(`name ${id}`);
      return id === IMAGE ? "rescue.iso" : undefined;
    },
  };
  f.deps.openTenant = async (secretId) => {
    calls.push(`open ${secretId}`);
    return { secretId, tenantId: "t", apiEndpoint: undefined, ecl } as unknown as Tenant;
  };
  const sightings = memorySightings(
    new Map([["t", { seen: options.seen ?? {}, revision: options.seen ? 3 : 0 }]]),
  );
  const settled = new Set<string>();
  f.deps.digest = { claims, sightings, settled };
  return { ...f, calls, posted, sightings, settled };
}

/** What describeError makes of an error bm did not type. */
const HIDDEN = "internal error (Error); nothing more is shown, to keep secrets out of messages";

const texts = blockTexts;

/** Each button's label and value, in order. */
const buttons = (m: SlackMessage | undefined) =>
  JSON.stringify(m?.blocks ?? [])
    .match(
      /"text":\{"type":"plain_text","text":"(Detach[^"]*)"[^}]*\},"action_id":"[^"]+","value":"[^" ]+/g,
    )
    ?.map((b) => {
      const [, label] = /"text":"(Detach[^"]*)"/.exec(b) as RegExpExecArray;
      const value = b.slice(b.lastIndexOf('"') + 1);
      return label === "Detach" ? label : `${label} ${value}`;
    }) ?? [];

const stale = {
  [sightingKey(uuid(1), IMAGE)]: ago(24 * HOUR),
  [sightingKey(uuid(2), IMAGE)]: ago(30 * HOUR),
  [sightingKey(uuid(2), OTHER)]: ago(24 * HOUR - 1),
};

describe("sendDigests", () => {
  it("before its time of day: no call at all", async () => {
    const f = fakes({ at: "19:01 Asia/Tokyo", seen: stale });
    expect(await sendDigests(f.deps)).toEqual(new Map());
    expect(f.calls).toEqual([]);
    expect(f.posted).toEqual([]);
    expect(f.settled.size).toBe(0);
  });

  it("at its time: claims the date, lists the tenant, posts what is stale, once", async () => {
    // web04's image is first seen now: not stale, yet counted in "Detach from all".
    const web04 = eclServer({ id: uuid(4), name: "web04", mediaIds: [IMAGE] });
    const f = fakes({ at: "19:00 Asia/Tokyo", seen: stale, list: [...fleet, web04] });
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "posted"]]));
    expect(f.calls).toEqual([
      `claim C0INC 2026-11-27 ${NOW.toISOString()}`,
      "open bm/tenant/t",
      "list",
      `name ${IMAGE}`,
    ]);
    expect(f.posted.map((p) => p.channel)).toEqual(["C0INC"]);
    const message = f.posted[0]?.message;
    expect(message?.text).toBe(
      "Media mounted for more than 24 hours: 2 servers of this channel's tenant, 1 image. Left mounted, it may boot again at the next reboot.",
    );
    expect(texts(message)).toEqual([
      message?.text,
      "How long: since bm first saw each image on each server; ECL does not say when media was attached.",
      `Image *rescue.iso* \`${IMAGE}\` on 2 servers`,
      "actions",
      `*web01* \`${uuid(1)}\`: ACTIVE, power RUNNING, idle · mounted at least 24 h (bm first saw it <!date^1795687200^{date_num} {time}|2026-11-26 10:00 UTC>)`,
      `*web02* \`${uuid(2)}\`: ACTIVE, power RUNNING, idle · mounted at least 30 h (bm first saw it <!date^1795665600^{date_num} {time}|2026-11-26 04:00 UTC>)`,
    ]);
    expect(f.settled).toEqual(new Set(["C0INC#2026-11-27"]));
    // Each image's "Detach from all N": of every server that has it, the fresh one too.
    expect(buttons(message)).toEqual([`Detach from all 3 ${IMAGE}`, "Detach", "Detach"]);
    // Again in this container: settled, no call.
    expect(await sendDigests(f.deps)).toEqual(new Map());
    expect(f.calls).toHaveLength(4);
    expect(f.posted).toHaveLength(1);
  });

  it("refreshes the sightings as /bm media does: first sightings kept, new ones started", async () => {
    const f = fakes({ seen: { [sightingKey(uuid(1), IMAGE)]: ago(2 * HOUR) } });
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "nothing stale"]]));
    expect(f.sightings.items.get("t")).toEqual({
      seen: {
        [sightingKey(uuid(1), IMAGE)]: ago(2 * HOUR),
        [sightingKey(uuid(2), IMAGE)]: NOW.toISOString(),
        [sightingKey(uuid(2), OTHER)]: NOW.toISOString(),
      },
      revision: 4,
    });
    expect(f.posted).toEqual([]);
    expect(f.logs).toContainEqual({
      level: "info",
      message: "media digest: nothing stale, nothing posted",
      extra: { channel: "C0INC", date: "2026-11-27" },
    });
  });

  it("writes no sightings when nothing changed", async () => {
    const seen = {
      [sightingKey(uuid(1), IMAGE)]: ago(HOUR),
      [sightingKey(uuid(2), IMAGE)]: ago(HOUR),
      [sightingKey(uuid(2), OTHER)]: ago(HOUR),
    };
    const f = fakes({ seen });
    let writes = 0;
    const write = f.sightings.write;
    f.sightings.write = (...args) => {
      writes++;
      return write(...args);
    };
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "nothing stale"]]));
    expect(writes).toBe(0);
  });

  it("claimed by another follow-up: no read, no post, settled", async () => {
    const f = fakes({ claim: [false], seen: stale });
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "claimed elsewhere"]]));
    expect(f.calls).toEqual([`claim C0INC 2026-11-27 ${NOW.toISOString()}`]);
    expect(f.posted).toEqual([]);
    expect(f.settled).toEqual(new Set(["C0INC#2026-11-27"]));
  });

  it("a claim DynamoDB cannot answer is an unknown: no post, asked again next round", async () => {
    const f = fakes({ claim: [new Error("throttled"), true], seen: stale });
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "unknown"]]));
    expect(f.posted).toEqual([]);
    expect(f.settled.size).toBe(0);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not claim the media digest; the next round asks again",
      extra: { channel: "C0INC", date: "2026-11-27", error: HIDDEN },
    });
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "posted"]]));
    expect(f.posted).toHaveLength(1);
  });

  it.each([["the list", { list: new Error("ECL down") }, HIDDEN]])(
    "%s failing after the claim: the date's digest is lost, logged",
    async (_, options, error) => {
      const f = fakes({ ...options, seen: stale });
      expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "lost"]]));
      expect(f.posted).toEqual([]);
      expect(f.settled).toEqual(new Set(["C0INC#2026-11-27"]));
      expect(f.logs).toContainEqual({
        level: "warn",
        message: "the media digest is lost for this date: it failed after its claim",
        extra: { channel: "C0INC", date: "2026-11-27", error },
      });
    },
  );

  it("the sightings unreadable, or the post failing: lost, logged", async () => {
    const unread = fakes({ seen: stale });
    unread.sightings.read = async () => {
      throw new Error("no sightings");
    };
    expect(await sendDigests(unread.deps)).toEqual(new Map([["C0INC#2026-11-27", "lost"]]));
    expect(unread.posted).toEqual([]);
    const unposted = fakes({ seen: stale });
    unposted.deps.chat = {
      ...unposted.deps.chat,
      post: async () => {
        throw new Error("channel_not_found");
      },
    };
    expect(await sendDigests(unposted.deps)).toEqual(new Map([["C0INC#2026-11-27", "lost"]]));
    expect(unposted.logs.filter((l) => l.level === "warn")).toEqual([
      {
        level: "warn",
        message: "the media digest is lost for this date: it failed after its claim",
        extra: { channel: "C0INC", date: "2026-11-27", error: HIDDEN },
      },
    ]);
  });

  it("without digest ports (the CLI): nothing", async () => {
    const f = fakes({ seen: stale });
    delete f.deps.digest;
    expect(await sendDigests(f.deps)).toEqual(new Map());
    expect(f.calls).toEqual([]);
  });
});

describe("the follow-up sends the digest", () => {
  it("from the schedule's invocation, not the worker's", async () => {
    const worker = fakes({ seen: stale });
    await followUp(worker.deps, () => 60_000, "worker");
    expect(worker.calls).toEqual([]);
    const scheduled = fakes({ seen: stale });
    await followUp(scheduled.deps, () => 60_000);
    expect(scheduled.posted.map((p) => p.channel)).toEqual(["C0INC"]);
  });
});
