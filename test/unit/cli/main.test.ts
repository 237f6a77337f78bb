import { afterEach, describe, expect, it, vi } from "vitest";
import { runCli } from "../../../lib/cli/main";
import { type EclApi, type FleetReads, ServerLookupError } from "../../../lib/ecl/client";
import { EclApiError, EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";

import { eclServer, IMAGE, SERVER } from "../fakes";

const SAMPLE_OTHER = "9b3e2c1d-6f4a-4b5c-8d7e-0a1b2c3d4e5f";

const web01 = eclServer();
type CliEcl = EclApi & FleetReads;
const OTHER_SERVER = "0b9e3f4a-7c21-4d5e-8f60-a1b2c3d4e5f6";

/** What `bm help` prints, word for word. */
const USAGE_TEXT = `usage:
  bm detach <server> [<image>] [--secret <secret-id>] [--wait] [--interval <s>] [--timeout <s>]
            [--idle-wait <s>] [--grace <s>]
  bm detach --all <image> [--match <prefix>] [--in-flight <n>] [--secret <secret-id>] [--wait]
            [--interval <s>] [--timeout <s>] [--idle-wait <s>] [--grace <s>]
  bm status <server> [--secret <secret-id>]
  bm media [<image>|<server>] [--secret <secret-id>]

  <server>    a server name (exact) or id
  <image>     the id (UUID) of the attached image; without it, bm lists the images attached
  media       the servers with virtual media attached, grouped by image (of one image, or one
              server); how long each has been mounted is in Slack's /bm media
  --all       detach <image> from every server of the tenant that has it attached (those
              /bm detach --all names) and from no other, a line each time a count changes;
              Ctrl-C sends no more
  --match     with --all: only servers whose name starts with <prefix>
  --in-flight with --all: at most <n> detaches in flight at once, 10 by default
  --secret    the tenant secret's id; BM_TENANT_SECRET by default
  --wait      poll until the detach has finished (every --interval s, 3 by default,
              up to --timeout s, 900 by default)
  --idle-wait how long to wait for a busy server to be idle before sending (or sending
              again after ECL's 409), 600 s by default
  --grace     how long ECL gets to show a detach whose answer was lost (or, when ECL does
              not list the server's media, a detach it accepted), 30 s by default

Secrets come from the JSON file named by BM_SECRETS_FILE, or else from AWS Secrets Manager.

Exit codes:
  0  done, or nothing to do (no image is attached, or it was detached meanwhile); with
     --all: every target done or with nothing to do, or no server has the image
  1  bm could not do it: no such server, ECL or the secret failed, or the wait gave up;
     with --all: a target failed, was left unknown or timed out, or Ctrl-C stopped it
  2  bm needs more from you: a mistake in the command, the image to detach (none given,
     or one not attached: bm lists those attached), or which of the servers that share
     a name you mean`;

/** A clock that does not start at zero, so that a time is never mistaken for a duration. */
const LATER = 1_000_000;

/** ECL's 409: a task started on the server first, and ECL took nothing. */
const busy409 = () =>
  new EclApiError({ service: "baremetal", status: 409, method: "POST", path: "/x" });

/**
 * A fake ECL whose server is `first` when resolved, then goes through the given states, one per
 * showServer call.
 */
function fakeEcl(
  states: Array<Partial<Server> | Error>,
  detach: () => Promise<unknown> = async () => ({ status: 200, requestId: "req-1" }),
  first: Partial<Server> = {},
) {
  const calls: string[] = [];
  const ecl: CliEcl = {
    resolveServer: async (ref) => {
      calls.push(`resolve ${ref}`);
      return { ...web01, ...first };
    },
    showServer: async () => {
      calls.push("show");
      const next = states.shift() ?? {};
      if (next instanceof Error) throw next;
      return { ...web01, ...next };
    },
    listServers: async () => [],
    // The tenant's servers, one page: web01, and one without media.
    listServerPages: () => ({
      async *[Symbol.asyncIterator]() {
        calls.push("list");
        yield [
          { ...web01, ...first },
          { ...web01, id: OTHER_SERVER, name: "web02", mediaIds: [] },
        ];
      },
    }),
    detachMedia: async (id, image) => {
      calls.push(`detach ${id} ${image}`);
      return (await detach()) as never;
    },
    attachMedia: async () => ({ status: 200, requestId: undefined }),
    imageName: async (id) => (id === IMAGE ? "rescue.iso" : undefined),
  };
  return { ecl, calls };
}

/** One server's detach never listens for Ctrl-C: the process's own ends it. */
const noCtrlC = (): AbortSignal => {
  throw new Error("only a fleet listens for Ctrl-C");
};

/** Runs `bm` with a clock that starts at `start` (ms) and moves only when bm sleeps. */
async function run(
  argv: string[],
  ecl: CliEcl,
  env: NodeJS.ProcessEnv = { BM_TENANT_SECRET: "bm/tenant/t" },
  start = 0,
) {
  const out: string[] = [];
  const err: string[] = [];
  const clock = { now: start };
  const opened: string[] = [];
  const code = await runCli(argv, {
    openTenant: async (id) => {
      opened.push(id);
      return ecl;
    },
    interrupts: noCtrlC,
    env,
    out: (l) => out.push(l),
    err: (l) => err.push(l),
    now: () => clock.now,
    sleep: async (ms) => {
      clock.now += ms;
    },
  });
  return { code, out, err, opened };
}

describe("bm command line", () => {
  it.each([
    [[], /wrong number of arguments/],
    [["detach", "web01", IMAGE, "reason"], /wrong number of arguments/],
    [["detatch", "web01", IMAGE], /unknown command "detatch"/],
    [["detach", "web01", "x.iso"], /image id \(a UUID\)/],
    [["status", "web 01"], /use the server's id/],
    [["detach", "web01", IMAGE, "--interval", "0"], /--interval must be a positive number/],
    [["status", "web01", "--bogus"], /^bm: Unknown option '--bogus'$/],
    [
      ["status", "web01", "--secrt", "x"],
      /^bm: Unknown option '--secrt' \(did you mean --secret\?\)$/,
    ],
  ])("%j is a usage error", async (argv, message) => {
    const { ecl, calls } = fakeEcl([]);
    const result = await run(argv, ecl);
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(message);
    expect(calls).toEqual([]);
  });

  it("needs a secret id from --secret or BM_TENANT_SECRET", async () => {
    const { ecl } = fakeEcl([]);
    expect((await run(["status", "web01"], ecl, {})).err).toEqual([
      "bm: no tenant secret: give --secret <secret-id> or set BM_TENANT_SECRET",
    ]);
    expect((await run(["status", "web01", "--secret", "bm/tenant/x"], ecl)).opened).toEqual([
      "bm/tenant/x",
    ]);
  });

  it("without the image: lists those attached, with the image service's names, and exits 2", async () => {
    const other = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
    const { ecl, calls } = fakeEcl([]);
    const two: CliEcl = {
      ...ecl,
      resolveServer: async () => ({ ...web01, mediaIds: [IMAGE, other] }),
    };
    const result = await run(["detach", "web01"], two);
    expect(result.code).toBe(2);
    expect(result.out).toEqual([
      "web01 (c880a4b5-0230-4925-a8f5-16fb48249275): task_state None (idle)",
      "images attached to web01:",
      `  ${IMAGE}  rescue.iso`,
      `  ${other}`,
    ]);
    expect(result.err).toEqual(["bm: give the id of the image to detach: bm detach web01 <image>"]);
    expect(calls.filter((c) => c.startsWith("detach"))).toEqual([]);
  });

  it("without the image, on a server with none attached or whose media ECL does not list", async () => {
    const { ecl } = fakeEcl([]);
    const none: CliEcl = { ...ecl, resolveServer: async () => ({ ...web01, mediaIds: [] }) };
    const empty = await run(["detach", "web01"], none);
    expect([empty.code, empty.out.at(-1)]).toEqual([
      0,
      "no image is attached to web01: nothing to detach",
    ]);
    const unlisted: CliEcl = {
      ...ecl,
      resolveServer: async () => ({ ...web01, mediaIds: undefined }),
    };
    const unknown = await run(["detach", "web01"], unlisted);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toEqual([
      "bm: ECL did not list media for this server; bm cannot tell whether the image is attached; add the image id: bm detach c880a4b5-0230-4925-a8f5-16fb48249275 <image>",
    ]);
  });

  it("prints a server's state", async () => {
    const { ecl } = fakeEcl([]);
    const result = await run(["status", "web01"], ecl);
    expect(result.code).toBe(0);
    expect(result.out).toEqual([
      "web01  c880a4b5-0230-4925-a8f5-16fb48249275",
      "  status      ACTIVE",
      "  power       RUNNING",
      "  task_state  None (idle)",
      "  vm_state    ACTIVE",
      `  media       ${IMAGE}`,
    ]);
  });

  it("detaches and waits, printing progress with the elapsed time", async () => {
    const { ecl, calls } = fakeEcl([
      { taskState: "MEDIA_DETACHING" },
      { taskState: "MEDIA_DETACHING" },
      { taskState: "None", mediaIds: [] },
    ]);
    const result = await run(["detach", "web01", IMAGE, "--wait", "--interval", "2"], ecl);
    expect(result.code).toBe(0);
    expect(calls).toEqual(["resolve web01", `detach ${web01.id} ${IMAGE}`, "show", "show", "show"]);
    expect(result.out).toEqual([
      `web01 (${web01.id}): task_state None (idle)`,
      `ECL accepted the detach of ${IMAGE} (200, request id req-1)`,
      "[   0.0s] task_state MEDIA_DETACHING (busy), image still attached",
      "[   2.0s] task_state MEDIA_DETACHING (busy), image still attached",
      "[   4.0s] task_state None (idle), image gone",
      `done in 4.0s: ${IMAGE} is detached from web01`,
    ]);
  });

  it("keeps waiting through a passing failure to read the server", async () => {
    const blip = new EclNetworkError("timeout", "GET", "https://ecl.test");
    const { ecl } = fakeEcl([blip, { taskState: "None", mediaIds: [] }]);
    const result = await run(["detach", "web01", IMAGE, "--wait"], ecl);
    expect(result.code).toBe(0);
    expect(result.out[2]).toBe(
      "[   0.0s] could not read the server (ECL at https://ecl.test did not answer in time); trying again",
    );
  });

  it("gives up at --timeout", async () => {
    const { ecl } = fakeEcl(Array.from({ length: 10 }, () => ({ taskState: "MEDIA_DETACHING" })));
    const result = await run(
      ["detach", "web01", IMAGE, "--wait", "--interval", "5", "--timeout", "12"],
      ecl,
    );
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      `bm: gave up waiting after 10.0s; the detach may still finish: bm status ${web01.id}`,
    ]);
  });

  it("an image not attached: lists those attached, sends nothing, exit 2 (as Slack offers them)", async () => {
    const { ecl, calls } = fakeEcl([]);
    const other = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
    const result = await run(["detach", "web01", other], ecl);
    expect(result.code).toBe(2);
    expect(result.out.slice(1)).toEqual([
      `image ${other} is not attached to web01`,
      "images attached to web01:",
      `  ${IMAGE}  rescue.iso`,
    ]);
    expect(result.err).toEqual(["bm: give the id of the image to detach: bm detach web01 <image>"]);
    expect(calls).toEqual(["resolve web01"]);
    const two = fakeEcl([], undefined, { mediaIds: [IMAGE, SAMPLE_OTHER] });
    const both = await run(["detach", "web01", other], two.ecl);
    expect([both.code, ...both.out.slice(2)]).toEqual([
      2,
      "images attached to web01:",
      `  ${IMAGE}  rescue.iso`,
      `  ${SAMPLE_OTHER}`,
    ]);
    const none = fakeEcl([], undefined, { mediaIds: [] });
    const empty = await run(["detach", "web01", other], none.ecl);
    expect([empty.code, ...empty.out]).toEqual([
      0,
      "web01 (c880a4b5-0230-4925-a8f5-16fb48249275): task_state None (idle)",
      `image ${other} is not attached to web01`,
      "no image is attached to web01: nothing to detach",
    ]);
    expect(empty.err).toEqual([]);
  });

  describe("a server that is not there, or not one", () => {
    const ID = "00000000-0000-4000-8000-000000000000";
    /** An ECL where `ref` resolves as `lookup` says, listing `all`. */
    const lookingUp = (lookup: ServerLookupError, all: Array<Partial<Server>>) => {
      const { ecl, calls } = fakeEcl([]);
      const listed: string[] = [];
      const api: CliEcl = {
        ...ecl,
        resolveServer: async () => {
          throw lookup;
        },
        listServers: async (filter) => {
          listed.push(JSON.stringify(filter ?? {}));
          return all.map((s) => eclServer(s));
        },
      };
      return { api, calls, listed };
    };

    it("an unknown id: said as on Slack, no names listed, exit 1", async () => {
      const { api, listed } = lookingUp(new ServerLookupError("not_found", ID), [{}]);
      const result = await run(["status", ID], api);
      expect(result).toMatchObject({
        code: 1,
        out: [],
        err: [`bm: no server in the tenant of secret bm/tenant/t has the id ${ID}`],
      });
      expect(listed).toEqual([]);
    });

    it("a mistyped name: the close names, closest first, with their images; exit 1", async () => {
      const { api, listed } = lookingUp(new ServerLookupError("not_found", "web1"), [
        // None has the image given: the order is the names' alone.
        { name: "web010", id: "11111111-1111-4111-8111-111111111111", mediaIds: [SAMPLE_OTHER] },
        { name: "web01", mediaIds: [] },
        { name: "db01", id: "22222222-2222-4222-8222-222222222222" },
        { name: "web02", id: "33333333-3333-4333-8333-333333333333", mediaIds: undefined },
        { name: "web03", id: "44444444-4444-4444-8444-444444444444", mediaIds: [] },
        { name: "web03", id: "55555555-5555-4555-8555-555555555555", mediaIds: [] },
      ]);
      const result = await run(["detach", "web1", IMAGE], api);
      expect(result.code).toBe(1);
      expect(result.err).toEqual([
        'bm: no server in the tenant of secret bm/tenant/t is named "web1". Did you mean one of these?',
      ]);
      expect(result.out).toEqual([
        `  web01  ${SERVER}  no image attached`,
        `  web010  11111111-1111-4111-8111-111111111111  1 image attached: ${SAMPLE_OTHER}`,
        "  web02  33333333-3333-4333-8333-333333333333  media not listed",
        "  web03  (2 servers have this name)",
      ]);
      expect(listed).toEqual(["{}"]);
    });

    it("a name with nothing close: said as on Slack, exit 1", async () => {
      const { api } = lookingUp(new ServerLookupError("not_found", "zzzqqq"), [{}]);
      const result = await run(["status", "zzzqqq"], api);
      expect(result).toMatchObject({
        code: 1,
        out: [],
        err: [
          'bm: no server in the tenant of secret bm/tenant/t is named "zzzqqq", and no name is close to it; bm status <name or id> shows a server, the ECL console lists them all',
        ],
      });
    });

    it("a name several servers share: their ids, and exit 2, for the person must say which", async () => {
      const candidates = [
        { id: "11111111-2222-4333-8444-555555555555", name: "app" },
        { id: "66666666-7777-4888-9999-aaaaaaaaaaaa", name: "app" },
      ];
      const { api, listed } = lookingUp(new ServerLookupError("ambiguous", "app", candidates), []);
      const result = await run(["detach", "app", IMAGE], api);
      expect(result).toMatchObject({
        code: 2,
        err: [
          'bm: 2 servers in the tenant of secret bm/tenant/t are named "app": give the id of the one you mean (bm status <id> shows each)',
        ],
        out: ["  11111111-2222-4333-8444-555555555555", "  66666666-7777-4888-9999-aaaaaaaaaaaa"],
      });
      expect(listed).toEqual([]);
    });

    it("other failures of the lookup are ECL's, said with the stage", async () => {
      const { ecl } = fakeEcl([]);
      const down: CliEcl = {
        ...ecl,
        resolveServer: async () => {
          throw new EclNetworkError("timeout", "GET", "http://ecl.test");
        },
      };
      const result = await run(["status", "web01"], down);
      expect(result.code).toBe(1);
      expect(result.err[0]).toMatch(/^bm: reading the server: /);
    });
  });

  it("fails with one line naming the status, its meaning and the request id", async () => {
    const refused = new EclApiError({
      service: "baremetal",
      status: 400,
      method: "POST",
      path: "/x",
      apiMessage: "Invalid imageRef provided.",
      requestId: "req-7",
    });
    const { ecl } = fakeEcl([], async () => {
      throw refused;
    });
    const result = await run(["detach", "web01", IMAGE], ecl);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      "bm: sending the detach: ECL answered 400 (invalid parameter): Invalid imageRef provided. (request id req-7)",
    ]);
  });

  it("after a 409 (a task started first; ECL took nothing), waits for idle and sends again", async () => {
    let posts = 0;
    const { ecl, calls } = fakeEcl(
      [{ taskState: "REBOOTING" }, { taskState: "None" }, { taskState: "None", mediaIds: [] }],
      async () => {
        if (++posts === 1) throw busy409();
        return { status: 200, requestId: "req-2" };
      },
    );
    const result = await run(["detach", "web01", IMAGE, "--wait", "--interval", "1"], ecl);
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(calls.filter((c) => c.startsWith("detach"))).toHaveLength(2);
    expect(result.out).toEqual([
      `web01 (${web01.id}): task_state None (idle)`,
      "ECL answered 409 (task_state not None): a task started on web01 just before the detach reached it, and ECL took nothing; waiting for idle to send it again",
      "web01 is busy (task_state REBOOTING); ECL accepts a detach only when task_state is None: waiting for idle (up to 10m 00s)",
      `ECL accepted the detach of ${IMAGE} (200, request id req-2)`,
      "[   0.0s] task_state None (idle), image gone",
      `done in 0.0s: ${IMAGE} is detached from web01`,
    ]);
  });

  it("gives up on a server that stays busy after --idle-wait, saying ECL took nothing", async () => {
    const { ecl } = fakeEcl(
      Array.from({ length: 20 }, () => ({ taskState: "REBOOTING" })),
      async () => {
        throw busy409();
      },
    );
    const result = await run(
      ["detach", "web01", IMAGE, "--interval", "2", "--idle-wait", "5"],
      ecl,
    );
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      "bm: web01 stayed busy (task_state REBOOTING) for 5.0s; ECL refused the detach 1 time with 409 (task_state not None) and accepted nothing. Try again later.",
    ]);
  });

  it("sends to a server whose media ECL does not list, saying bm cannot tell, and judges by task_state", async () => {
    const unlisted = { mediaIds: undefined };
    const { ecl, calls } = fakeEcl([
      { ...unlisted, taskState: "None" },
      { ...unlisted, taskState: "MEDIA_DETACHING" },
      { ...unlisted, taskState: "None" },
    ]);
    const resolveUnlisted: CliEcl = {
      ...ecl,
      resolveServer: async (ref) => ({ ...(await ecl.resolveServer(ref)), mediaIds: undefined }),
    };
    const result = await run(
      ["detach", "web01", IMAGE, "--wait", "--interval", "1"],
      resolveUnlisted,
    );
    expect(result.code).toBe(0);
    expect(calls).toContain(`detach ${web01.id} ${IMAGE}`);
    expect(result.out).toEqual([
      `web01 (${web01.id}): task_state None (idle)`,
      "ECL did not list media for this server; bm cannot tell whether the image is attached; bm sends the detach and lets ECL answer",
      `ECL accepted the detach of ${IMAGE} (200, request id req-1)`,
      "[   0.0s] task_state None (idle), image not listed",
      "[   1.0s] task_state MEDIA_DETACHING (busy), image not listed",
      "[   2.0s] task_state None (idle), image not listed",
      "done in 2.0s: web01 is idle again. ECL did not list media for this server, so bm judged completion by task_state alone and cannot confirm that 3339fd5f-ec06-4ef8-9337-c1c70218a748 is gone.",
    ]);
  });

  it("when the POST got no answer, reads the server for a sign and goes on when it shows one", async () => {
    const { ecl, calls } = fakeEcl(
      [
        { taskState: "None" },
        { taskState: "MEDIA_DETACHING" },
        { taskState: "None", mediaIds: [] },
      ],
      async () => {
        throw new EclNetworkError("timeout", "POST", "https://ecl.test");
      },
    );
    const result = await run(["detach", "web01", IMAGE, "--wait", "--interval", "1"], ecl);
    expect(result.code).toBe(0);
    expect(calls.filter((c) => c.startsWith("detach"))).toHaveLength(1);
    expect(result.out).toContain(
      "the server shows the detach under way (task_state MEDIA_DETACHING (busy), image still attached): ECL took it",
    );
    expect(result.out.at(-1)).toBe(`done in 0.0s: ${IMAGE} is detached from web01`);
  });

  it("says the outcome is unknown when the POST got no answer and the server shows no sign within --grace", async () => {
    const { ecl, calls } = fakeEcl(
      Array.from({ length: 20 }, () => ({ taskState: "None" })),
      async () => {
        throw new EclNetworkError("connection", "POST", "https://ecl.test");
      },
    );
    const result = await run(["detach", "web01", IMAGE, "--interval", "2", "--grace", "6"], ecl);
    expect(result.code).toBe(1);
    expect(calls.filter((c) => c.startsWith("detach"))).toHaveLength(1);
    expect(result.err).toEqual([
      "bm: sending the detach: ECL at https://ecl.test could not be reached",
      `bm: whether ECL accepted the detach is unknown: after 6.0s the server shows no sign of it. bm never sends a detach twice; check with: bm status ${web01.id}`,
    ]);
  });
});

