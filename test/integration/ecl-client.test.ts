import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ServerLookupError } from "../../lib/ecl/client";
import { EclApiError, EclNetworkError } from "../../lib/ecl/errors";
import { isIdle } from "../../lib/ecl/server";
import { StaticTokens } from "../../lib/ecl/tokens";
import { waitForDetach } from "../../lib/ecl/wait-for-detach";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { type EclFixture, eclFixture } from "../support/ecl-fixture";

let ecl: EclFixture;
beforeEach(async () => {
  ecl = await eclFixture();
});
afterEach(() => ecl.close());

const actions = () => ecl.sim.requests.filter((r) => r.route === "action");

describe("the detach request", () => {
  it("is the seed's sample request, byte for byte where it matters", async () => {
    // Prepare: the seed's tenant b322…, server c880…, image 3339…, token 62d5….
    const client = ecl.client();

    // Act
    const result = await client.detachMedia(SAMPLE.web01, SAMPLE.image);

    // Assess
    expect(result.status).toBe(200);
    expect(result.requestId).toBe(actions()[0]?.requestId);
    const [sent] = actions();
    expect(sent?.method).toBe("POST");
    expect(sent?.path).toBe(
      "/v2/b322a85578de48beba0f92acce57869b/servers/c880a4b5-0230-4925-a8f5-16fb48249275/action",
    );
    expect(sent?.headers.accept).toBe("application/json");
    expect(sent?.headers["content-type"]).toBe("application/json");
    expect(sent?.headers["x-auth-token"]).toBe("62d528dc0cca4827b0ed465efe1c2588");
    expect(JSON.parse(sent?.body ?? "")).toEqual({
      "media-detach": { imageRef: "3339fd5f-ec06-4ef8-9337-c1c70218a748" },
    });
    expect(sent?.body).toBe('{"media-detach":{"imageRef":"3339fd5f-ec06-4ef8-9337-c1c70218a748"}}');
  });

  it("runs to the end: busy, then idle with the image gone", async () => {
    const client = ecl.client();
    await client.detachMedia(SAMPLE.web01, SAMPLE.image);

    const during = await client.showServer(SAMPLE.web01);
    const result = await waitForDetach(client, SAMPLE.web01, SAMPLE.image, {
      intervalMs: 50,
      timeoutMs: 5000,
      graceMs: 1000,
    });

    expect(isIdle(during.taskState)).toBe(false);
    expect(during.mediaIds).toContain(SAMPLE.image);
    expect(result.outcome).toBe("detached");
    expect(result.server?.taskState).toBe("None");
    expect(result.server?.mediaIds).toEqual([]);
  });
});

describe("each status code of the seed", () => {
  const detach = (
    client = ecl.client(),
    server: string = SAMPLE.web01,
    image: string = SAMPLE.image,
  ) =>
    client.detachMedia(server, image).then(
      () => undefined,
      (e: unknown) => e as EclApiError,
    );

  it("401 for a wrong token", async () => {
    const error = await detach(ecl.client({ tokens: new StaticTokens("wrong") }));
    expect(error).toMatchObject({ status: 401, meaning: "unauthorized", code: "error" });
    expect(error?.apiMessage).toBe("The request you have made requires authentication.");
  });

  it("403 for a tenant the token is not for", async () => {
    const error = await detach(ecl.client({ tenantId: "0123456789abcdef0123456789abcdef" }));
    expect(error).toMatchObject({
      status: 403,
      meaning: "tenant not available",
      code: "forbidden",
    });
  });

  it("404 for an unknown server", async () => {
    const error = await detach(ecl.client(), "00000000-0000-4000-8000-000000000000");
    expect(error).toMatchObject({ status: 404, meaning: "not found", code: "itemNotFound" });
  });

  it("404 for an image that is not attached", async () => {
    const error = await detach(ecl.client(), SAMPLE.web01, SAMPLE.otherImage);
    expect(error).toMatchObject({ status: 404, code: "itemNotFound" });
    expect(error?.apiMessage).toContain("is not attached");
  });

  it("409 while task_state is not None, with the API's message and request id", async () => {
    ecl.sim.model.setBusy(SAMPLE.web01, "REBOOTING");
    const error = await detach();
    expect(error).toBeInstanceOf(EclApiError);
    expect(error).toMatchObject({
      status: 409,
      meaning: "task_state not None",
      code: "conflictingRequest",
    });
    expect(error?.apiMessage).toContain("task_state REBOOTING");
    expect(error?.requestId).toBe(actions()[0]?.requestId);
    expect(error?.message).toMatch(
      /^ECL answered 409 \(task_state not None\): Cannot 'media-detach' .* \(request id req-/,
    );
  });

  it.each([
    [400, "invalid parameter", "badRequest"],
    [405, "bad URL or method", "badMethod"],
    [415, "bad media type", "badMediaType"],
    [500, "compute fault", "computeFault"],
  ])("%i as the simulator answers it, sent once", async (status, meaning, code) => {
    ecl.sim.model.inject({ route: "action", status });
    const error = await detach();
    expect(error).toMatchObject({ status, meaning, code });
    expect(actions()).toHaveLength(1);
  });

  it("an empty or non-JSON error body causes no other error", async () => {
    ecl.sim.model.inject({ route: "action", status: 502, body: "<html>Bad Gateway</html>" });
    const error = await detach();
    expect(error).toMatchObject({
      status: 502,
      meaning: "bad gateway",
      code: undefined,
      apiMessage: undefined,
    });
  });
});

describe("task_state", () => {
  it.each([
    ["the string None", "None"],
    ["null", null],
    ["a missing field", undefined],
  ])("reads %s as idle", async (_, taskState) => {
    ecl.sim.model.setTaskState(SAMPLE.web01, taskState);
    const server = await ecl.client().showServer(SAMPLE.web01);
    expect(server.taskState).toBe(taskState);
    expect(isIdle(server.taskState)).toBe(true);
  });
});

describe("resolving names", () => {
  it("finds the one exact match among the simulator's substring matches", async () => {
    const server = await ecl.client().resolveServer("web01");
    expect(server.id).toBe(SAMPLE.web01);
    expect(ecl.sim.requests.at(-1)?.query.get("name")).toBe("web01");
  });

  it("refuses an ambiguous name, naming the ids", async () => {
    const error = await ecl
      .client()
      .resolveServer("app")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerLookupError);
    expect((error as ServerLookupError).candidates.map((c) => c.id)).toEqual([
      "11111111-2222-4333-8444-555555555555",
      "66666666-7777-4888-9999-aaaaaaaaaaaa",
    ]);
  });

  it("says not found for an unknown name and an unknown id", async () => {
    await expect(ecl.client().resolveServer("web0")).rejects.toMatchObject({ kind: "not_found" });
    await expect(
      ecl.client().resolveServer("00000000-0000-4000-8000-000000000000"),
    ).rejects.toMatchObject({ kind: "not_found" });
  });
});

