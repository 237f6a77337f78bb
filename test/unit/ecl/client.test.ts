import { describe, expect, it } from "vitest";
import { EclClient, ServerLookupError } from "../../../lib/ecl/client";
import { EclApiError, EclNetworkError } from "../../../lib/ecl/errors";
import type { HttpRequest, HttpResponse } from "../../../lib/ecl/http";
import { StaticTokens } from "../../../lib/ecl/tokens";
import { InvalidInputError } from "../../../lib/ecl/validate";

const TENANT = "b322a85578de48beba0f92acce57869b";
const SERVER = "c880a4b5-0230-4925-a8f5-16fb48249275";
const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";

type Answer = HttpResponse | Error | ((request: HttpRequest) => HttpResponse);

/** A client over a scripted transport: each request takes the next answer. */
function clientWith(answers: Answer[], tokens = new StaticTokens("tok")) {
  const sent: HttpRequest[] = [];
  const waits: number[] = [];
  const client = new EclClient({
    apiEndpoint: "https://ecl.test/base/",
    tenantId: TENANT,
    tokens,
    send: async (request) => {
      sent.push(request);
      const answer = answers.shift();
      if (answer === undefined) throw new Error("no more answers scripted");
      if (answer instanceof Error) throw answer;
      return typeof answer === "function" ? answer(request) : answer;
    },
    retryDeps: { sleep: async (ms) => void waits.push(ms), random: () => 0 },
  });
  return { client, sent, waits };
}

const ok = (body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  status: 200,
  headers,
  body: JSON.stringify(body),
});
const status = (code: number, body = ""): HttpResponse => ({
  status: code,
  headers: { "x-compute-request-id": `req-${code}` },
  body,
});
const server = (id: string, name: string, extra: object = {}) => ({
  id,
  name,
  "OS-EXT-STS:task_state": "None",
  ...extra,
});
const reset = () => new EclNetworkError("connection", "GET", "https://ecl.test");

describe("EclClient requests", () => {
  it("sends the seed's detach request, once", async () => {
    const { client, sent } = clientWith([
      { status: 200, headers: { "x-compute-request-id": "req-9" }, body: "" },
    ]);

    const result = await client.detachMedia(SERVER.toUpperCase(), IMAGE);

    expect(result).toEqual({ status: 200, requestId: "req-9" });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe("POST");
    expect(sent[0]?.url.href).toBe(`https://ecl.test/base/v2/${TENANT}/servers/${SERVER}/action`);
    expect(sent[0]?.headers).toEqual({
      accept: "application/json",
      "content-type": "application/json",
      "x-auth-token": "tok",
    });
    expect(sent[0]?.body).toBe(`{"media-detach":{"imageRef":"${IMAGE}"}}`);
  });

  it("refuses ids that are not UUIDs before sending anything", async () => {
    const { client, sent } = clientWith([]);
    await expect(client.detachMedia("../tokens", IMAGE)).rejects.toThrow(InvalidInputError);
    await expect(client.detachMedia(SERVER, "x.iso")).rejects.toThrow(InvalidInputError);
    await expect(client.showServer("web01")).rejects.toThrow(InvalidInputError);
    expect(sent).toHaveLength(0);
  });

  it("encodes the name filter", async () => {
    const { client, sent } = clientWith([ok({ servers: [] })]);
    await client.listServers({ name: "a&b=c" });
    expect(sent[0]?.url.search).toBe("?name=a%26b%3Dc");
  });
});

describe("EclClient retries", () => {
  it("retries a GET twice on 5xx and transport failures, with backoff", async () => {
    const { client, sent, waits } = clientWith([
      status(503),
      reset(),
      ok({ server: server(SERVER, "web01") }),
    ]);
    expect((await client.showServer(SERVER)).name).toBe("web01");
    expect(sent).toHaveLength(3);
    expect(waits).toEqual([100, 200]);
  });

  it("gives up on a GET after three attempts", async () => {
    const { client, sent } = clientWith([
      status(500),
      status(500),
      status(500, '{"computeFault":{"code":500,"message":"boom"}}'),
      ok({}),
    ]);
    const error = await client.showServer(SERVER).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EclApiError);
    expect(error).toMatchObject({
      status: 500,
      meaning: "compute fault",
      apiMessage: "boom",
      requestId: "req-500",
      code: "computeFault",
    });
    expect(sent).toHaveLength(3);
  });

  it("does not retry a GET on a 4xx", async () => {
    const { client, sent } = clientWith([status(404, "not json at all")]);
    await expect(client.showServer(SERVER)).rejects.toMatchObject({
      status: 404,
      meaning: "not found",
      apiMessage: undefined,
    });
    expect(sent).toHaveLength(1);
  });

  it.each([
    ["a 500", status(500)],
    ["a 503", status(503)],
    ["a reset connection", reset()],
    ["a timeout", new EclNetworkError("timeout", "POST", "https://ecl.test")],
  ])("never retries the detach POST after %s", async (_, answer) => {
    const { client, sent } = clientWith([answer, { status: 200, headers: {}, body: "" }]);
    await expect(client.detachMedia(SERVER, IMAGE)).rejects.toThrow();
    expect(sent).toHaveLength(1);
  });

  it("retries the POST once after a 401 when the token was renewed", async () => {
    const tokens = new StaticTokens("old", async () => "new");
    const { client, sent } = clientWith(
      [status(401), { status: 202, headers: {}, body: "" }],
      tokens,
    );
    expect(await client.detachMedia(SERVER, IMAGE)).toEqual({ status: 202, requestId: undefined });
    expect(sent.map((r) => r.headers["x-auth-token"])).toEqual(["old", "new"]);
  });

  it("does not retry after a 401 when no new token can be had, nor twice", async () => {
    const same = clientWith([status(401), status(200)], new StaticTokens("old", async () => "old"));
    await expect(same.client.detachMedia(SERVER, IMAGE)).rejects.toMatchObject({
      status: 401,
      meaning: "unauthorized",
    });
    expect(same.sent).toHaveLength(1);

    const twice = clientWith(
      [status(401), status(401), status(200)],
      new StaticTokens("old", async () => "new"),
    );
    await expect(twice.client.detachMedia(SERVER, IMAGE)).rejects.toMatchObject({ status: 401 });
    expect(twice.sent).toHaveLength(2);
  });
});

