import { describe, expect, it } from "vitest";
import { EclClient, ServerLookupError } from "../../../lib/ecl/client";
import {
  EclApiError,
  EclNetworkError,
  EclProtocolError,
  EndpointRefusedError,
} from "../../../lib/ecl/errors";
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

/** A client over `send` that does not retry, counting what it counts as ECL's errors. */
function countingClient(send: (request: HttpRequest) => Promise<HttpResponse>, counting = true) {
  const counted: string[] = [];
  const client = new EclClient({
    apiEndpoint: "https://ecl.test",
    tenantId: TENANT,
    tokens: new StaticTokens("tok"),
    ...(counting ? { onError: (s: string) => void counted.push(s) } : {}),
    retry: { retries: 0, baseDelayMs: 1 },
    send,
  });
  return { client, counted };
}

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

  it("carries a 429's Retry-After on its error, once, unretried", async () => {
    const limited = { status: 429, headers: { "retry-after": "7" }, body: "" };
    const { client, sent } = clientWith([limited, { status: 200, headers: {}, body: "" }]);
    await expect(client.detachMedia(SERVER, IMAGE)).rejects.toMatchObject({
      status: 429,
      retryAfterS: 7,
    });
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

describe("EclClient, in detail", () => {
  it("a lookup error names itself, its candidates (five, then how many more)", () => {
    const none = new ServerLookupError("not_found", "web9");
    expect([none.name, none.candidates]).toEqual(["ServerLookupError", []]);
    const many = new ServerLookupError(
      "ambiguous",
      "app",
      Array.from({ length: 7 }, (_, i) => ({ id: `a${i}`, name: "app" })),
    );
    expect(many.message).toBe(
      '7 servers are named "app" (a0, a1, a2, a3, a4, … and 2 more); use the id',
    );
    const five = new ServerLookupError(
      "ambiguous",
      "app",
      Array.from({ length: 5 }, (_, i) => ({ id: `a${i}`, name: "app" })),
    );
    expect(five.message).toBe('5 servers are named "app" (a0, a1, a2, a3, a4); use the id');
  });

  it("stops following servers_links after 100 pages", async () => {
    let n = 0;
    const next = () => {
      n++;
      return ok({
        servers: [server(`id-${n}`, `s${n}`)],
        servers_links: [
          { rel: "next", href: `https://ecl.test/v2/x/servers/detail?marker=id-${n}` },
        ],
      });
    };
    const { client, sent } = clientWith(Array.from({ length: 101 }, () => next));
    await expect(client.listServers()).rejects.toThrow("ECL listed more than 100 pages of servers");
    expect(sent).toHaveLength(100);
  });

  it("a next link without a marker goes on from the page's last id; one without an href, or broken, ends", async () => {
    const { client, sent } = clientWith([
      ok({
        servers: [server("a1", "x")],
        servers_links: [{ rel: "next", href: "https://ecl.test/v2/x/servers/detail" }],
      }),
      ok({ servers: [server("a2", "x")], servers_links: [{ rel: "next", href: "::not a url" }] }),
      ok({ servers: [server("a3", "x")], servers_links: [{ rel: "next" }] }),
    ]);
    expect((await client.listServers()).map((s) => s.id)).toEqual(["a1", "a2", "a3"]);
    expect(sent.map((r) => r.url.searchParams.get("marker"))).toEqual([null, "a1", "a2"]);
  });

  it("a name is sent as ECL's filter, and only exact matches are kept", async () => {
    const { client, sent } = clientWith([
      ok({ servers: [server(SERVER, "web01"), server("a2", "web010"), server("a3", "WEB01")] }),
    ]);
    expect((await client.resolveServer("web01")).id).toBe(SERVER);
    expect(sent[0]?.url.searchParams.get("name")).toBe("web01");
  });

  it('an id ECL will not show for another reason than 404 is ECL\'s error, not "not found"', async () => {
    const { client } = clientWith([status(500), status(500), status(500)]);
    await expect(client.resolveServer(SERVER)).rejects.toBeInstanceOf(EclApiError);
  });

  it("attaching sends the inverse of the detach", async () => {
    const { client, sent } = clientWith([status(200)]);
    expect(await client.attachMedia(SERVER, IMAGE)).toEqual({ status: 200, requestId: "req-200" });
    expect(JSON.parse(sent[0]?.body ?? "")).toEqual({ "media-attach": { imageRef: IMAGE } });
  });

  it("actions wait as long as told (or 30 s); reads take the pool's; only actions carry a body", async () => {
    const quick = new EclClient({
      apiEndpoint: "https://ecl.test/",
      tenantId: TENANT,
      tokens: new StaticTokens("tok"),
      actionTimeoutMs: 1234,
      send: async (request) => {
        seen.push(request);
        return status(
          200,
          request.method === "GET" ? JSON.stringify({ server: server(SERVER, "w") }) : "",
        );
      },
    });
    const seen: HttpRequest[] = [];
    await quick.detachMedia(SERVER, IMAGE);
    await quick.showServer(SERVER);
    expect(seen.map((r) => [r.method, r.timeoutMs, r.body === undefined])).toEqual([
      ["POST", 1234, false],
      ["GET", undefined, true],
    ]);
    expect(seen[0]?.url.href).toBe(`https://ecl.test/v2/${TENANT}/servers/${SERVER}/action`);
    const { client, sent } = clientWith([status(200)]);
    await client.detachMedia(SERVER, IMAGE);
    expect(sent[0]?.timeoutMs).toBe(30_000);
  });

  it("counts every error status and every failure to answer, by kind", async () => {
    const { client, counted } = countingClient(async () => status(300));
    await expect(client.showServer(SERVER)).rejects.toMatchObject({
      status: 300,
      service: "baremetal",
    });
    expect(counted).toEqual(["300"]);
  });

  it("request ids: ECL's compute header, else Keystone's", async () => {
    const { client } = clientWith([
      { status: 200, headers: { "x-openstack-request-id": "req-os" }, body: "" },
      { status: 200, headers: {}, body: "" },
    ]);
    expect((await client.detachMedia(SERVER, IMAGE)).requestId).toBe("req-os");
    expect((await client.detachMedia(SERVER, IMAGE)).requestId).toBeUndefined();
  });

  it("a body that is not a JSON object is a protocol error naming the status", async () => {
    const { client } = clientWith([status(200, "5"), status(200, "null")]);
    await expect(client.showServer(SERVER)).rejects.toThrow(
      "ECL answered 200 with a body that is not a JSON object",
    );
    await expect(client.showServer(SERVER)).rejects.toThrow(
      "ECL answered 200 with a body that is not a JSON object",
    );
  });

  it("reads are retried on 5xx and 429, never on other answers", async () => {
    const tries = async (code: number) => {
      const { client, sent } = clientWith([status(code), status(code), status(code)]);
      await client.showServer(SERVER).catch(() => undefined);
      return sent.length;
    };
    expect(await tries(503)).toBe(3);
    expect(await tries(429)).toBe(3);
    expect(await tries(404)).toBe(1);
    expect(await tries(499)).toBe(1);
  });

  it("a server id that is not a UUID never reaches a URL", async () => {
    const { client, sent } = clientWith([]);
    await expect(client.showServer("../tokens")).rejects.toThrow("a server id must be a UUID");
    expect(sent).toEqual([]);
  });

  it("an endpoint with trailing slashes, and an image endpoint likewise", async () => {
    const tokens = Object.assign(new StaticTokens("tok"), {
      imageEndpoint: async () => "https://glance.test///",
    });
    const sent: HttpRequest[] = [];
    const client = new EclClient({
      apiEndpoint: "https://ecl.test///",
      tenantId: TENANT,
      tokens,
      send: async (request) => {
        sent.push(request);
        return request.url.pathname.startsWith("/v2/images")
          ? { status: 200, headers: {}, body: JSON.stringify({ name: "  " }) }
          : status(200, JSON.stringify({ server: server(SERVER, "w") }));
      },
    });
    await client.showServer(SERVER);
    expect(await client.imageName(IMAGE)).toBeUndefined();
    expect(sent.map((r) => r.url.href)).toEqual([
      `https://ecl.test/v2/${TENANT}/servers/${SERVER}`,
      `https://glance.test/v2/images/${IMAGE}`,
    ]);
    expect(sent[1]?.headers).toEqual({ accept: "application/json", "x-auth-token": "tok" });
  });

  it("an image service answering other than 200, or null, names nothing", async () => {
    const tokens = Object.assign(new StaticTokens("tok"), {
      imageEndpoint: async () => "https://glance.test",
    });
    for (const answer of [
      { status: 203, headers: {}, body: JSON.stringify({ name: "x" }) },
      { status: 200, headers: {}, body: "null" },
      { status: 200, headers: {}, body: JSON.stringify({ name: 5 }) },
    ]) {
      const client = new EclClient({
        apiEndpoint: "https://ecl.test",
        tenantId: TENANT,
        tokens,
        send: async () => answer,
      });
      expect(await client.imageName(IMAGE)).toBeUndefined();
    }
  });
});

describe("EclClient, to the letter", () => {
  it("a fixed token (no catalog) and no api_endpoint: said, nothing sent", async () => {
    let sends = 0;
    const client = new EclClient({
      tenantId: TENANT,
      tokens: new StaticTokens("tok"),
      send: async () => {
        sends++;
        return status(200);
      },
    });
    await expect(client.showServer(SERVER)).rejects.toMatchObject({
      name: "EclProtocolError",
      message: expect.stringContaining("the tenant secret has no api_endpoint"),
    });
    expect(sends).toBe(0);
  });

  it("an endpoint refused is said to be the catalog's when the secret names none", async () => {
    const refusal = () => new EndpointRefusedError("https://10.0.0.1", "is a private address");
    const catalogTokens = {
      token: async () => "tok",
      renew: async () => undefined,
      endpoint: async () => "https://10.0.0.1",
    };
    let sends = 0;
    const fromCatalog = new EclClient({
      tenantId: TENANT,
      tokens: catalogTokens,
      send: async () => {
        sends++;
        throw refusal();
      },
      retry: { retries: 2, baseDelayMs: 1 },
    });
    await expect(fromCatalog.showServer(SERVER)).rejects.toMatchObject({
      name: "EndpointRefusedError",
      source: "catalog",
      message: expect.stringMatching(
        /^the ECL endpoint https:\/\/10\.0\.0\.1 that Keystone's catalog/,
      ),
    });
    // A refusal is final: not tried again.
    expect(sends).toBe(1);
    const fromSecret = new EclClient({
      apiEndpoint: "https://10.0.0.1",
      tenantId: TENANT,
      tokens: catalogTokens,
      send: async () => {
        throw refusal();
      },
    });
    await expect(fromSecret.detachMedia(SERVER, IMAGE)).rejects.toMatchObject({
      source: "secret",
    });
  });

  it("an ambiguous name is a lookup error of that kind", async () => {
    const { client } = clientWith([ok({ servers: [server("a1", "app"), server("a2", "app")] })]);
    await expect(client.resolveServer("app")).rejects.toMatchObject({ kind: "ambiguous" });
  });

  it("a GET carries neither a body nor a timeout of its own (the keys absent, not undefined)", async () => {
    const { client, sent } = clientWith([ok({ server: server(SERVER, "w") })]);
    await client.showServer(SERVER);
    expect(Object.keys(sent[0] ?? {}).sort()).toEqual(["headers", "method", "url"]);
  });

  it("a failure to answer is counted by its kind; other errors are not ECL's to count", async () => {
    const timeout = new EclNetworkError("timeout", "GET", "https://ecl.test");
    const answers: Array<Error> = [timeout, new Error("a bug")];
    const { client, counted } = countingClient(async () => {
      throw answers.shift();
    });
    await expect(client.showServer(SERVER)).rejects.toBe(timeout);
    await expect(client.showServer(SERVER)).rejects.toThrow("a bug");
    expect(counted).toEqual(["timeout"]);
    const uncounted = countingClient(async () => {
      throw timeout;
    }, false);
    await expect(uncounted.client.showServer(SERVER)).rejects.toBe(timeout);
  });

  it("a server id that is not a UUID is said so, as a mistake about the server", async () => {
    const { client } = clientWith([]);
    await expect(client.detachMedia("web01", IMAGE)).rejects.toMatchObject({
      name: "InvalidInputError",
      field: "server",
      message: "a server id must be a UUID",
    });
  });

  it("a next link's marker is the one followed, whatever the page's last id", async () => {
    const { client, sent } = clientWith([
      ok({
        servers: [server("a1", "x")],
        servers_links: [{ rel: "next", href: "https://ecl.test/v2/x/servers/detail?marker=zz" }],
      }),
      ok({ servers: [] }),
    ]);
    await client.listServers();
    expect(sent.map((r) => r.url.searchParams.get("marker"))).toEqual([null, "zz"]);
  });

  it("an empty page whose next link has no marker, or a broken one, ends the list", async () => {
    for (const href of ["https://ecl.test/v2/x/servers/detail", "::not a url"]) {
      const { client, sent } = clientWith([
        ok({ servers: [], servers_links: [{ rel: "next", href }] }),
      ]);
      expect(await client.listServers()).toEqual([]);
      expect(sent).toHaveLength(1);
    }
  });
});

describe("EclClient.listServerPages and a read's own options", () => {
  const page = (ids: string[], marker?: string) =>
    ok({
      servers: ids.map((id) => server(id, id)),
      ...(marker
        ? {
            servers_links: [
              {
                rel: "next",
                href: `https://ecl.test/v2/x/servers/detail?limit=2&marker=${marker}`,
              },
            ],
          }
        : {}),
    });

  it("sends the page size, follows the next link's marker, and yields each page as it comes", async () => {
    const { client, sent } = clientWith([page(["a1", "a2"], "a2"), page(["a3"])]);
    const pages: string[][] = [];
    for await (const p of client.listServerPages({ limit: 2, maxPages: 5 })) {
      pages.push(p.map((s) => s.id));
      // Lazy: the next page is asked for only once this one has been taken.
      expect(sent).toHaveLength(pages.length);
    }
    expect(pages).toEqual([["a1", "a2"], ["a3"]]);
    expect(sent.map((r) => r.method)).toEqual(["GET", "GET"]);
    expect(sent.map((r) => r.url.href)).toEqual([
      `https://ecl.test/base/v2/${TENANT}/servers/detail?limit=2`,
      `https://ecl.test/base/v2/${TENANT}/servers/detail?limit=2&marker=a2`,
    ]);
  });

  it("a caller that stops early asks for no more pages", async () => {
    const { client, sent } = clientWith([page(["a1", "a2"], "a2"), page(["a3"])]);
    for await (const p of client.listServerPages({ limit: 2, maxPages: 5 })) {
      expect(p).toHaveLength(2);
      break;
    }
    expect(sent).toHaveLength(1);
  });

  it("past its page cap: a protocol error naming the cap, after the pages it allowed", async () => {
    const { client, sent } = clientWith([page(["a1"], "a1"), page(["a2"], "a2"), page(["a3"])]);
    const seen: string[] = [];
    await expect(async () => {
      for await (const p of client.listServerPages({ limit: 1, maxPages: 2 }))
        seen.push(...p.map((s) => s.id));
    }).rejects.toThrow(new EclProtocolError("ECL listed more than 2 pages of servers"));
    expect([seen, sent.length]).toEqual([["a1", "a2"], 2]);
  });

  it("a page's own timeout and retries replace the client's", async () => {
    const { client, sent, waits } = clientWith([status(503), status(503), page(["a1"])]);
    const pages = client.listServerPages({
      limit: 1,
      maxPages: 1,
      timeoutMs: 700,
      retry: { retries: 1, baseDelayMs: 40 },
    });
    await expect(async () => {
      for await (const _ of pages);
    }).rejects.toMatchObject({ status: 503 });
    expect(sent.map((r) => r.timeoutMs)).toEqual([700, 700]);
    expect(waits).toEqual([20]);
  });

  it("a direct read with its own timeout and no retries: sent once, waiting as told", async () => {
    const { client, sent } = clientWith([status(503), ok({ server: server(SERVER, "w") })]);
    await expect(
      client.showServer(SERVER, { timeoutMs: 900, retry: { retries: 0, baseDelayMs: 1 } }),
    ).rejects.toMatchObject({ status: 503 });
    expect(sent.map((r) => r.timeoutMs)).toEqual([900]);
    expect((await client.showServer(SERVER)).id).toBe(SERVER);
    expect(sent[1]?.timeoutMs).toBeUndefined();
  });
});
