import v8 from "node:v8";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import type { FleetReads, PageOptions, ReadOptions } from "../../../lib/ecl/client";
import { EclApiError, EclNetworkError, EclProtocolError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import {
  type Look,
  OBSERVE_DEFAULTS,
  type ObserveOptions,
  observe,
  strategy,
} from "../../../lib/followup/observe";
import { eclServer } from "../fakes";

/** The nth server id of a fake fleet: a UUID, lower case. */
const idOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const status = (code: number) =>
  new EclApiError({ service: "baremetal", status: code, method: "GET", path: "/x" });
const silent = () => new EclNetworkError("timeout", "GET", "https://ecl.test");

interface FleetScript {
  /** Servers in the fleet, in list order: ids 1..size unless `servers` is given. */
  size?: number;
  servers?: Server[];
  /** The list fails with this error when asked for this page (1-based). */
  listFails?: { page: number; error: Error };
  /** A direct read's answer, by id: a server (the fleet's, unless told), or an error. */
  read?: (id: string) => Server | Error | Promise<Server>;
}

/** A fake ECL over a fleet, recording every call and the options each was made with. */
function fakeFleet(script: FleetScript = {}) {
  const servers =
    script.servers ??
    Array.from({ length: script.size ?? 0 }, (_, i) => eclServer({ id: idOf(i + 1) }));
  const reads: Array<{ id: string; options: ReadOptions | undefined }> = [];
  const pages: Array<{ options: PageOptions; page: number }> = [];
  const ecl: FleetReads = {
    showServer: async (id, options) => {
      reads.push({ id, options });
      const answer = script.read?.(id) ?? servers.find((s) => s.id === id) ?? status(404);
      if (answer instanceof Error) throw answer;
      return answer;
    },
    listServerPages: (options) => ({
      async *[Symbol.asyncIterator]() {
        for (let page = 1; ; page++) {
          if (page > options.maxPages)
            throw new EclProtocolError(`ECL listed more than ${options.maxPages} pages`);
          pages.push({ options, page });
          if (script.listFails?.page === page) throw script.listFails.error;
          const batch = servers.slice((page - 1) * options.limit, page * options.limit);
          yield batch;
          // As Nova: a page short of its limit is the last.
          if (batch.length < options.limit) return;
        }
      },
    }),
  };
  const warnings: Array<{ message: string; extra: object | undefined }> = [];
  const deps = {
    log: { warn: (message: string, extra?: object) => void warnings.push({ message, extra }) },
  };
  return { ecl, tenant: { ecl }, deps, reads, pages, warnings, servers };
}

const kinds = (looks: Map<string, Look>) =>
  [...looks].map(([id, look]) => [id, look.kind, "via" in look ? look.via : undefined]);
const small: Partial<ObserveOptions> = { crossover: 2, pageSize: 3, maxPages: 10 };

describe("observe: which way a tenant is read", () => {
  it("the defaults: 200 read directly, 4 at a time, else pages of 100, at most 100 of them", () => {
    expect(OBSERVE_DEFAULTS).toEqual({
      crossover: 200,
      concurrency: 4,
      pageSize: 100,
      maxPages: 100,
      readTimeoutMs: 3000,
      pageTimeoutMs: 5000,
    });
  });

  it.each([
    [0, 2, "reads"],
    [2, 2, "reads"],
    [3, 2, "list"],
    [200, 200, "reads"],
    [201, 200, "list"],
  ] as const)("%i wanted with a crossover of %i: %s", (wanted, crossover, way) => {
    expect(strategy(wanted, crossover)).toBe(way);
  });

  it("nothing wanted: nothing asked", async () => {
    const f = fakeFleet({ size: 5 });
    expect(await observe(f.deps, f.tenant, [])).toEqual(new Map());
    expect([f.reads, f.pages]).toEqual([[], []]);
  });

  it("up to the crossover: each read directly, with its own timeout and no retry; no list", async () => {
    const f = fakeFleet({ size: 500 });
    const wanted = Array.from({ length: 200 }, (_, i) => idOf(2 * i + 1));
    const looks = await observe(f.deps, f.tenant, wanted);
    expect(f.pages).toEqual([]);
    expect(f.reads.map((r) => r.id)).toEqual(wanted);
    expect(f.reads[0]?.options).toEqual({ timeoutMs: 3000, retry: { retries: 0, baseDelayMs: 0 } });
    expect([...looks.keys()]).toEqual(wanted);
    expect(looks.get(idOf(1))).toEqual({ kind: "seen", server: f.servers[0], via: "read" });
  });

  it("past the crossover: the list in pages, only the wanted kept, no direct read", async () => {
    const f = fakeFleet({ size: 500 });
    const wanted = Array.from({ length: 201 }, (_, i) => idOf(2 * i + 1));
    const looks = await observe(f.deps, f.tenant, wanted);
    expect(f.reads).toEqual([]);
    expect(f.pages.map((p) => p.page)).toEqual([1, 2, 3, 4, 5]);
    expect(f.pages[0]?.options).toEqual({
      limit: 100,
      maxPages: 100,
      timeoutMs: 5000,
      retry: { retries: 1, baseDelayMs: 200 },
    });
    expect(looks.size).toBe(201);
    expect(looks.get(idOf(401))).toEqual({ kind: "seen", server: f.servers[400], via: "list" });
    expect([...looks.values()].every((l) => l.kind === "seen" && l.via === "list")).toBe(true);
  });

  it("options given replace the defaults one by one", async () => {
    const f = fakeFleet({ size: 10 });
    await observe(f.deps, f.tenant, [idOf(1), idOf(2)], { crossover: 1, pageTimeoutMs: 9 });
    expect(f.pages[0]?.options).toMatchObject({ limit: 100, maxPages: 100, timeoutMs: 9 });
    await observe(f.deps, f.tenant, [idOf(1)], { readTimeoutMs: 7 });
    expect(f.reads[0]?.options?.timeoutMs).toBe(7);
  });

  it("stops paging once every wanted server is seen; the looks keep the order asked", async () => {
    const f = fakeFleet({ size: 30 });
    const looks = await observe(f.deps, f.tenant, [idOf(5), idOf(2), idOf(4)], small);
    expect(f.pages.map((p) => p.page)).toEqual([1, 2]);
    expect(kinds(looks)).toEqual([
      [idOf(5), "seen", "list"],
      [idOf(2), "seen", "list"],
      [idOf(4), "seen", "list"],
    ]);
  });

  it("an id asked twice is one server, read once", async () => {
    const f = fakeFleet({ size: 3 });
    const looks = await observe(f.deps, f.tenant, [idOf(1), idOf(1), idOf(2)], small);
    expect(f.reads.map((r) => r.id)).toEqual([idOf(1), idOf(2)]);
    expect([...looks.keys()]).toEqual([idOf(1), idOf(2)]);
  });

  it("ids are matched in the list without regard to case, and keyed as asked", async () => {
    const upper = eclServer({ id: idOf(10).toUpperCase() });
    const f = fakeFleet({
      servers: [eclServer({ id: idOf(1) }), upper, eclServer({ id: idOf(3) })],
    });
    const asked = [idOf(1).toUpperCase(), idOf(10), idOf(3)];
    const looks = await observe(f.deps, f.tenant, asked, small);
    expect(f.reads).toEqual([]);
    expect(kinds(looks)).toEqual(asked.map((id) => [id, "seen", "list"]));
    expect(looks.get(idOf(10))).toMatchObject({ server: upper });
  });
});

describe("observe: what is known when something fails", () => {
  it("the list fails: what it had shown is kept, the rest read directly; said once", async () => {
    const f = fakeFleet({ size: 12, listFails: { page: 2, error: status(500) } });
    const looks = await observe(f.deps, f.tenant, [idOf(1), idOf(5), idOf(9)], small);
    expect(f.reads.map((r) => r.id)).toEqual([idOf(5), idOf(9)]);
    expect(kinds(looks)).toEqual([
      [idOf(1), "seen", "list"],
      [idOf(5), "seen", "read"],
      [idOf(9), "seen", "read"],
    ]);
    expect(f.warnings).toEqual([
      {
        message: "could not list servers; reading those in flight directly",
        extra: { wanted: 3, listed: 1, error: status(500).message },
      },
    ]);
  });

  it("past its page cap: the list is given up, and the wanted servers read directly", async () => {
    const f = fakeFleet({ size: 40 });
    const looks = await observe(f.deps, f.tenant, [idOf(2), idOf(33), idOf(40)], {
      ...small,
      maxPages: 4,
    });
    expect(f.pages.map((p) => p.page)).toEqual([1, 2, 3, 4]);
    expect(f.reads.map((r) => r.id)).toEqual([idOf(33), idOf(40)]);
    expect(kinds(looks)).toEqual([
      [idOf(2), "seen", "list"],
      [idOf(33), "seen", "read"],
      [idOf(40), "seen", "read"],
    ]);
    expect(f.warnings[0]?.extra).toMatchObject({ error: "ECL listed more than 4 pages" });
  });

  it("the list fails and a direct read then fails: unknown, with ECL's words", async () => {
    const f = fakeFleet({
      size: 9,
      listFails: { page: 1, error: silent() },
      read: (id) => (id === idOf(2) ? status(503) : (undefined as never)),
    });
    const looks = await observe(f.deps, f.tenant, [idOf(1), idOf(2), idOf(3)], small);
    expect(looks.get(idOf(2))).toEqual({
      kind: "unknown",
      reason: "ECL answered 503 (service unavailable)",
      error: status(503),
    });
    expect(looks.get(idOf(1))?.kind).toBe("seen");
  });

  it("a wanted server a complete list leaves out is read directly: seen, gone, or absent", async () => {
    const lagging = eclServer({ id: idOf(50) });
    const f = fakeFleet({
      size: 7,
      read: (id) => (id === idOf(50) ? lagging : id === idOf(60) ? silent() : (undefined as never)),
    });
    const looks = await observe(f.deps, f.tenant, [idOf(1), idOf(50), idOf(60), idOf(70)], small);
    expect(f.pages.map((p) => p.page)).toEqual([1, 2, 3]);
    expect(f.reads.map((r) => r.id)).toEqual([idOf(50), idOf(60), idOf(70)]);
    expect(looks.get(idOf(50))).toEqual({ kind: "seen", server: lagging, via: "read" });
    expect(looks.get(idOf(60))).toEqual({
      kind: "absent",
      reason: "ECL at https://ecl.test did not answer in time",
      error: silent(),
    });
    expect(looks.get(idOf(70))).toEqual({ kind: "gone", error: status(404) });
    expect(f.warnings).toEqual([]);
  });

  it("a direct read failing: unknown with the reason; a 404 is gone; the others seen", async () => {
    const f = fakeFleet({
      size: 3,
      read: (id) =>
        id === idOf(1)
          ? new Error("boom")
          : id === idOf(2)
            ? status(403)
            : id === idOf(3)
              ? status(404)
              : (undefined as never),
    });
    const looks = await observe(f.deps, f.tenant, [idOf(1), idOf(2), idOf(3), idOf(4)]);
    expect(looks.get(idOf(1))).toEqual({
      kind: "unknown",
      reason: "internal error (Error); nothing more is shown, to keep secrets out of messages",
      error: new Error("boom"),
    });
    expect(looks.get(idOf(2))).toMatchObject({
      kind: "unknown",
      reason: "ECL answered 403 (tenant not available)",
    });
    expect(looks.get(idOf(3))).toEqual({ kind: "gone", error: status(404) });
    expect(looks.get(idOf(4))).toEqual({ kind: "gone", error: status(404) });
  });
});

describe("observe: bounded", () => {
  it("never more than `concurrency` direct reads at once, and that many when there is work", async () => {
    for (const [concurrency, wanted, expected] of [
      [undefined, 10, 4],
      [3, 10, 3],
      [4, 2, 2],
    ] as const) {
      let inFlight = 0;
      let most = 0;
      const f = fakeFleet({
        size: 10,
        read: async (id) => {
          inFlight++;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 1));
          inFlight--;
          return eclServer({ id });
        },
      });
      const ids = Array.from({ length: wanted }, (_, i) => idOf(i + 1));
      const looks = await observe(f.deps, f.tenant, ids, concurrency ? { concurrency } : {});
      expect([most, looks.size, f.reads.length]).toEqual([expected, wanted, wanted]);
    }
  });

  it("ECL silent for `concurrency` reads in a row: the rest are not sent this round, said once", async () => {
    const f = fakeFleet({ size: 12, read: () => silent() });
    const ids = Array.from({ length: 12 }, (_, i) => idOf(i + 1));
    const looks = await observe(f.deps, f.tenant, ids);
    // The first four were sent together; three more left before the fourth failed.
    expect(f.reads.map((r) => r.id)).toEqual(ids.slice(0, 7));
    expect(looks.get(idOf(7))).toEqual({
      kind: "unknown",
      reason: "ECL at https://ecl.test did not answer in time",
      error: silent(),
    });
    expect(looks.get(idOf(8))).toEqual({
      kind: "unknown",
      reason:
        "not read: ECL did not answer 4 reads in a row (ECL at https://ecl.test did not answer in time)",
      error: silent(),
    });
    expect([...looks.values()].filter((l) => l.kind === "unknown")).toHaveLength(12);
    expect(f.warnings).toEqual([
      {
        message: "ECL cannot be read; the other servers are not read this round",
        extra: { notRead: 5, error: "ECL at https://ecl.test did not answer in time" },
      },
    ]);
  });

  it("an answer between silences starts the count again; an error answer is an answer", async () => {
    // Three at a time, answered in turn: silent, silent, 500, silent, silent, found, silent, silent.
    const answers = new Map<string, () => Server | Error>([
      [idOf(3), () => status(500)],
      [idOf(6), () => eclServer({ id: idOf(6) })],
    ]);
    const f = fakeFleet({ read: (id) => (answers.get(id) ?? silent)() });
    const ids = Array.from({ length: 8 }, (_, i) => idOf(i + 1));
    const looks = await observe(f.deps, f.tenant, ids, { concurrency: 3 });
    expect(f.reads.map((r) => r.id)).toEqual(ids);
    expect([...looks.values()].map((l) => l.kind)).toEqual([
      "unknown",
      "unknown",
      "unknown",
      "unknown",
      "unknown",
      "seen",
      "unknown",
      "unknown",
    ]);
    expect(f.warnings).toEqual([]);
  });

  it("Keystone refusing a token stops the rest at once: no read can succeed without one", async () => {
    const refused = new EclApiError({
      service: "keystone",
      status: 401,
      method: "POST",
      path: "/v3/auth/tokens",
    });
    const f = fakeFleet({ read: (id) => (id === idOf(1) ? refused : silent()) });
    const ids = Array.from({ length: 9 }, (_, i) => idOf(i + 1));
    const looks = await observe(f.deps, f.tenant, ids, { concurrency: 2 });
    // Reads 1 and 2 went together; 1 was refused before 3 was sent, so 3 never was.
    expect(f.reads.map((r) => r.id)).toEqual([idOf(1), idOf(2)]);
    expect(looks.get(idOf(1))).toMatchObject({ kind: "unknown", reason: refused.told() });
    expect(looks.get(idOf(3))).toEqual({
      kind: "unknown",
      reason: `not read: Keystone refused a token (${refused.told()})`,
      error: refused,
    });
    expect(f.warnings.map((w) => w.extra)).toEqual([{ notRead: 7, error: refused.told() }]);
  });

  it("an ECL refusal other than Keystone's does not stop the reads", async () => {
    const f = fakeFleet({ read: () => status(401) });
    const ids = Array.from({ length: 9 }, (_, i) => idOf(i + 1));
    await observe(f.deps, f.tenant, ids, { concurrency: 2 });
    expect([f.reads.length, f.warnings]).toEqual([9, []]);
  });

  it("one read at a time, one silence is enough to stop", async () => {
    const f = fakeFleet({ read: () => silent() });
    const looks = await observe(f.deps, f.tenant, [idOf(1), idOf(2)], { concurrency: 1 });
    expect(f.reads).toHaveLength(1);
    expect(looks.get(idOf(2))).toMatchObject({
      reason: expect.stringMatching(/^not read: ECL did not answer 1 reads in a row/),
    });
  });

  it("a complete list's absentees not read for ECL's silence are absent, not unknown", async () => {
    const f = fakeFleet({ size: 3, read: () => silent() });
    const looks = await observe(f.deps, f.tenant, [idOf(1), idOf(91), idOf(92), idOf(93)], {
      ...small,
      concurrency: 1,
    });
    expect(kinds(looks)).toEqual([
      [idOf(1), "seen", "list"],
      [idOf(91), "absent", undefined],
      [idOf(92), "absent", undefined],
      [idOf(93), "absent", undefined],
    ]);
    expect(f.reads.map((r) => r.id)).toEqual([idOf(91)]);
    expect(looks.get(idOf(92))).toMatchObject({ reason: expect.stringMatching(/^not read: /) });
  });

  it("keeps no page: at most the last while the next is read, none after, only the wanted stay", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = vm.runInNewContext("gc") as () => void;
    const collect = async () => {
      await new Promise((r) => setTimeout(r, 0));
      gc();
    };
    const pageRefs: Array<WeakRef<Server[]>> = [];
    const otherRefs: Array<WeakRef<Server>> = [];
    const stillHeld: number[] = [];
    const wanted = [idOf(2), idOf(450)];
    /** A page of 100 servers, watched: nothing but observe() may hold it once yielded. */
    const watchedPage = (page: number) => {
      const batch = Array.from({ length: 100 }, (_, i) =>
        eclServer({ id: idOf(page * 100 + i + 1) }),
      );
      for (const s of batch) if (!wanted.includes(s.id)) otherRefs.push(new WeakRef(s));
      pageRefs.push(new WeakRef(batch));
      return batch;
    };
    const ecl: FleetReads = {
      showServer: async () => Promise.reject(new Error("not expected")),
      listServerPages: () => ({
        async *[Symbol.asyncIterator]() {
          for (let page = 0; page < 5; page++) {
            await collect();
            stillHeld.push(pageRefs.filter((r) => r.deref() !== undefined).length);
            yield watchedPage(page);
          }
        },
      }),
    };
    const f = fakeFleet();
    const looks = await observe(f.deps, { ecl }, wanted, {
      crossover: 1,
    });
    await collect();
    // While a page is read, the one before it may still be held (a register of the loop's), no more.
    expect(stillHeld).toHaveLength(5);
    expect(Math.max(...stillHeld)).toBeLessThanOrEqual(1);
    expect(pageRefs.map((r) => r.deref())).toEqual(Array(5).fill(undefined));
    expect(otherRefs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(kinds(looks)).toEqual(wanted.map((id) => [id, "seen", "list"]));
  });
});