describe("EclClient.listServers", () => {
  it("follows servers_links by marker only, never to another host", async () => {
    const { client, sent } = clientWith([
      ok({
        servers: [server("a1", "web01")],
        servers_links: [
          { rel: "next", href: "https://evil.test/v2/x/servers/detail?limit=1&marker=a1" },
        ],
      }),
      ok({ servers: [server("a2", "web01")], servers_links: [{ rel: "next", href: "not a url" }] }),
      ok({ servers: [server("a3", "web02")] }),
    ]);

    const servers = await client.listServers({ name: "web0" });

    expect(servers.map((s) => s.id)).toEqual(["a1", "a2", "a3"]);
    expect(sent.map((r) => `${r.url.origin}${r.url.pathname}${r.url.search}`)).toEqual([
      `https://ecl.test/base/v2/${TENANT}/servers/detail?name=web0`,
      `https://ecl.test/base/v2/${TENANT}/servers/detail?name=web0&marker=a1`,
      `https://ecl.test/base/v2/${TENANT}/servers/detail?name=web0&marker=a2`,
    ]);
  });

  it("stops when a next link repeats a marker", async () => {
    const page = ok({
      servers: [server("a1", "x")],
      servers_links: [{ rel: "next", href: "https://ecl.test/?marker=m" }],
    });
    const { client, sent } = clientWith([page, page, page]);
    expect(await client.listServers()).toHaveLength(2);
    expect(sent).toHaveLength(2);
  });

  it("refuses a body without a servers array", async () => {
    const { client } = clientWith([ok({ server: {} })]);
    await expect(client.listServers()).rejects.toThrow(
      "ECL listed servers without a servers array",
    );
  });
});

describe("EclClient.resolveServer", () => {
  const listing = ok({
    servers: [server("a1", "web01"), server("a2", "web010"), server("a3", "WEB01")],
  });

  it("keeps only exact name matches", async () => {
    const { client } = clientWith([listing]);
    expect((await client.resolveServer("web01")).id).toBe("a1");
  });

  it("says not found when no name matches exactly", async () => {
    const { client } = clientWith([listing]);
    const error = await client.resolveServer("web0").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerLookupError);
    expect(error).toMatchObject({
      kind: "not_found",
      message: 'no server named "web0" in this tenant',
    });
  });

  it("names the candidates of an ambiguous name", async () => {
    const { client } = clientWith([ok({ servers: [server("a1", "app"), server("a2", "app")] })]);
    await expect(client.resolveServer("app")).rejects.toThrow(
      '2 servers are named "app" (a1, a2); use the id',
    );
  });

  it("shows a UUID directly, and says not found for a 404", async () => {
    const { client, sent } = clientWith([ok({ server: server(SERVER, "web01") }), status(404)]);
    expect((await client.resolveServer(SERVER)).name).toBe("web01");
    expect(sent[0]?.url.pathname).toBe(`/base/v2/${TENANT}/servers/${SERVER}`);
    await expect(client.resolveServer(SERVER)).rejects.toMatchObject({ kind: "not_found" });
  });
});

describe("imageName", () => {
  const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";
  const withImages = (endpoint: string | undefined) =>
    Object.assign(new StaticTokens("tok"), { imageEndpoint: async () => endpoint });

  it("asks the catalog's image service, once, with the token", async () => {
    const { client, sent } = clientWith(
      [ok({ id: IMAGE, name: "rescue.iso", status: "active" })],
      withImages("https://glance.test/"),
    );
    expect(await client.imageName(IMAGE.toUpperCase())).toBe("rescue.iso");
    expect(sent.map((r) => [r.method, r.url.href, r.headers["x-auth-token"], r.timeoutMs])).toEqual(
      [["GET", `https://glance.test/v2/images/${IMAGE}`, "tok", 2000]],
    );
  });

  it.each([
    ["a 404 (plain text, as Glance answers)", [status(404, "404 Not Found")]],
    ["a 503, not retried", [status(503)]],
    ["no name", [ok({ id: IMAGE })]],
    ["a body that is not JSON", [status(200, "<html>")]],
    ["no answer", [new EclNetworkError("timeout", "GET", "/v2/images")]],
  ])("is quiet about %s: no name", async (_, answers) => {
    const { client, sent } = clientWith(answers, withImages("https://glance.test"));
    expect(await client.imageName(IMAGE)).toBeUndefined();
    expect(sent).toHaveLength(1);
  });

  it("asks nothing without an image service in the catalog (a fixed token has no catalog), or for a bad id", async () => {
    const { client, sent } = clientWith([]);
    expect(await client.imageName(IMAGE)).toBeUndefined();
    const named = clientWith([], withImages("https://glance.test"));
    expect(await named.client.imageName("../etc/passwd")).toBeUndefined();
    expect([...sent, ...named.sent]).toEqual([]);
  });
});
