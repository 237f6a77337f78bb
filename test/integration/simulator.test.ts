import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SAMPLE, seedSample } from "../../local/ecl-simulator/sample";
import { type EclSimulator, startEclSimulator } from "../../local/ecl-simulator/server";

/**
 * The simulator answers raw requests as ECL documents, whatever a client would send. Its clock is
 * the test's: a task lasts until the test moves the clock on, however slow the machine is.
 */
let sim: EclSimulator;
let clock = 0;
/** Moves the simulator's clock on. */
const advance = (ms: number) => {
  clock += ms;
};
beforeEach(async () => {
  clock = Date.now();
  sim = await startEclSimulator({ taskMs: 100, now: () => clock });
  seedSample(sim.model);
});
afterEach(() => sim.close());

const action = `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}/action`;
const json = { "content-type": "application/json", "x-auth-token": SAMPLE.token };

async function call(
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  headers: Record<string, string> = json,
  body?: string,
) {
  const res = await request(`${sim.url}${path}`, { method, headers, body: body ?? null });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}

describe("ECL simulator", () => {
  it.each([
    ["malformed JSON", "{nope", "badRequest"],
    ["an unknown action", '{"os-start":null}', "badRequest"],
    ["a non-UUID imageRef", '{"media-detach":{"imageRef":"ubuntu.iso"}}', "badRequest"],
    ["a missing imageRef", '{"media-detach":{}}', "badRequest"],
  ])("answers 400 to %s", async (_, body, fault) => {
    const res = await call("POST", action, json, body);
    expect(res.status).toBe(400);
    expect(res.body[fault]).toMatchObject({ code: 400, message: expect.any(String) });
    expect(res.headers["x-compute-request-id"]).toMatch(/^req-/);
  });

  it("answers 401 without a token or with a wrong one", async () => {
    expect((await call("GET", `/v2/${SAMPLE.tenantId}/servers`, {})).status).toBe(401);
    const res = await call("GET", `/v2/${SAMPLE.tenantId}/servers`, { "x-auth-token": "nope" });
    expect(res).toMatchObject({
      status: 401,
      body: { error: { code: 401, title: "Unauthorized" } },
    });
  });

  it("answers 403 for another tenant's path", async () => {
    const res = await call("GET", "/v2/ffffffffffffffffffffffffffffffff/servers", json);
    expect(res).toMatchObject({ status: 403, body: { forbidden: { code: 403 } } });
  });

  it("answers 404 for an unknown server, path, or an image not attached", async () => {
    expect(
      (await call("GET", `/v2/${SAMPLE.tenantId}/servers/00000000-0000-4000-8000-000000000000`))
        .status,
    ).toBe(404);
    expect((await call("GET", `/v2/${SAMPLE.tenantId}/flavors`)).status).toBe(404);
    const res = await call(
      "POST",
      action,
      json,
      JSON.stringify({ "media-detach": { imageRef: SAMPLE.otherImage } }),
    );
    expect(res).toMatchObject({ status: 404, body: { itemNotFound: { code: 404 } } });
  });

  it.each([
    ["GET", action],
    ["PUT", action],
    ["DELETE", `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`],
  ] as const)("answers 405 to %s %s", async (method, path) => {
    const res = await call(method, path);
    expect(res).toMatchObject({ status: 405, body: { badMethod: { code: 405 } } });
  });

  it.each([{ "content-type": "text/plain" }, {}])(
    "answers 415 to a POST with content type %j",
    async (type) => {
      const res = await call(
        "POST",
        action,
        { "x-auth-token": SAMPLE.token, ...type },
        JSON.stringify({ "media-detach": { imageRef: SAMPLE.image } }),
      );
      expect(res).toMatchObject({ status: 415, body: { badMediaType: { code: 415 } } });
    },
  );

  it("keeps a detaching server busy, answering 409, then removes the image and sets task_state to the string None", async () => {
    const detach = JSON.stringify({ "media-detach": { imageRef: SAMPLE.image } });
    expect((await call("POST", action, json, detach)).status).toBe(200);

    const busy = await call("GET", `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`);
    const again = await call("POST", action, json, detach);
    advance(120);
    const after = await call("GET", `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`);

    expect(busy.body.server["OS-EXT-STS:task_state"]).toBe("MEDIA_DETACHING");
    expect(busy.body.server.media_attachments).toHaveLength(1);
    expect(again).toMatchObject({ status: 409, body: { conflictingRequest: { code: 409 } } });
    expect(after.body.server["OS-EXT-STS:task_state"]).toBe("None");
    expect(after.body.server.media_attachments).toEqual([]);
  });

  it("accepts attaching an image already attached (nothing public shows a 409 for it), changing nothing", async () => {
    const attach = JSON.stringify({ "media-attach": { imageRef: SAMPLE.image } });
    expect((await call("POST", action, json, attach)).status).toBe(200);
    advance(120);
    const after = await call("GET", `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`);
    expect(after.body.server.media_attachments).toHaveLength(1);
  });

  it("sends server objects shaped as eclcloud's fixtures show them", async () => {
    const { body } = await call("GET", `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`);
    const bookmark = (kind: string, id: string) => [
      { href: `${sim.url}/${SAMPLE.tenantId}/${kind}/${id}`, rel: "bookmark" },
    ];
    expect(body.server).toMatchObject({
      id: SAMPLE.web01,
      tenant_id: SAMPLE.tenantId,
      user_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      status: "ACTIVE",
      progress: 100,
      "OS-EXT-STS:power_state": "RUNNING",
      "OS-EXT-STS:task_state": "None",
      "OS-EXT-STS:vm_state": "ACTIVE",
      flavor: { id: expect.any(String), links: bookmark("flavors", body.server.flavor.id) },
      image: { id: expect.any(String), links: bookmark("images", body.server.image.id) },
      media_attachments: [{ image: { id: SAMPLE.image, links: bookmark("images", SAMPLE.image) } }],
    });
  });

  it("attaches an image the same way", async () => {
    const attach = JSON.stringify({ "media-attach": { imageRef: SAMPLE.otherImage } });
    expect((await call("POST", action, json, attach)).status).toBe(200);
    advance(120);
    const after = await call("GET", `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`);
    expect(
      after.body.server.media_attachments.map((m: { image: { id: string } }) => m.image.id),
    ).toEqual([SAMPLE.image, SAMPLE.otherImage]);
  });

  it("lists plainly and in detail, filters names as substrings and pages with servers_links", async () => {
    const plain = await call("GET", `/v2/${SAMPLE.tenantId}/servers?name=web&limit=2`);
    expect(plain.body.servers).toEqual([
      {
        id: SAMPLE.web01,
        name: "web01",
        links: [{ href: `${sim.url}/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`, rel: "self" }],
      },
      expect.objectContaining({ name: "web010" }),
    ]);
    const next = new URL(plain.body.servers_links[0].href);
    expect(next.searchParams.get("marker")).toBe(plain.body.servers[1].id);

    const rest = await call("GET", `${next.pathname}${next.search}`);
    expect(rest.body.servers.map((s: { name: string }) => s.name)).toEqual(["web02"]);
    expect(rest.body.servers_links).toBeUndefined();

    const detail = await call("GET", `/v2/${SAMPLE.tenantId}/servers/detail?name=db01`);
    expect(detail.body.servers[0]).toMatchObject({
      name: "db01",
      "OS-EXT-STS:power_state": "SHUTDOWN",
      "OS-EXT-STS:task_state": "None",
    });
  });

  it("serves image names as Glance v2 does: the image object, a plain-text 404, a token required", async () => {
    const path = `/image/v2/images/${SAMPLE.image}`;
    expect((await call("GET", path, {})).status).toBe(401);
    expect(await call("GET", path)).toMatchObject({
      status: 200,
      body: { id: SAMPLE.image, name: "rescue-ubuntu-22.04.iso", status: "active" },
    });
    const missing = await request(`${sim.url}/image/v2/images/${SAMPLE.web01}`, {
      headers: { "x-auth-token": SAMPLE.token },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toMatch(/^text\/plain/);
    expect(await missing.body.text()).toContain(`No image found with ID ${SAMPLE.web01}`);
    expect((await call("POST", path)).status).toBe(405);
    expect((await call("GET", "/image/v2/images")).status).toBe(404);
  });

  it("issues Keystone tokens that work, and refuses wrong credentials", async () => {
    const body = (user: string, password: string) =>
      JSON.stringify({
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { domain: { id: "default" }, name: user, password } },
          },
          scope: { project: { id: SAMPLE.tenantId } },
        },
      });
    const issued = await call(
      "POST",
      "/v3/auth/tokens",
      { "content-type": "application/json" },
      body(SAMPLE.apiKey, SAMPLE.apiSecret),
    );
    const refused = await call(
      "POST",
      "/v3/auth/tokens",
      { "content-type": "application/json" },
      body(SAMPLE.apiKey, "wrong"),
    );

    expect(issued.status).toBe(201);
    expect(issued.body.token.project.id).toBe(SAMPLE.tenantId);
    expect(Date.parse(issued.body.token.expires_at)).toBeGreaterThan(Date.now() + 59 * 60_000);
    expect(issued.body.token.catalog[0]).toMatchObject({
      type: "baremetal-server",
      endpoints: ["public", "internal", "admin"].map((kind) => ({
        interface: kind,
        region: "jp1",
        region_id: "jp1",
        url: `${sim.url}/v2/${SAMPLE.tenantId}`,
        id: expect.any(String),
      })),
    });
    expect(issued.body.token.catalog).toContainEqual(
      expect.objectContaining({
        type: "image",
        endpoints: expect.arrayContaining([
          expect.objectContaining({ interface: "public", url: `${sim.url}/image` }),
        ]),
      }),
    );
    const token = String(issued.headers["x-subject-token"]);
    expect(
      (await call("GET", `/v2/${SAMPLE.tenantId}/servers`, { "x-auth-token": token })).status,
    ).toBe(200);
    expect(refused.status).toBe(401);
  });

  it.each([
    ["no auth", {}, 400, "Expecting to find auth in request body."],
    [
      "methods without password",
      { auth: { identity: { methods: ["token"] }, scope: { project: { id: SAMPLE.tenantId } } } },
      400,
      "Expecting to find methods with password in identity.",
    ],
    [
      "a named user without a domain",
      {
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name: SAMPLE.apiKey, password: SAMPLE.apiSecret } },
          },
          scope: { project: { id: SAMPLE.tenantId } },
        },
      },
      400,
      "Expecting to find domain in user.",
    ],
    [
      "no project scope",
      {
        auth: {
          identity: {
            methods: ["password"],
            password: {
              user: { domain: { id: "default" }, name: SAMPLE.apiKey, password: SAMPLE.apiSecret },
            },
          },
        },
      },
      400,
      "Expecting to find project in scope.",
    ],
    [
      "another domain",
      {
        auth: {
          identity: {
            methods: ["password"],
            password: {
              user: { domain: { name: "Other" }, name: SAMPLE.apiKey, password: SAMPLE.apiSecret },
            },
          },
          scope: { project: { id: SAMPLE.tenantId } },
        },
      },
      401,
      "The request you have made requires authentication.",
    ],
  ])("Keystone refuses %s as Keystone does", async (_, body, status, message) => {
    const res = await call(
      "POST",
      "/v3/auth/tokens",
      { "content-type": "application/json" },
      JSON.stringify(body),
    );
    expect(res).toMatchObject({ status, body: { error: { code: status, message } } });
    expect(res.headers["x-subject-token"]).toBeUndefined();
  });

  describe("unkind modes", () => {
    const show = `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`;
    const detach = JSON.stringify({ "media-detach": { imageRef: SAMPLE.image } });
    const attachBack = JSON.stringify({ "media-attach": { imageRef: SAMPLE.image } });

    it("caps list pages silently: no servers_links", async () => {
      sim.model.unkind = { cappedPageSize: 2 };
      const page = await call("GET", `/v2/${SAMPLE.tenantId}/servers/detail`);
      expect(page.body.servers).toHaveLength(2);
      expect(page.body.servers_links).toBeUndefined();
    });

    it("leaves media_attachments out of Show and List", async () => {
      sim.model.unkind = { noMedia: true };
      expect((await call("GET", show)).body.server).not.toHaveProperty("media_attachments");
      const list = await call("GET", `/v2/${SAMPLE.tenantId}/servers/detail`);
      expect(list.body.servers[0]).not.toHaveProperty("media_attachments");
    });

    it("starts a task just before the first action on each server: 409, then idle again", async () => {
      sim.model.unkind = { race409Ms: 100 };
      const first = await call("POST", action, json, detach);
      expect(first).toMatchObject({ status: 409, body: { conflictingRequest: { code: 409 } } });
      expect((await call("GET", show)).body.server["OS-EXT-STS:task_state"]).toBe("REBOOTING");
      advance(120);
      expect((await call("POST", action, json, detach)).status).toBe(200);
      // The first action on each server only: never again on web01, whatever follows.
      advance(120);
      expect((await call("POST", action, json, attachBack)).status).toBe(200);
    });

    it("an armed race meets the next action, once; armed again, it meets the next one again", async () => {
      const state = async () => (await call("GET", show)).body.server["OS-EXT-STS:task_state"];
      sim.model.armRace409(100);
      expect(sim.model.race409Armed).toEqual({ ms: 100, armedAt: clock });
      expect((await call("POST", action, json, detach)).status).toBe(409);
      expect(await state()).toBe("REBOOTING");
      expect(sim.model.race409Armed).toBeUndefined();
      advance(120);
      // Spent: the next action is accepted.
      expect((await call("POST", action, json, detach)).status).toBe(200);
      advance(120);
      expect((await call("GET", show)).body.server.media_attachments).toEqual([]);

      // Armed again on the same server: a second race, as a trainer replays it.
      sim.model.armRace409(100);
      expect((await call("POST", action, json, attachBack)).status).toBe(409);
      advance(120);
      expect((await call("POST", action, json, attachBack)).status).toBe(200);
      expect(sim.model.races).toEqual([
        { serverId: SAMPLE.web01, name: "web01", at: clock - 360 },
        { serverId: SAMPLE.web01, name: "web01", at: clock - 120 },
      ]);
    });

    it("a race armed, then disarmed, meets nothing", async () => {
      sim.model.armRace409(100);
      sim.model.disarmRace409();
      expect((await call("POST", action, json, detach)).status).toBe(200);
      expect(sim.model.races).toEqual([]);
    });

    it("shows an accepted media change only after a delay, refusing other actions meanwhile", async () => {
      sim.model.unkind = { mediaDelayMs: 150 };
      expect((await call("POST", action, json, detach)).status).toBe(200);
      const early = (await call("GET", show)).body.server;
      expect(early["OS-EXT-STS:task_state"]).toBe("None");
      expect(early.media_attachments).toHaveLength(1);
      expect((await call("POST", action, json, detach)).status).toBe(409);
      advance(170);
      expect((await call("GET", show)).body.server["OS-EXT-STS:task_state"]).toBe(
        "MEDIA_DETACHING",
      );
      advance(120);
      expect((await call("GET", show)).body.server.media_attachments).toEqual([]);
    });

    it("answers actions late, having acted already", async () => {
      sim.model.unkind = { slowActionMs: 200 };
      const started = Date.now();
      const pending = call("POST", action, json, detach);
      // Acted on, not yet answered.
      while (!sim.model.server(SAMPLE.web01)?.task) await new Promise((r) => setTimeout(r, 5));
      expect((await call("GET", show)).body.server["OS-EXT-STS:task_state"]).toBe(
        "MEDIA_DETACHING",
      );
      expect((await pending).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    });
  });

  it("injects faults for the next N matching calls, and records every request", async () => {
    sim.model.inject({ route: "show", server: SAMPLE.web01, status: 503, times: 2 });
    const path = `/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call("GET", path)).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect(sim.requests.map((r) => [r.method, r.route, r.status])).toEqual([
      ["GET", "show", 503],
      ["GET", "show", 503],
      ["GET", "show", 200],
    ]);
  });

  it("adds latency to every answer", async () => {
    sim.setLatency(150);
    const started = Date.now();
    await call("GET", `/v2/${SAMPLE.tenantId}/servers`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });
});

describe("the simulator's paging, as Nova's", () => {
  const detail = `/v2/${SAMPLE.tenantId}/servers/detail`;
  const ids = (body: { servers: Array<{ id: string }> }) => body.servers.map((s) => s.id);

  it("pages by limit and marker; a full page has a next link even when nothing follows", async () => {
    const all = ids((await call("GET", detail)).body);
    expect(all).toHaveLength(6);
    const first = await call("GET", `${detail}?limit=3`);
    expect(ids(first.body)).toEqual(all.slice(0, 3));
    const next = new URL(first.body.servers_links[0].href);
    expect([next.searchParams.get("limit"), next.searchParams.get("marker")]).toEqual([
      "3",
      all[2],
    ]);
    const second = await call("GET", `${next.pathname}${next.search}`);
    expect(ids(second.body)).toEqual(all.slice(3));
    expect(second.body.servers_links).toHaveLength(1);
    const last = new URL(second.body.servers_links[0].href);
    const empty = await call("GET", `${last.pathname}${last.search}`);
    expect(empty.body).toEqual({ servers: [] });
  });

  it("a page short of its limit has no next link; limit=0 lists nothing", async () => {
    expect((await call("GET", `${detail}?limit=7`)).body.servers_links).toBeUndefined();
    expect((await call("GET", `${detail}?limit=0`)).body).toEqual({ servers: [] });
  });

  it.each([
    ["a marker it does not know", "marker=00000000-0000-4000-8000-000000000000", "marker ["],
    ["a deleted server's marker", `marker=${SAMPLE.web01}`, "marker ["],
    ["a negative limit", "limit=-1", "limit must be an integer >= 0"],
    ["a limit that is not a number", "limit=ten", "limit must be an integer >= 0"],
  ])("answers 400 (badRequest) to %s", async (_, query, words) => {
    sim.model.removeServer(SAMPLE.web01);
    const res = await call("GET", `${detail}?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.badRequest.message).toContain(words);
  });

  it("lowers a limit above its max_limit (pageSize) to it, silently", async () => {
    const small = await startEclSimulator({ pageSize: 2 });
    try {
      seedSample(small.model);
      const res = await request(`${small.url}${detail}?limit=1000`, { headers: json });
      const body = (await res.body.json()) as { servers: unknown[]; servers_links: unknown[] };
      expect([body.servers.length, body.servers_links.length]).toEqual([2, 1]);
    } finally {
      await small.close();
    }
  });

  it("a page takes its page latency and its servers' on top of the rest; a show does not", async () => {
    const slow = await startEclSimulator({ pageLatency: { perPageMs: 60, perServerMs: 20 } });
    try {
      seedSample(slow.model);
      const timed = async (path: string) => {
        const started = performance.now();
        await (await request(`${slow.url}${path}`, { headers: json })).body.text();
        return performance.now() - started;
      };
      expect(await timed(`${detail}?limit=4`)).toBeGreaterThanOrEqual(135);
      expect(await timed(`/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`)).toBeLessThan(60);
    } finally {
      await slow.close();
    }
  });
});
