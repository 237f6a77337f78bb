import { describe, expect, it } from "vitest";
import { runCli } from "../../../lib/cli/main";
import type { ActionResult, EclApi, FleetReads } from "../../../lib/ecl/client";
import { EclApiError, EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";
import { FLEET_IN_FLIGHT } from "../../../lib/operations/fleet";
import { eclServer, IMAGE } from "../fakes";

const OTHER = "9b3e2c1d-6f4a-4b5c-8d7e-0a1b2c3d4e5f";
const TENANT = "the tenant of secret bm/tenant/t";

/** `n` servers named `<prefix>NN` (from 01), with `media`. */
function named(prefix: string, n: number, media: string[] | "unlisted" = [IMAGE]): Server[] {
  return Array.from({ length: n }, (_, i) => {
    const nn = String(i + 1).padStart(2, "0");
    return eclServer({
      id: `00000000-0000-4000-8000-${prefix.padEnd(8, "0")}00${nn}`,
      name: `${prefix}${nn}`,
      mediaIds: media === "unlisted" ? undefined : media,
    });
  });
}

interface Script {
  /** Each POST to this server (by name) takes the next answer; then ECL accepts. */
  posts?: Record<string, Error[]>;
  /** Each read of this server (by name) takes the next change; then it is as it stands. */
  reads?: Record<string, Array<Partial<Server> | Error>>;
  /** A server (by name) whose accepted detach never finishes. */
  stuck?: string[];
  /** Called on each POST, before it is answered. */
  onPost?: (name: string) => void;
}

/**
 * A fake ECL of these servers, on a clock that moves only when bm sleeps and when ECL answers a
 * POST (a second each). An accepted detach takes the image off at once, unless stuck.
 */
function fleetEcl(servers: Server[], script: Script = {}) {
  const clock = { now: 1_000_000 };
  const state = new Map(servers.map((s) => [s.id, { ...s }]));
  const posts: string[] = [];
  const reads: string[] = [];
  let lists = 0;
  let active = 0;
  let most = 0;
  const byId = (id: string) => state.get(id) as Server;
  const ecl: EclApi & FleetReads = {
    // The list is read whole, as the worker reads it for a fleet.
    listServerPages: () => {
      throw new Error("a fleet lists its servers with listServers");
    },
    listServers: async () => {
      lists++;
      return servers.map((s) => ({ ...byId(s.id) }));
    },
    showServer: async (id) => {
      const server = byId(id);
      reads.push(server.name);
      const next = script.reads?.[server.name]?.shift();
      if (next instanceof Error) throw next;
      if (next) Object.assign(server, next);
      return { ...server };
    },
    resolveServer: async () => {
      throw new Error("a fleet resolves no name");
    },
    detachMedia: async (id, image): Promise<ActionResult> => {
      const server = byId(id);
      posts.push(server.name);
      active++;
      most = Math.max(most, active);
      script.onPost?.(server.name);
      await new Promise((resolve) => setTimeout(resolve, 0));
      clock.now += 1000;
      active--;
      const refusal = script.posts?.[server.name]?.shift();
      if (refusal) throw refusal;
      if (!script.stuck?.includes(server.name))
        server.mediaIds = server.mediaIds?.filter((m) => m !== image);
      return { status: 200, requestId: `req-${server.name}` };
    },
    attachMedia: async () => ({ status: 200, requestId: undefined }),
    imageName: async () => undefined,
  };
  return {
    ecl,
    clock,
    posts,
    reads,
    lists: () => lists,
    most: () => most,
  };
}

async function run(
  argv: string[],
  fake: ReturnType<typeof fleetEcl>,
  interrupt = new AbortController(),
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    openTenant: async () => fake.ecl,
    env: { BM_TENANT_SECRET: "bm/tenant/t" },
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    now: () => fake.clock.now,
    sleep: async (ms) => {
      fake.clock.now += ms;
    },
    interrupts: () => interrupt.signal,
  });
  return { code, out, err };
}

const refused = (status: number, requestId?: string) =>
  new EclApiError({
    service: "baremetal",
    status,
    method: "POST",
    path: "/x",
    ...(requestId ? { requestId } : {}),
  });

