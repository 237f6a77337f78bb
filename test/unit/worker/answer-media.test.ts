import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { EclApi, FleetReads } from "../../../lib/ecl/client";
import { ServerLookupError } from "../../../lib/ecl/client";
import { EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import type { Tenant } from "../../../lib/ecl/tenants";
import { sightingKey } from "../../../lib/operations/sightings";
import type { MediaRequest } from "../../../lib/operations/work-message";
import type { SlackMessage } from "../../../lib/slack/chat";
import { SlackApiError } from "../../../lib/slack/slack-error";
import {
  answerMedia,
  groupByImage,
  imageNames,
  MEDIA_READS,
  namedGroups,
} from "../../../lib/worker/answer-media";
import { RetryLater } from "../../../lib/worker/retry-later";
import { blockTexts, eclServer, IMAGE, memorySightings, NOW, workerFakes } from "../fakes";

const OTHER = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
const uuid = (n: number) => `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, "0")}`;
const URL = "https://hooks.slack.com/commands/T1/1/x";
const ask = (changes: Partial<MediaRequest> = {}): MediaRequest => ({
  teamId: "T1",
  channelId: "C0INC",
  userId: "U0ASK",
  tenant: "t",
  secretId: "bm/tenant/t",
  responseUrl: URL,
  readId: "rd-0000000001",
  ...changes,
});
const fleet = [
  eclServer({ id: uuid(1), name: "b", mediaIds: [IMAGE] }),
  eclServer({ id: uuid(2), name: "a", mediaIds: [IMAGE, OTHER] }),
  eclServer({ id: uuid(3), name: "c", mediaIds: [] }),
  eclServer({ id: uuid(4), name: "d", mediaIds: undefined }),
];

/** Worker fakes whose tenant lists `pages` (or fails), names images from `names`. */
function fakes(
  pages: Array<Server[] | Error | number>,
  names: Record<string, string | Promise<never>> = {},
) {
  const f = workerFakes();
  const answers: SlackMessage[] = [];
  f.deps.chat = {
    ...f.deps.chat,
    respond: async (_url, message) => {
      answers.push(message);
      f.slack.push({ method: "respond", text: message.text });
    },
  };
  const calls: string[] = [];
  const ecl: Partial<EclApi & FleetReads> = {
    listServerPages: (options) => ({
      async *[Symbol.asyncIterator]() {
        calls.push(
          `list ${options.limit} ${options.maxPages} ${options.timeoutMs} ${JSON.stringify(options.retry)}`,
        );
        for (const page of pages) {
          if (page instanceof Error) throw page;
          if (typeof page === "number") clock.offset += page;
          else yield page;
        }
      },
    }),
    resolveServer: async (ref) => {
      calls.push(`resolve ${ref}`);
      return fleet[1] as Server;
    },
    imageName: async (id) => {
      calls.push(`name ${id}`);
      return names[id];
    },
  };
  f.deps.openTenant = async (secretId) =>
    ({ secretId, tenantId: "t", apiEndpoint: undefined, ecl }) as unknown as Tenant;
  const sightings = memorySightings();
  f.deps.sightings = sightings;
  return { ...f, calls, sightings, answers };
}

/** Date.now, moved by `offset` (a number in a fake's pages moves it by that much). */
const clock = { offset: 0 };
const realNow = Date.now;
beforeEach(() => {
  clock.offset = 0;
  const start = realNow();
  vi.spyOn(Date, "now").mockImplementation(() => start + clock.offset);
});
afterEach(() => {
  vi.restoreAllMocks();
});

const texts = blockTexts;

describe("answerMedia", () => {
  it("lists every page, groups by image, names them, keeps the sightings, audits the read", async () => {
    const f = fakes([fleet.slice(0, 2), fleet.slice(2)], { [IMAGE]: "rescue.iso" });
    await answerMedia(f.deps, ask(), 1);
    expect(f.calls).toEqual([
      'list 100 100 5000 {"retries":1,"baseDelayMs":200}',
      `name ${IMAGE}`,
      `name ${OTHER}`,
    ]);
    expect(texts(f.answers[0])).toEqual([
      "2 servers of this tenant have virtual media attached: 2 images. ECL did not list the media of 1 server: left out.",
      "How long: since bm first saw each image on each server; ECL does not say when media was attached.",
      `Image *rescue.iso* \`${IMAGE}\` on 2 servers`,
      "actions",
      `*a* \`${uuid(2)}\`: ACTIVE, power RUNNING, idle · first seen now`,
      `*b* \`${uuid(1)}\`: ACTIVE, power RUNNING, idle · first seen now`,
      `Image \`${OTHER}\` on 1 server`,
      "actions",
      `*a* \`${uuid(2)}\`: ACTIVE, power RUNNING, idle · first seen now`,
    ]);
    expect(f.slack).toEqual([
      {
        method: "respond",
        text: "2 servers of this tenant have virtual media attached: 2 images. ECL did not list the media of 1 server: left out.",
      },
    ]);
    expect(f.sightings.items.get("t")).toEqual({
      seen: {
        [sightingKey(uuid(1), IMAGE)]: NOW.toISOString(),
        [sightingKey(uuid(2), IMAGE)]: NOW.toISOString(),
        [sightingKey(uuid(2), OTHER)]: NOW.toISOString(),
      },
      revision: 1,
    });
    expect(f.events).toStrictEqual([
      {
        operationId: "rd-0000000001",
        seq: 0,
        at: NOW.toISOString(),
        action: "viewed:media",
        actor: { teamId: "T1", userId: "U0ASK" },
        facts: {
          channel: "C0INC",
          tenant: "t",
          answer: "shown",
          scope: "all",
          servers: 2,
          images: 2,
          named: 1,
          unlisted: 1,
        },
      },
    ]);
  });

  it("a second answer keeps the first sightings and writes nothing when nothing changed", async () => {
    const f = fakes([fleet]);
    await answerMedia(f.deps, ask(), 1);
    f.clock.now += 3 * 3_600_000;
    await answerMedia(f.deps, ask(), 1);
    expect(f.sightings.items.get("t")?.revision).toBe(1);
  });

  it("a lost race: the answer is given, the write skipped and logged", async () => {
    const f = fakes([fleet]);
    const store = f.sightings;
    f.deps.sightings = {
      read: store.read,
      write: async (tenant, read, seen) => {
        store.items.set(tenant, { seen: {}, revision: 7 });
        return store.write(tenant, read, seen);
      },
    };
    await answerMedia(f.deps, ask(), 1);
    expect(f.slack).toHaveLength(1);
    expect(store.items.get("t")).toEqual({ seen: {}, revision: 7 });
    expect(f.logs).toEqual([
      {
        level: "info",
        message: "another answer wrote the sightings first; this one's are not written",
        extra: { tenant: "t" },
      },
    ]);
  });

  it("sightings that cannot be read: the answer without durations, nothing written", async () => {
    const f = fakes([fleet]);
    f.deps.sightings = {
      read: async () => Promise.reject(new Error("throttled")),
      write: async () => {
        throw new Error("never");
      },
    };
    await answerMedia(f.deps, ask(), 1);
    expect(f.slack).toHaveLength(1);
    expect(f.logs).toEqual([
      {
        level: "warn",
        message: "could not read the sightings; the answer shows no durations",
        extra: {
          tenant: "t",
          error: "internal error (Error); nothing more is shown, to keep secrets out of messages",
        },
      },
    ]);
    expect(texts(f.answers[0])[1]).toBe(
      "How long each has been mounted is unknown: bm could not read its sightings just now.",
    );
  });

  it("by image: that image's servers only; by a server's id: that server", async () => {
    const f = fakes([fleet]);
    await answerMedia(f.deps, ask({ target: OTHER.toUpperCase() }), 1);
    await answerMedia(f.deps, ask({ target: uuid(1) }), 1);
    expect(f.slack.map((s) => s.text)).toEqual([
      `1 server of this tenant has image \`${OTHER}\` attached. ECL did not list the media of 1 server: left out.`,
      `*b* \`${uuid(1)}\` has 1 image attached.`,
    ]);
    expect(f.events.map((e) => [e.facts.asked, e.facts.scope])).toEqual([
      [OTHER.toUpperCase(), "image"],
      [uuid(1), "server"],
    ]);
  });

  it("by name: resolved as everywhere (resolveServer), not listed", async () => {
    const f = fakes([new Error("not listed")]);
    await answerMedia(f.deps, ask({ target: "a" }), 1);
    expect(f.calls).toEqual(["resolve a", `name ${IMAGE}`, `name ${OTHER}`]);
    expect(f.slack[0]?.text).toBe(`*a* \`${uuid(2)}\` has 2 images attached.`);
  });

  it("a list that fails for now is retried; on its last receive, said", async () => {
    const f = fakes([
      [fleet[0] as Server],
      new EclNetworkError("timeout", "GET", "https://ecl.test"),
    ]);
    await expect(answerMedia(f.deps, ask(), 1)).rejects.toBeInstanceOf(RetryLater);
    expect(f.slack).toEqual([]);
    await answerMedia(f.deps, ask(), 5);
    expect(f.slack[0]?.text).toMatch(/^bm could not list the media of this tenant: /);
    expect(f.events[0]?.facts).toEqual({
      channel: "C0INC",
      tenant: "t",
      answer: "failed",
      error: "EclNetworkError",
    });
  });

  it("a list past its deadline: said, not retried; at the deadline itself, shown", async () => {
    const at = fakes([[fleet[0] as Server], MEDIA_READS.listMs, [fleet[1] as Server]]);
    await answerMedia(at.deps, ask(), 1);
    expect(at.slack[0]?.text).toBe(
      "2 servers of this tenant have virtual media attached: 2 images.",
    );
    const past = fakes([[fleet[0] as Server], MEDIA_READS.listMs + 1, [fleet[1] as Server]]);
    await answerMedia(past.deps, ask(), 1);
    expect(past.slack[0]?.text).toBe(
      "bm could not list the media of this tenant: ECL took more than 25 s to list this tenant's servers (2 listed by then)",
    );
    expect(past.events[0]?.facts).toStrictEqual({
      channel: "C0INC",
      tenant: "t",
      answer: "failed",
      error: "ListTooSlowError",
    });
  });

  it("a retry carries its cause", async () => {
    const down = new EclNetworkError("timeout", "GET", "https://ecl.test");
    const f = fakes([down]);
    const thrown = await answerMedia(f.deps, ask(), 1).catch((e: unknown) => e);
    expect([thrown instanceof RetryLater, (thrown as Error).cause]).toEqual([true, down]);
  });

  it.each([
    [undefined, "all"],
    ["web01", "web01"],
  ])(
    "Slack refusing for good (asked %s): logged, audited as not delivered",
    async (target, about) => {
      const f = fakes([fleet]);
      f.deps.chat = {
        ...f.deps.chat,
        respond: async () => {
          throw new SlackApiError("chat.postMessage", "expired_url", "permanent");
        },
      };
      await answerMedia(f.deps, ask(target === undefined ? {} : { target }), 1);
      expect(f.logs.filter((l) => l.level === "warn")).toEqual([
        {
          level: "warn",
          message: "Slack refused the answer; not retried",
          extra: { media: about, slackError: "expired_url", method: "chat.postMessage" },
        },
      ]);
      expect(f.events[0]?.facts.delivered).toBe(false);
    },
  );

  it("without a read id: audited under the channel", async () => {
    const f = fakes([fleet]);
    const { readId: _, ...noRead } = ask();
    await answerMedia(f.deps, noRead, 1);
    expect(f.events[0]?.operationId).toBe("channel-C0INC");
  });

  it("a name no server has: said, with the name", async () => {
    const f = fakes([fleet]);
    f.deps.openTenant = async () =>
      ({
        ecl: {
          resolveServer: async (ref: string) => {
            throw new ServerLookupError("not_found", ref);
          },
        },
      }) as unknown as Tenant;
    await answerMedia(f.deps, ask({ target: "nope" }), 1);
    expect(f.slack[0]?.text).toBe(
      'bm could not list the media of `nope`: no server named "nope" in this tenant',
    );
  });

  it("a refusal says what was asked", async () => {
    const f = fakes([fleet]);
    await answerMedia(f.deps, ask({ tenant: "other", target: "web01" }), 1);
    expect(f.slack[0]?.text).toBe(
      "bm did not list the media of `web01`: it names a tenant or a secret that is not its channel's in the policy.",
    );
  });

  it("by name, the other servers' sightings are kept; by the whole list, a server gone loses them", async () => {
    const gone = sightingKey(uuid(9), IMAGE);
    const other = sightingKey(uuid(1), IMAGE);
    const byName = fakes([fleet]);
    byName.sightings.items.set("t", { seen: { [gone]: "2026-11-01T00:00:00.000Z" }, revision: 3 });
    await answerMedia(byName.deps, ask({ target: "a" }), 1);
    expect(Object.keys(byName.sightings.items.get("t")?.seen ?? {}).sort()).toEqual(
      [gone, sightingKey(uuid(2), IMAGE), sightingKey(uuid(2), OTHER)].sort(),
    );
    const all = fakes([fleet]);
    all.sightings.items.set("t", { seen: { [gone]: "2026-11-01T00:00:00.000Z" }, revision: 3 });
    await answerMedia(all.deps, ask(), 1);
    expect(Object.keys(all.sightings.items.get("t")?.seen ?? {})).not.toContain(gone);
    expect(Object.keys(all.sightings.items.get("t")?.seen ?? {})).toContain(other);
  });

  it("a server's id in capitals: that server", async () => {
    const f = fakes([fleet]);
    await answerMedia(f.deps, ask({ target: uuid(1).toUpperCase() }), 1);
    expect(f.slack[0]?.text).toBe(`*b* \`${uuid(1)}\` has 1 image attached.`);
  });

  it("a write that fails: logged, the answer given", async () => {
    const f = fakes([fleet]);
    f.deps.sightings = {
      read: async () => ({ seen: {}, revision: 0 }),
      write: async () => Promise.reject(new EclNetworkError("timeout", "PUT", "https://ddb.test")),
    };
    await answerMedia(f.deps, ask(), 1);
    expect(f.slack).toHaveLength(1);
    expect(f.logs).toEqual([
      {
        level: "warn",
        message: "could not write the sightings",
        extra: { tenant: "t", error: expect.any(String) },
      },
    ]);
  });

  it("at most 24 images named", async () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      eclServer({ id: uuid(i + 1), name: `s${i}`, mediaIds: [uuid(100 + i)] }),
    );
    const f = fakes([many]);
    await answerMedia(f.deps, ask(), 1);
    expect(f.calls.filter((c) => c.startsWith("name "))).toHaveLength(24);
  });

  it("a channel not bound to the tenant: refused, ECL not read", async () => {
    const f = fakes([fleet]);
    await answerMedia(f.deps, ask({ tenant: "other" }), 1);
    expect(f.calls).toEqual([]);
    expect(f.events[0]?.facts).toEqual({
      channel: "C0INC",
      tenant: "other",
      answer: "refused",
      reason: "tenant_not_the_channels",
    });
  });
});

