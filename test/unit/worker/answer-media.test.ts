import { afterEach, describe, expect, it } from "vitest";
import type { EclApi, FleetReads } from "../../../lib/ecl/client";
import { EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import type { Tenant } from "../../../lib/ecl/tenants";
import { sightingKey } from "../../../lib/operations/sightings";
import type { MediaRequest } from "../../../lib/operations/work-message";
import {
  answerMedia,
  groupByImage,
  imageNames,
  MEDIA_READS,
} from "../../../lib/worker/answer-media";
import { RetryLater } from "../../../lib/worker/retry-later";
import { eclServer, IMAGE, memorySightings, NOW, workerFakes } from "../fakes";

const OTHER = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
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
  pages: Array<Server[] | Error>,
  names: Record<string, string | Promise<never>> = {},
) {
  const f = workerFakes();
  const calls: string[] = [];
  const ecl: Partial<EclApi & FleetReads> = {
    listServerPages: (options) => ({
      async *[Symbol.asyncIterator]() {
        calls.push(`list ${options.limit} ${options.maxPages} ${options.timeoutMs}`);
        for (const page of pages) {
          if (page instanceof Error) throw page;
          yield page;
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
  return { ...f, calls, sightings };
}

afterEach(() => {
  MEDIA_READS.namesMs = 5000;
});

describe("answerMedia", () => {
  it("lists every page, groups by image, names them, keeps the sightings, audits the read", async () => {
    const f = fakes([fleet.slice(0, 2), fleet.slice(2)], { [IMAGE]: "rescue.iso" });
    await answerMedia(f.deps, ask(), 1);
    expect(f.calls).toEqual(["list 100 100 5000", `name ${IMAGE}`, `name ${OTHER}`]);
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
    expect(f.events).toEqual([
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
    expect(f.logs.map((l) => l.message)).toContain(
      "another answer wrote the sightings first; this one's are not written",
    );
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
    expect(f.logs.map((l) => l.message)).toEqual([
      "could not read the sightings; the answer shows no durations",
    ]);
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

describe("imageNames", () => {
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