describe("bm detach --all: the bound", () => {
  it.each([
    [25, ["--in-flight", "4"], 4],
    [30, [], FLEET_IN_FLIGHT],
    [3, ["--in-flight", "10"], 3],
    [2, ["--in-flight", "1"], 1],
  ])("%i targets, %j: %i at most in flight, and that many", async (n, flags, bound) => {
    const fake = fleetEcl([...named("a", n), ...named("b", 4, [OTHER]), ...named("c", 2, [])]);
    const result = await run(["detach", "--all", IMAGE, ...flags], fake);
    expect(result.code).toBe(0);
    expect(fake.most()).toBe(bound);
    // One POST each, in order, and none to a server without the image.
    expect(fake.posts).toEqual(named("a", n).map((s) => s.name));
    expect(fake.lists()).toBe(1);
  });

  it("with --wait, a target holds its place until its wait has ended", async () => {
    const sentAt: number[] = [];
    const fake = fleetEcl(named("a", 2), {
      stuck: ["a01"],
      onPost: () => sentAt.push(fake.clock.now - 1_000_000),
    });
    const result = await run(
      ["detach", "--all", IMAGE, "--in-flight", "1", "--wait", "--interval", "2", "--timeout", "6"],
      fake,
    );
    // a01's detach never finishes: a02 is sent once a01's wait has given up, not before.
    expect(sentAt).toEqual([0, 7000]);
    expect(result.code).toBe(1);
  });
});