describe("paging", () => {
  it("follows servers_links across pages", async () => {
    await ecl.close();
    ecl = await eclFixture({ pageSize: 2 });
    for (let i = 0; i < 5; i++) ecl.sim.model.addServer(SAMPLE.tenantId, { name: `bulk${i}` });

    const all = await ecl.client().listServers();
    const bulk = await ecl.client().listServers({ name: "bulk" });

    expect(all).toHaveLength(11);
    expect(new Set(all.map((s) => s.id)).size).toBe(11);
    expect(bulk.map((s) => s.name)).toEqual(["bulk0", "bulk1", "bulk2", "bulk3", "bulk4"]);
    const bulkPages = ecl.sim.requests.filter((r) => r.query.get("name") === "bulk");
    expect(bulkPages.map((r) => r.query.get("marker") !== null)).toEqual([false, true, true]);
  });
});

describe("connections", () => {
  it("reuses one keep-alive connection for sequential calls", async () => {
    const client = ecl.client();
    for (let i = 0; i < 5; i++) await client.showServer(SAMPLE.web01);
    await client.listServers();
    await client.detachMedia(SAMPLE.web01, SAMPLE.image);

    expect(ecl.sim.requests).toHaveLength(7);
    expect(ecl.sim.connections()).toBe(1);
    expect(new Set(ecl.sim.requests.map((r) => r.connection))).toEqual(new Set([1]));
  });
});

describe("faults", () => {
  it("retries a GET after a 500, and succeeds", async () => {
    ecl.sim.model.inject({ route: "show", server: SAMPLE.web01, status: 500 });
    const server = await ecl.client().showServer(SAMPLE.web01);
    expect(server.name).toBe("web01");
    expect(ecl.sim.requests.map((r) => r.status)).toEqual([500, 200]);
  });

  it("retries a GET after a reset connection", async () => {
    ecl.sim.model.inject({ route: "list", reset: true, times: 2 });
    const servers = await ecl.client().listServers();
    expect(servers.length).toBeGreaterThan(0);
    expect(ecl.sim.requests).toHaveLength(3);
  });

  it("gives up on a GET that hangs, after three timed-out attempts", async () => {
    ecl.sim.model.inject({ route: "show", hang: true, times: 3 });
    const started = Date.now();
    const error = await ecl
      .client()
      .showServer(SAMPLE.web01)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EclNetworkError);
    expect(error).toMatchObject({
      kind: "timeout",
      message: `ECL at ${ecl.sim.url} did not answer in time`,
    });
    expect(ecl.sim.requests).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("does not retry the POST after a reset: one request, outcome unknown", async () => {
    ecl.sim.model.inject({ route: "action", reset: true });
    const error = await ecl
      .client()
      .detachMedia(SAMPLE.web01, SAMPLE.image)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "EclNetworkError", kind: "connection" });
    expect(actions()).toHaveLength(1);
  });

  it("does not retry the POST after a hang", async () => {
    ecl.sim.model.inject({ route: "action", hang: true });
    const error = await ecl
      .client()
      .detachMedia(SAMPLE.web01, SAMPLE.image)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "EclNetworkError", kind: "timeout" });
    expect(actions()).toHaveLength(1);
  });

  it("gives a server action its own, longer timeout than a read: a slow ECL still answers", async () => {
    // Slower than a read may take (300 ms here), well inside an action's time (600 ms here).
    ecl.sim.model.unkind = { slowActionMs: 450 };
    try {
      const accepted = await ecl.client().detachMedia(SAMPLE.web01, SAMPLE.image);
      expect(accepted.status).toBe(200);
      expect(actions()).toHaveLength(1);
    } finally {
      ecl.sim.model.unkind = {};
    }
  });

  it("reports an endpoint where nothing listens as unreachable", async () => {
    const port = new URL(ecl.sim.url).port;
    await ecl.sim.close();
    const error = await ecl
      .client()
      .showServer(SAMPLE.web01)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "EclNetworkError",
      kind: "connection",
      origin: `http://127.0.0.1:${port}`,
    });
  });
});