describe("groupByImage", () => {
  it("most servers first, then by id; servers by name then id; first sightings carried", () => {
    const seen = { [sightingKey(uuid(1), IMAGE)]: "2026-11-27T08:00:00.000Z" };
    const twin = eclServer({ id: uuid(0), name: "b", mediaIds: [OTHER.toUpperCase()] });
    const last = eclServer({ id: uuid(5), name: "b", mediaIds: [OTHER] });
    const { groups, unlisted } = groupByImage([...fleet, last, twin], { kind: "all" }, seen);
    const swapped = groupByImage([...fleet, twin, last], { kind: "all" }, seen);
    expect(swapped.groups.map((g) => g.servers.map((m) => m.server.id))).toEqual(
      groups.map((g) => g.servers.map((m) => m.server.id)),
    );
    expect(groups[0]?.servers[0]).toStrictEqual({ server: fleet[1] });
    expect(unlisted).toBe(1);
    expect(
      groups.map((g) => [g.imageId, g.servers.map((m) => [m.server.id, m.firstSeen])]),
    ).toEqual([
      [
        OTHER,
        [
          [uuid(2), undefined],
          [uuid(0), undefined],
          [uuid(5), undefined],
        ],
      ],
      [
        IMAGE,
        [
          [uuid(2), undefined],
          [uuid(1), "2026-11-27T08:00:00.000Z"],
        ],
      ],
    ]);
  });
});