describe("bm detach --all: what it says", () => {
  it("names the targets, one count line per change, the outcome", async () => {
    const fake = fleetEcl([...named("a", 3), ...named("b", 1, [OTHER])]);
    const result = await run(["detach", "--all", IMAGE, "--in-flight", "2"], fake);
    expect(result).toEqual({
      code: 0,
      out: [
        `3 servers in ${TENANT} with image ${IMAGE} attached: a01, a02, a03`,
        "[   0.0s] 0 of 3 done, 2 in flight, 1 queued",
        "[   1.0s] 1 of 3 done, 2 in flight",
        "[   2.0s] 2 of 3 done, 1 in flight",
        "[   3.0s] 3 of 3 done",
        "outcome: 3 done (done: ECL accepted the detach; follow each with bm status <server>, or add --wait)",
      ],
      err: [],
    });
    // Without --wait, each target is read once, before its turn, and not waited for.
    expect(fake.reads).toEqual(["a01", "a02", "a03"]);
  });

  it("names the first five and how many more, and the servers that did not list media", async () => {
    const fake = fleetEcl([...named("a", 7), ...named("u", 2, "unlisted")]);
    const result = await run(["detach", "--all", IMAGE, "--wait"], fake);
    expect(result.out[0]).toBe(
      `7 servers in ${TENANT} with image ${IMAGE} attached: a01, a02, a03, a04, a05 and 2 more`,
    );
    expect(result.out[1]).toBe("2 servers did not say what is attached: not included");
    expect(result.out.at(-1)).toBe("outcome: 7 done");
    expect(fake.posts).toHaveLength(7);
  });

  it("--match: only the servers whose name starts with it", async () => {
    const fake = fleetEcl([...named("a", 2), ...named("ab", 2), ...named("b", 2)]);
    const result = await run(["detach", "--all", IMAGE, "--match", "ab", "--wait"], fake);
    expect(result.out[0]).toBe(
      `2 servers whose name starts with "ab" in ${TENANT} with image ${IMAGE} attached: ab01, ab02`,
    );
    expect(fake.posts).toEqual(["ab01", "ab02"]);
    expect(result.code).toBe(0);
  });

  it.each([
    [[], `no server in ${TENANT} has image ${IMAGE} attached: nothing to detach`],
    [
      ["--match", "z"],
      `no server whose name starts with "z" in ${TENANT} has image ${IMAGE} attached: nothing to detach`,
    ],
  ])("none with the image (%j): says so, sends nothing, exit 0", async (flags, line) => {
    const fake = fleetEcl([...named("b", 2, [OTHER]), ...named("u", 1, "unlisted")]);
    const result = await run(["detach", "--all", IMAGE, ...flags], fake);
    expect(result).toEqual({
      code: 0,
      out: flags.length ? [line] : [line, "1 server did not say what is attached: not included"],
      err: [],
    });
    expect(fake.posts).toEqual([]);
    expect(fake.reads).toEqual([]);
  });

  it("a 404, a 409 once, and one detached meanwhile: each said once, the rest done, exit 1", async () => {
    const fake = fleetEcl(named("a", 4), {
      posts: { a02: [refused(404, "req-404")], a03: [refused(409)] },
      reads: { a04: [{ mediaIds: [] }] },
    });
    const result = await run(["detach", "--all", IMAGE, "--in-flight", "1"], fake);
    expect(result).toEqual({
      code: 1,
      out: [
        `4 servers in ${TENANT} with image ${IMAGE} attached: a01, a02, a03, a04`,
        "[   0.0s] 0 of 4 done, 1 in flight, 3 queued",
        "[   1.0s] 1 of 4 done, 1 in flight, 2 queued",
        "a02 failed: ECL answered 404 (not found) (request id req-404)",
        "[   2.0s] 1 of 4 done, 1 in flight, 1 queued, 1 failed",
        "[   7.0s] 2 of 4 done, 1 in flight, 1 failed",
        "[   7.0s] 2 of 4 done, 1 nothing to do, 1 failed",
      ],
      err: [
        "bm: not every target ended done: 2 done; 1 nothing to do: `a04` (no longer attached); 1 failed: `a02` (ECL answered 404 (not found) (request id req-404))",
      ],
    });
    // The 409 waited out: sent again once idle, and accepted; a04 never sent.
    expect(fake.posts).toEqual(["a01", "a02", "a03", "a03"]);
  });

  it("a busy server whose image goes meanwhile: nothing to do, nothing sent", async () => {
    const fake = fleetEcl(named("a", 1), {
      reads: { a01: [{ taskState: "REBOOTING" }, { taskState: "None", mediaIds: [] }] },
    });
    const result = await run(["detach", "--all", IMAGE, "--wait"], fake);
    expect(result.out.slice(1)).toEqual([
      "[   0.0s] 0 of 1 done, 1 in flight",
      "[   3.0s] 0 of 1 done, 1 nothing to do",
      "outcome: 1 nothing to do: `a01` (no longer attached)",
    ]);
    expect(result.code).toBe(0);
    expect(fake.posts).toEqual([]);
  });

  it("a server that stays busy: failed, in the single server's words", async () => {
    const fake = fleetEcl(named("a", 1), {
      reads: { a01: [{ taskState: "REBOOTING" }] },
    });
    const result = await run(["detach", "--all", IMAGE, "--idle-wait", "6"], fake);
    expect(result.out).toContain(
      "a01 failed: stayed busy (task_state REBOOTING) for 6.0s; nothing was sent to ECL",
    );
    expect(result.err).toEqual([
      "bm: not every target ended done: 1 failed: `a01` (stayed busy (task_state REBOOTING) for 6.0s; nothing was sent to ECL)",
    ]);
    expect(result.code).toBe(1);
    expect(fake.posts).toEqual([]);
  });

  it("a POST without an answer and no sign of it: left unknown, never sent twice, exit 1", async () => {
    const lost = new EclNetworkError("timeout", "POST", "https://ecl.example");
    const fake = fleetEcl(named("a", 1), { posts: { a01: [lost] } });
    const result = await run(["detach", "--all", IMAGE, "--grace", "6"], fake);
    expect(result.out).toContain(
      `a01 timed out: whether ECL accepted the detach is unknown (ECL at https://ecl.example did not answer in time); bm never sends it twice: bm status ${named("a", 1)[0]?.id}`,
    );
    expect(result.code).toBe(1);
    expect(fake.posts).toEqual(["a01"]);
  });

  it("a target that cannot be read: failed, in ECL's words", async () => {
    const fake = fleetEcl(named("a", 2), { reads: { a01: [refused(403)] } });
    const result = await run(["detach", "--all", IMAGE], fake);
    expect(result.out).toContain("a01 failed: ECL answered 403 (tenant not available)");
    expect(result.code).toBe(1);
    expect(fake.posts).toEqual(["a02"]);
  });

  it("--wait: done when finished; a wait that gives up is said, exit 1", async () => {
    const fake = fleetEcl(named("a", 2), { stuck: ["a02"] });
    const result = await run(
      ["detach", "--all", IMAGE, "--wait", "--interval", "2", "--timeout", "6"],
      fake,
    );
    const id = named("a", 2)[1]?.id;
    expect(result.out).toContain(
      `a02 timed out: gave up waiting after 6.0s; the detach may still finish: bm status ${id}`,
    );
    expect(result.err).toEqual([
      `bm: not every target ended done: 1 done; 1 timed out: \`a02\` (gave up waiting after 6.0s; the detach may still finish: bm status ${id})`,
    ]);
    expect(result.code).toBe(1);
  });

  it("listing fails: said, exit 1, nothing sent", async () => {
    const fake = fleetEcl(named("a", 2));
    fake.ecl.listServers = async () => {
      throw refused(503);
    };
    const result = await run(["detach", "--all", IMAGE], fake);
    expect(result.code).toBe(1);
    expect(result.err).toEqual(["bm: listing the servers: ECL answered 503 (service unavailable)"]);
    expect(fake.posts).toEqual([]);
  });
});

