import { describe, expect, it } from "vitest";
import type { EclApi, FleetReads } from "../../../lib/ecl/client";
import type { Server } from "../../../lib/ecl/server";
import type { Tenant } from "../../../lib/ecl/tenants";
import type { DigestClaim, DigestClaims } from "../../../lib/followup/deps";
import {
  DIGEST_RETRY_MS,
  DIGEST_TRIES,
  mayHavePosted,
  sendDigests,
} from "../../../lib/followup/digest";
import { followUp } from "../../../lib/followup/follow-up";
import { sightingKey } from "../../../lib/operations/sightings";
import { parsePolicy } from "../../../lib/policy/policy";
import type { SlackMessage } from "../../../lib/slack/chat";
import { SlackApiError } from "../../../lib/slack/slack-error";
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
    claim?: Array<DigestClaim | undefined | Error>;
    release?: Error;
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
  const answers = [...(options.claim ?? [{ token: "tk", tries: 0 }])];
  const claims: DigestClaims = {
    claim: async (channel, date, at) => {
      calls.push(`claim ${channel} ${date} ${at.toISOString()}`);
      const next = answers.length > 1 ? answers.shift() : answers[0];
      if (next instanceof Error) throw next;
      return next;
    },
    release: async (channel, date, claim, retryAt) => {
      calls.push(
        `release ${channel} ${date} ${claim.token} ${claim.tries} ${retryAt.toISOString()}`,
      );
      if (options.release) throw options.release;
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
  const notBefore = new Map<string, number>();
  f.deps.digest = { claims, sightings, notBefore };
  const digestEvents = () => f.events.filter((e) => e.action === "sent:media-digest");
  return { ...f, calls, posted, sightings, notBefore, digestEvents };
}

/** Every post of `f` fails with `error`. */
function refusePosts(f: ReturnType<typeof fakes>, error: Error) {
  f.deps.chat = {
    ...f.deps.chat,
    post: async () => {
      throw error;
    },
  };
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
    expect(f.notBefore.size).toBe(0);
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
    expect(f.notBefore).toEqual(new Map([["C0INC#2026-11-27", Number.POSITIVE_INFINITY]]));
    expect(f.digestEvents()).toEqual([
      {
        operationId: expect.stringMatching(/^dg-[0-9a-z]{10}$/),
        seq: 0,
        at: NOW.toISOString(),
        action: "sent:media-digest",
        actor: { teamId: "T1", userId: "bm" },
        facts: {
          channel: "C0INC",
          tenant: "t",
          date: "2026-11-27",
          try: 1,
          staleAfterHours: 24,
          outcome: "posted",
          servers: 2,
          images: 1,
        },
      },
    ]);
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
      extra: { channel: "C0INC", date: "2026-11-27", try: 1 },
    });
    expect(f.digestEvents().map((e) => e.facts)).toEqual([
      expect.objectContaining({ outcome: "nothing stale", servers: 0 }),
    ]);
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

  it("claimed by another follow-up: no read, no post, no event, settled", async () => {
    const f = fakes({ claim: [undefined], seen: stale });
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "claimed elsewhere"]]));
    expect(f.calls).toEqual([`claim C0INC 2026-11-27 ${NOW.toISOString()}`]);
    expect(f.posted).toEqual([]);
    expect(f.digestEvents()).toEqual([]);
    expect(f.notBefore).toEqual(new Map([["C0INC#2026-11-27", Number.POSITIVE_INFINITY]]));
  });

  it("a claim DynamoDB cannot answer is an unknown: no post, asked again next round", async () => {
    const f = fakes({ claim: [new Error("throttled"), { token: "tk", tries: 0 }], seen: stale });
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "unclaimed"]]));
    expect(f.posted).toEqual([]);
    expect(f.notBefore.size).toBe(0);
    expect(f.digestEvents()).toEqual([]);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not claim the media digest; the next round asks again",
      extra: { channel: "C0INC", date: "2026-11-27", error: HIDDEN },
    });
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "posted"]]));
    expect(f.posted).toHaveLength(1);
  });

  const retryAt = new Date(NOW.getTime() + DIGEST_RETRY_MS).toISOString();
  const failures: Array<[string, (f: ReturnType<typeof fakes>) => void, string]> = [
    [
      "the tenant's secret",
      (f) => {
        f.deps.openTenant = async () => {
          throw new Error("no secret");
        };
      },
      HIDDEN,
    ],
    [
      "the list",
      (f) => {
        f.deps.openTenant = async (secretId) =>
          ({
            secretId,
            ecl: {
              listServerPages: () => ({
                // biome-ignore lint/correctness/useYield: it fails before its first page
                async *[Symbol.asyncIterator]() {
                  throw new Error("ECL down");
                },
              }),
            },
          }) as unknown as Tenant;
      },
      HIDDEN,
    ],
    [
      "the sightings",
      (f) => {
        f.sightings.read = async () => {
          throw new Error("no sightings");
        };
      },
      HIDDEN,
    ],
    [
      "Slack's rate limit",
      (f) => {
        refusePosts(f, new SlackApiError("chat.postMessage", "ratelimited", "passing", 3));
      },
      "ratelimited",
    ],
  ];

  it.each(failures)(
    "%s failing: nothing posted, the claim given back, tried again later",
    async (_, fail, error) => {
      const f = fakes({ seen: stale });
      fail(f);
      expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "retry"]]));
      expect(f.posted).toEqual([]);
      expect(f.calls).toContain(`release C0INC 2026-11-27 tk 0 ${retryAt}`);
      expect(f.notBefore).toEqual(new Map([["C0INC#2026-11-27", Date.parse(retryAt)]]));
      expect(f.digestEvents().map((e) => e.facts)).toEqual([
        expect.objectContaining({ outcome: "retry", try: 1, error }),
      ]);
      expect(f.logs).toContainEqual({
        level: "warn",
        message: "the media digest failed and posted nothing; it is tried again later",
        extra: expect.objectContaining({ channel: "C0INC", date: "2026-11-27", try: 1 }),
      });
      // Not before its time, in this container.
      const calls = f.calls.length;
      expect(await sendDigests(f.deps)).toEqual(new Map());
      expect(f.calls).toHaveLength(calls);
    },
  );

  it("tried again once its time has come: the next try counted, posted, audited apart", async () => {
    const f = fakes({
      claim: [
        { token: "tk", tries: 0 },
        { token: "tk", tries: 1 },
      ],
      seen: stale,
    });
    const post = f.deps.chat.post;
    let refused = false;
    f.deps.chat = {
      ...f.deps.chat,
      post: async (...args) => {
        if (!refused) {
          refused = true;
          throw new SlackApiError("chat.postMessage", "internal_error", "passing");
        }
        return post(...args);
      },
    };
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "retry"]]));
    f.clock.now = NOW.getTime() + DIGEST_RETRY_MS - 1;
    expect(await sendDigests(f.deps)).toEqual(new Map());
    f.clock.now = NOW.getTime() + DIGEST_RETRY_MS;
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "posted"]]));
    expect(f.posted).toHaveLength(1);
    const events = f.digestEvents();
    expect(events.map((e) => [e.facts.try, e.facts.outcome])).toEqual([
      [1, "retry"],
      [2, "posted"],
    ]);
    expect(new Set(events.map((e) => e.operationId)).size).toBe(2);
  });

  it(`the ${DIGEST_TRIES}th try failing: lost, not given back`, async () => {
    const f = fakes({ claim: [{ token: "tk", tries: DIGEST_TRIES - 1 }], seen: stale });
    f.sightings.read = async () => {
      throw new Error("no sightings");
    };
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "lost"]]));
    expect(f.calls.some((c) => c.startsWith("release"))).toBe(false);
    expect(f.notBefore).toEqual(new Map([["C0INC#2026-11-27", Number.POSITIVE_INFINITY]]));
    expect(f.digestEvents().map((e) => e.facts)).toEqual([
      expect.objectContaining({ outcome: "lost", try: DIGEST_TRIES }),
    ]);
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "the media digest is lost for this date",
      extra: { channel: "C0INC", date: "2026-11-27", try: DIGEST_TRIES, error: HIDDEN },
    });
  });

  it.each([
    ["no answer", new SlackApiError("chat.postMessage", "no_response", "passing"), "unknown"],
    ["an HTTP 503", new SlackApiError("chat.postMessage", "http_503", "passing"), "unknown"],
    [
      "not in the channel",
      new SlackApiError("chat.postMessage", "not_in_channel", "permanent"),
      undefined,
    ],
  ])(
    "a post with %s: lost, never tried again (it may be there, or never will be)",
    async (_, error, posted) => {
      const f = fakes({ seen: stale });
      refusePosts(f, error);
      expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "lost"]]));
      expect(f.calls.some((c) => c.startsWith("release"))).toBe(false);
      expect(f.digestEvents()[0]?.facts).toEqual({
        channel: "C0INC",
        tenant: "t",
        date: "2026-11-27",
        try: 1,
        staleAfterHours: 24,
        outcome: "lost",
        error: error.code,
        ...(posted ? { posted } : {}),
      });
    },
  );

  it("a claim that cannot be given back: lost, said so", async () => {
    const f = fakes({ seen: stale, release: new Error("throttled") });
    f.sightings.read = async () => {
      throw new Error("no sightings");
    };
    expect(await sendDigests(f.deps)).toEqual(new Map([["C0INC#2026-11-27", "lost"]]));
    expect(f.notBefore).toEqual(new Map([["C0INC#2026-11-27", Number.POSITIVE_INFINITY]]));
    expect(f.digestEvents()[0]?.facts).toEqual(
      expect.objectContaining({ outcome: "lost", release: "failed" }),
    );
    expect(f.logs).toContainEqual({
      level: "warn",
      message: "could not give the media digest back; it is lost for this date",
      extra: { channel: "C0INC", date: "2026-11-27", error: HIDDEN },
    });
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

describe("mayHavePosted", () => {
  it.each([
    ["no_response", true],
    ["http_500", true],
    ["http_503", true],
    ["http_499", false],
    ["ratelimited_http_5", false],
    ["http_400", false],
    ["ratelimited", false],
    ["internal_error", false],
    ["not_in_channel", false],
  ])("%s: %s", (code, may) => {
    expect(mayHavePosted(new SlackApiError("chat.postMessage", code, "passing"))).toBe(may);
  });
  it("an error not sorted by the adapter: may have", () => {
    expect(mayHavePosted(new Error("socket hang up"))).toBe(true);
  });
});