describe("namedGroups", () => {
  it("names the images the service names, and no others", async () => {
    const named = await namedGroups(
      { imageName: async (id) => (id === IMAGE ? "rescue.iso" : undefined) },
      [fleet[1] as Server],
      { kind: "all" },
    );
    expect(named).toStrictEqual({
      groups: [
        { imageId: IMAGE, name: "rescue.iso", servers: [{ server: fleet[1] }] },
        { imageId: OTHER, servers: [{ server: fleet[1] }] },
      ],
      unlisted: 0,
      named: 1,
    });
  });
});

describe("groupByImage of one server", () => {
  it("matches its id whatever the case", () => {
    const scope = { kind: "server", server: eclServer({ id: uuid(1).toUpperCase() }) } as const;
    const { groups } = groupByImage(fleet, scope);
    expect(groups.map((g) => g.servers.map((m) => m.server.id))).toEqual([[uuid(1)]]);
    const lower = groupByImage([eclServer({ id: uuid(1).toUpperCase(), mediaIds: [IMAGE] })], {
      kind: "server",
      server: eclServer({ id: uuid(1) }),
    });
    expect(lower.groups).toHaveLength(1);
  });
});

describe("imageNames", () => {
  it("none asked at the deadline; a name that comes at it kept, one after it not", async () => {
    const asked: string[] = [];
    const at = await imageNames(
      {
        imageName: async (id) => {
          asked.push(id);
          return "x";
        },
      },
      [uuid(1)],
      Date.now(),
    );
    expect([asked, at.size]).toEqual([[], 0]);
    const deadline = Date.now() + 10;
    const slow = (late: number) => async (id: string) => {
      clock.offset += late;
      return `n-${id}`;
    };
    expect((await imageNames({ imageName: slow(10) }, [uuid(1)], deadline)).size).toBe(1);
    clock.offset = 0;
    expect((await imageNames({ imageName: slow(11) }, [uuid(1)], deadline)).size).toBe(0);
  });

  it("4 at a time, a name that never comes left out by the deadline", async () => {
    let inFlight = 0;
    let most = 0;
    const ids = Array.from({ length: 9 }, (_, i) => uuid(i));
    const ecl = {
      imageName: async (id: string) => {
        inFlight++;
        most = Math.max(most, inFlight);
        if (id === uuid(8)) return new Promise<never>(() => {});
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return id === uuid(3) ? undefined : `n${id.slice(-1)}`;
      },
    };
    const started = Date.now();
    const names = await imageNames(ecl, ids, Date.now() + 200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(most).toBe(4);
    expect([...names]).toEqual([0, 1, 2, 4, 5, 6, 7].map((n) => [uuid(n), `n${n}`]));
  });

  it("none asked past the deadline", async () => {
    const asked: string[] = [];
    const names = await imageNames(
      {
        imageName: async (id) => {
          asked.push(id);
          return "x";
        },
      },
      [uuid(1)],
      Date.now() - 1,
    );
    expect([asked, names.size]).toEqual([[], 0]);
  });
});