describe("bm command line, branch by branch", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const timeout = () => new EclNetworkError("timeout", "POST", "https://ecl.test");
  const unreachable = () => new EclNetworkError("connection", "POST", "https://ecl.test");
  const header = `web01 (${web01.id}): task_state None (idle)`;
  const follow = `follow it with: bm status ${web01.id}`;

  it.each([[["help"]], [["--help"]], [["status", "web01", "-h"]]])(
    "%j prints the usage and exits 0",
    async (argv) => {
      // Prepare
      const { ecl, calls } = fakeEcl([]);
      // Act
      const result = await run(argv, ecl);
      // Assess
      expect(result).toEqual({ code: 0, out: [USAGE_TEXT], err: [], opened: [] });
      expect(calls).toEqual([]);
    },
  );

  it.each([
    [[], "bm: wrong number of arguments"],
    [["status"], "bm: wrong number of arguments"],
    [["detach"], "bm: wrong number of arguments"],
    [["status", "web01", IMAGE], "bm: wrong number of arguments"],
    [["detatch", "web01"], 'bm: unknown command "detatch"'],
  ])("%j: says what is wrong, then the usage, and exits 2", async (argv, said) => {
    const { ecl, calls } = fakeEcl([]);
    const result = await run(argv, ecl);
    expect(result).toEqual({ code: 2, out: [], err: [said, USAGE_TEXT], opened: [] });
    expect(calls).toEqual([]);
  });

  it.each([
    ["--interval", "0"],
    ["--timeout", "0"],
    ["--timeout", "soon"],
    ["--idle-wait", "0"],
    ["--grace", "x"],
  ])("%s %s: names the flag and exits 2", async (flag, value) => {
    const { ecl, calls } = fakeEcl([]);
    const result = await run(["detach", "web01", IMAGE, flag, value], ecl);
    expect(result).toEqual({
      code: 2,
      out: [],
      err: [`bm: ${flag} must be a positive number of seconds`],
      opened: [],
    });
    expect(calls).toEqual([]);
  });

  it("says which stage failed: reading the server", async () => {
    const { ecl } = fakeEcl([]);
    const missing: CliEcl = {
      ...ecl,
      resolveServer: async () => {
        throw new EclApiError({ service: "baremetal", status: 404, method: "GET", path: "/x" });
      },
    };
    const result = await run(["status", "web01"], missing);
    expect(result).toEqual({
      code: 1,
      out: [],
      err: ["bm: reading the server: ECL answered 404 (not found)"],
      opened: ["bm/tenant/t"],
    });
  });

  it("says which stage failed: waiting for the detach", async () => {
    const refused = new EclApiError({
      service: "baremetal",
      status: 403,
      method: "GET",
      path: "/x",
    });
    const { ecl } = fakeEcl([refused]);
    const result = await run(["detach", "web01", IMAGE, "--wait"], ecl);
    expect(result.code).toBe(1);
    expect(result.out).toEqual([
      header,
      `ECL accepted the detach of ${IMAGE} (200, request id req-1)`,
    ]);
    expect(result.err).toEqual([
      "bm: waiting for the detach: ECL answered 403 (tenant not available)",
    ]);
  });

  it("without --wait, tells how to follow the detach ECL accepted, and exits 0", async () => {
    const { ecl, calls } = fakeEcl([], async () => ({ status: 202, requestId: undefined }));
    const result = await run(["detach", "web01", IMAGE], ecl);
    expect(result).toEqual({
      code: 0,
      out: [header, `ECL accepted the detach of ${IMAGE} (202, request id none)`, follow],
      err: [],
      opened: ["bm/tenant/t"],
    });
    expect(calls).toEqual(["resolve web01", `detach ${web01.id} ${IMAGE}`]);
  });

  it("on a server busy all along: says each task_state once, gives up at --idle-wait, sent nothing", async () => {
    // Prepare: busy when resolved, at the first read, and still at the second.
    const { ecl, calls } = fakeEcl(
      [{ taskState: "REBOOTING" }, { taskState: "BUILDING" }, { taskState: "BUILDING" }],
      undefined,
      { taskState: "REBOOTING" },
    );
    // Act: a read every 2 s, for up to 4 s.
    const result = await run(
      ["detach", "web01", IMAGE, "--interval", "2", "--idle-wait", "4"],
      ecl,
      undefined,
      LATER,
    );
    // Assess: read at 2 s and 4 s; a third read would come after the 4 s.
    expect(result.code).toBe(1);
    expect(calls).toEqual(["resolve web01", "show", "show"]);
    expect(result.out).toEqual([
      `web01 (${web01.id}): task_state REBOOTING (busy)`,
      "web01 is busy (task_state REBOOTING); ECL accepts a detach only when task_state is None: waiting for idle (up to 4.0s)",
      "web01 is busy (task_state BUILDING); ECL accepts a detach only when task_state is None: waiting for idle (up to 4.0s)",
    ]);
    expect(result.err).toEqual([
      "bm: web01 stayed busy (task_state BUILDING) for 4.0s; nothing was sent to ECL. Try again later.",
    ]);
  });

  it("on a server ECL refuses with 409 while it shows no task_state, gives up saying None", async () => {
    const { ecl, calls } = fakeEcl(
      [{ taskState: undefined }],
      async () => {
        throw busy409();
      },
      { taskState: undefined },
    );
    const result = await run(
      ["detach", "web01", IMAGE, "--interval", "2", "--idle-wait", "3"],
      ecl,
      undefined,
      LATER,
    );
    expect(result.code).toBe(1);
    expect(calls).toEqual([
      "resolve web01",
      `detach ${web01.id} ${IMAGE}`,
      "show",
      `detach ${web01.id} ${IMAGE}`,
    ]);
    expect(result.err).toEqual([
      "bm: web01 stayed busy (task_state None) for 3.0s; ECL refused the detach 2 times with 409 (task_state not None) and accepted nothing. Try again later.",
    ]);
  });

  it("stops, with nothing to do, when the image goes while it waits for idle", async () => {
    const { ecl, calls } = fakeEcl([{ taskState: "None", mediaIds: [] }], undefined, {
      taskState: "REBOOTING",
    });
    const result = await run(["detach", "web01", IMAGE, "--interval", "1"], ecl);
    expect(result).toEqual({
      code: 0,
      out: [
        `web01 (${web01.id}): task_state REBOOTING (busy)`,
        "web01 is busy (task_state REBOOTING); ECL accepts a detach only when task_state is None: waiting for idle (up to 10m 00s)",
        `image ${IMAGE} is no longer attached to web01 (detached by someone else?): nothing to detach`,
      ],
      err: [],
      opened: ["bm/tenant/t"],
    });
    expect(calls).toEqual(["resolve web01", "show"]);
  });

  it("when the POST got no answer, reads on through a failed read and takes the image gone as the sign", async () => {
    const blip = new EclNetworkError("timeout", "GET", "https://ecl.test");
    const { ecl, calls } = fakeEcl([blip, { taskState: "None", mediaIds: [] }], async () => {
      throw timeout();
    });
    const result = await run(["detach", "web01", IMAGE, "--interval", "1"], ecl);
    expect(result).toEqual({
      code: 0,
      out: [
        header,
        "ECL did not answer the detach (ECL at https://ecl.test did not answer in time); reading web01 for a sign that ECL took it",
        "could not read the server (ECL at https://ecl.test did not answer in time); trying again",
        "the server shows the detach under way (task_state None (idle), image gone): ECL took it",
        follow,
      ],
      err: [],
      opened: ["bm/tenant/t"],
    });
    expect(calls).toEqual(["resolve web01", `detach ${web01.id} ${IMAGE}`, "show", "show"]);
  });

  it("when the POST got no answer on a server whose media ECL does not list, reads until --grace and says so", async () => {
    // Prepare: idle, media not listed, at every read.
    const unlisted = { taskState: "None", mediaIds: undefined };
    const { ecl, calls } = fakeEcl(
      Array.from({ length: 5 }, () => unlisted),
      async () => {
        throw unreachable();
      },
      unlisted,
    );
    // Act: a read every 2 s, for up to 4 s.
    const result = await run(
      ["detach", "web01", IMAGE, "--interval", "2", "--grace", "4"],
      ecl,
      undefined,
      LATER,
    );
    // Assess: read at 2 s and 4 s; a third read would come after the 4 s.
    expect(result.code).toBe(1);
    expect(calls).toEqual(["resolve web01", `detach ${web01.id} ${IMAGE}`, "show", "show"]);
    expect(result.out).toEqual([
      header,
      "ECL did not list media for this server; bm cannot tell whether the image is attached; bm sends the detach and lets ECL answer",
      "ECL did not answer the detach (ECL at https://ecl.test could not be reached); reading web01 for a sign that ECL took it",
    ]);
    expect(result.err).toEqual([
      "bm: sending the detach: ECL at https://ecl.test could not be reached",
      `bm: whether ECL accepted the detach is unknown: after 4.0s the server shows no sign of it (and ECL did not list media for this server; bm cannot tell whether the image is attached). bm never sends a detach twice; check with: bm status ${web01.id}`,
    ]);
  });

  it("without a clock given, waits --interval in real time between reads", async () => {
    // Prepare
    vi.useFakeTimers();
    const { ecl, calls } = fakeEcl([{ taskState: "None", mediaIds: [] }], undefined, {
      taskState: "REBOOTING",
    });
    const out: string[] = [];
    const err: string[] = [];
    // Act
    const running = runCli(["detach", "web01", IMAGE, "--interval", "2"], {
      openTenant: async () => ecl,
      interrupts: noCtrlC,
      env: { BM_TENANT_SECRET: "bm/tenant/t" },
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    await vi.advanceTimersByTimeAsync(1999);
    const before = [...calls];
    await vi.advanceTimersByTimeAsync(1);
    // Assess
    expect(before).toEqual(["resolve web01"]);
    expect(await running).toBe(0);
    expect(calls).toEqual(["resolve web01", "show"]);
    expect(out.at(-1)).toBe(
      `image ${IMAGE} is no longer attached to web01 (detached by someone else?): nothing to detach`,
    );
    expect(err).toEqual([]);
  });
});

describe("bm media", () => {
  it("every server with media, grouped by image, named", async () => {
    const { ecl, calls } = fakeEcl([]);
    const { code, out, err } = await run(["media"], ecl);
    expect([code, err]).toEqual([0, []]);
    expect(calls).toEqual(["list"]);
    expect(out).toEqual([
      "1 server with virtual media attached, 1 image",
      `${IMAGE}  rescue.iso: 1 server`,
      `  web01  ${SERVER}  ACTIVE, power RUNNING, task_state None (idle)`,
      "How long each has been mounted: /bm media in Slack shows bm's first sightings.",
    ]);
  });

  it("two servers, one of them in two groups, counted once; an image unnamed; fields ECL left out", async () => {
    const { ecl } = fakeEcl([], undefined, {
      mediaIds: [IMAGE, SAMPLE_OTHER],
      status: undefined,
      powerState: undefined,
    });
    const two: CliEcl = {
      ...ecl,
      listServerPages: () => ({
        async *[Symbol.asyncIterator]() {
          yield [
            { ...web01, mediaIds: [IMAGE, SAMPLE_OTHER], status: undefined, powerState: undefined },
            { ...web01, id: OTHER_SERVER, name: "web02", mediaIds: [SAMPLE_OTHER] },
          ];
        },
      }),
    };
    expect((await run(["media"], two)).out).toEqual([
      "2 servers with virtual media attached, 2 images",
      `${SAMPLE_OTHER}: 2 servers`,
      `  web01  ${SERVER}  ?, power ?, task_state None (idle)`,
      `  web02  ${OTHER_SERVER}  ACTIVE, power RUNNING, task_state None (idle)`,
      `${IMAGE}  rescue.iso: 1 server`,
      `  web01  ${SERVER}  ?, power ?, task_state None (idle)`,
      "How long each has been mounted: /bm media in Slack shows bm's first sightings.",
    ]);
  });

  it("of a server by name with its media listed", async () => {
    const { ecl, calls } = fakeEcl([]);
    expect((await run(["media", "web01"], ecl)).out[0]).toBe(
      "1 server with virtual media attached, 1 image",
    );
    expect(calls).toEqual(["resolve web01"]);
  });

  it("of an image no server has, and of a server by name whose media ECL did not list", async () => {
    const { ecl } = fakeEcl([], undefined, { mediaIds: undefined });
    expect((await run(["media", SAMPLE_OTHER], ecl)).out).toEqual([
      `0 servers with virtual media attached, 0 images (image ${SAMPLE_OTHER})`,
      "(ECL did not list the media of 1 server: left out)",
    ]);
    const byName = await run(["media", "web01"], ecl);
    expect(byName.out).toEqual([
      `web01 (${SERVER}): media not listed by ECL; bm cannot tell what is attached`,
      "(ECL did not list the media of 1 server: left out)",
    ]);
  });

  it.each([
    [["media", "web<01>"], 2],
    [["media", "a", "b"], 2],
  ])("%j: a mistake, exit %d, nothing read", async (argv, exit) => {
    const { ecl, calls } = fakeEcl([]);
    const { code, err } = await run(argv, ecl);
    expect([code, calls]).toEqual([exit, []]);
    expect(err[0]).toMatch(/^bm: /);
  });

  it("ECL failing: said, exit 1", async () => {
    const { ecl } = fakeEcl([]);
    const down: CliEcl = {
      ...ecl,
      listServerPages: () => ({
        // biome-ignore lint/correctness/useYield: a list that fails before its first page
        async *[Symbol.asyncIterator]() {
          throw new EclNetworkError("timeout", "GET", "http://ecl.test");
        },
      }),
    };
    const { code, err } = await run(["media"], down);
    expect(code).toBe(1);
    expect(err[0]).toMatch(/^bm: listing the media: /);
  });
});
