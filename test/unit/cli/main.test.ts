import { describe, expect, it } from "vitest";
import { runCli } from "../../../lib/cli/main";
import type { EclApi } from "../../../lib/ecl/client";
import { EclApiError, EclNetworkError } from "../../../lib/ecl/errors";
import type { Server } from "../../../lib/ecl/server";

import { eclServer, IMAGE } from "../fakes";

const web01 = eclServer();

/** A fake ECL whose server goes through the given states, one per showServer call. */
function fakeEcl(
  states: Array<Partial<Server> | Error>,
  detach: () => Promise<unknown> = async () => ({ status: 200, requestId: "req-1" }),
) {
  const calls: string[] = [];
  const ecl: EclApi = {
    resolveServer: async (ref) => {
      calls.push(`resolve ${ref}`);
      return web01;
    },
    showServer: async () => {
      calls.push("show");
      const next = states.shift() ?? {};
      if (next instanceof Error) throw next;
      return { ...web01, ...next };
    },
    listServers: async () => [],
    detachMedia: async (id, image) => {
      calls.push(`detach ${id} ${image}`);
      return (await detach()) as never;
    },
    attachMedia: async () => ({ status: 200, requestId: undefined }),
    imageName: async (id) => (id === IMAGE ? "rescue.iso" : undefined),
  };
  return { ecl, calls };
}

async function run(
  argv: string[],
  ecl: EclApi,
  env: NodeJS.ProcessEnv = { BM_TENANT_SECRET: "bm/tenant/t" },
) {
  const out: string[] = [];
  const err: string[] = [];
  const clock = { now: 0 };
  const opened: string[] = [];
  const code = await runCli(argv, {
    openTenant: async (id) => {
      opened.push(id);
      return ecl;
    },
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
    [["status", "web01", "--bogus"], /Unknown option '--bogus'/],
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
    const two: EclApi = {
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
    expect(result.err).toEqual(["bm: add the image id: bm detach web01 <image>"]);
    expect(calls.filter((c) => c.startsWith("detach"))).toEqual([]);
  });

  it("without the image, on a server with none attached or whose media ECL does not list", async () => {
    const { ecl } = fakeEcl([]);
    const none: EclApi = { ...ecl, resolveServer: async () => ({ ...web01, mediaIds: [] }) };
    const empty = await run(["detach", "web01"], none);
    expect([empty.code, empty.out.at(-1)]).toEqual([
      0,
      "no image is attached to web01: nothing to detach",
    ]);
    const unlisted: EclApi = {
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

  it("does nothing when the image is not attached", async () => {
    const { ecl, calls } = fakeEcl([]);
    const other = "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93";
    const result = await run(["detach", "web01", other], ecl);
    expect(result.code).toBe(0);
    expect(result.out.at(-1)).toBe(`image ${other} is not attached to web01: nothing to detach`);
    expect(calls).toEqual(["resolve web01"]);
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

  const busy409 = () =>
    new EclApiError({ service: "baremetal", status: 409, method: "POST", path: "/x" });

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
      "bm: web01 stayed busy (task_state REBOOTING) for 5.0s; ECL refused the detach 1 time(s) with 409 (task_state not None) and accepted nothing. Try again later.",
    ]);
  });

  it("sends to a server whose media ECL does not list, saying bm cannot tell, and judges by task_state", async () => {
    const unlisted = { mediaIds: undefined };
    const { ecl, calls } = fakeEcl([
      { ...unlisted, taskState: "None" },
      { ...unlisted, taskState: "MEDIA_DETACHING" },
      { ...unlisted, taskState: "None" },
    ]);
    const resolveUnlisted: EclApi = {
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