describe("bm detach --all: Ctrl-C", () => {
  it("stops sending the rest: those sent are reported, the rest not sent, exit 1", async () => {
    const interrupt = new AbortController();
    const fake = fleetEcl(named("a", 5), {
      onPost: (name) => {
        if (name === "a02") interrupt.abort();
      },
    });
    const result = await run(["detach", "--all", IMAGE, "--in-flight", "2"], fake, interrupt);
    expect(fake.posts).toEqual(["a01", "a02"]);
    expect(result).toEqual({
      code: 1,
      out: [
        `5 servers in ${TENANT} with image ${IMAGE} attached: a01, a02, a03, a04, a05`,
        "[   0.0s] 0 of 5 done, 2 in flight, 3 queued",
        "Ctrl-C: bm sends no more detaches",
        "[   1.0s] 1 of 5 done, 1 in flight, 3 queued",
        "[   2.0s] 2 of 5 done, 3 queued",
        "[   2.0s] 2 of 5 done, 3 cancelled",
      ],
      err: ["bm: not every target ended done: 2 done; 3 cancelled"],
    });
  });

  it("with --wait, says that those sent are waited for; a target waiting for idle is not sent", async () => {
    const interrupt = new AbortController();
    const fake = fleetEcl(named("a", 2), {
      reads: { a02: [{ taskState: "REBOOTING" }] },
      onPost: () => interrupt.abort(),
    });
    const result = await run(["detach", "--all", IMAGE, "--wait"], fake, interrupt);
    // Once a02's turn ended, nothing was left queued: the count line is not said again.
    expect(result.out).toEqual([
      `2 servers in ${TENANT} with image ${IMAGE} attached: a01, a02`,
      "[   0.0s] 0 of 2 done, 2 in flight",
      "Ctrl-C: bm sends no more detaches; those sent are waited for (Ctrl-C again stops waiting)",
      "[   0.0s] 0 of 2 done, 1 in flight, 1 cancelled",
      "[   1.0s] 1 of 2 done, 1 cancelled",
    ]);
    expect(fake.posts).toEqual(["a01"]);
    expect(result.err).toEqual(["bm: not every target ended done: 1 done; 1 cancelled"]);
    expect(result.code).toBe(1);
  });

  it("after the end, heard no more", async () => {
    const interrupt = new AbortController();
    const fake = fleetEcl(named("a", 1));
    const result = await run(["detach", "--all", IMAGE], fake, interrupt);
    interrupt.abort();
    expect(result.out.filter((l) => l.startsWith("Ctrl-C"))).toEqual([]);
    expect(result.code).toBe(0);
  });

  it("before the first is sent: nothing sent, exit 1", async () => {
    const interrupt = new AbortController();
    interrupt.abort();
    const fake = fleetEcl(named("a", 2));
    const result = await run(["detach", "--all", IMAGE], fake, interrupt);
    expect(fake.posts).toEqual([]);
    expect(result.err).toEqual(["bm: not every target ended done: 2 cancelled"]);
    expect(result.code).toBe(1);
  });
});

describe("bm detach --all: mistakes in the command (exit 2, nothing read)", () => {
  it.each([
    [["detach", "web01", IMAGE, "--match", "web"], "bm: --match is for bm detach --all <image>"],
    [
      ["detach", "web01", IMAGE, "--in-flight", "3"],
      "bm: --in-flight is for bm detach --all <image>",
    ],
    [["status", "--all", IMAGE], "bm: --all is for bm detach --all <image>"],
    [
      ["detach", "--all", "web01", IMAGE],
      "bm: give a server or --all, not both: bm detach --all <image>",
    ],
    [["detach", "--all", "x.iso"], 'bm: the image must be an image id (a UUID), not "x.iso"'],
    [
      ["detach", "--all", IMAGE, "--in-flight", "0"],
      "bm: --in-flight must be a positive whole number",
    ],
    [
      ["detach", "--all", IMAGE, "--in-flight", "1.5"],
      "bm: --in-flight must be a positive whole number",
    ],
    [
      ["detach", "--all", IMAGE, "--in-flight", "x"],
      "bm: --in-flight must be a positive whole number",
    ],
  ])("%j", async (argv, said) => {
    const fake = fleetEcl(named("a", 2));
    const result = await run(argv, fake);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(said);
    expect(result.out).toEqual([]);
    expect(fake.lists()).toBe(0);
  });

  it("--all without the image: the wrong number of arguments", async () => {
    const fake = fleetEcl(named("a", 2));
    const result = await run(["detach", "--all"], fake);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe("bm: wrong number of arguments");
  });
});
