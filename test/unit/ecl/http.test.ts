import type { Dispatcher } from "undici";
import { describe, expect, it } from "vitest";
import { EclNetworkError, EndpointRefusedError } from "../../../lib/ecl/errors";
import { DEFAULT_TIMEOUTS, HttpPools } from "../../../lib/ecl/http";
import { hostPatterns } from "../../../lib/net/endpoint-rule";
import { AddressRefusedError } from "../../../lib/net/guarded-lookup";

/** A dispatcher in memory: records what it is asked, answers from `answer`. No socket. */
function fakeDispatchers(answer: (options: Dispatcher.RequestOptions) => unknown) {
  const made: Array<{ origin: string; options: object }> = [];
  const asked: Dispatcher.RequestOptions[] = [];
  const closed: string[] = [];
  const factory = (origin: string, options: object) => {
    made.push({ origin, options });
    return {
      request: async (options: Dispatcher.RequestOptions) => {
        asked.push(options);
        const answered = answer(options);
        if (answered instanceof Error) throw answered;
        return answered;
      },
      close: async () => void closed.push(origin),
    } as unknown as Dispatcher;
  };
  return { factory, made, asked, closed };
}
const reply = (statusCode: number, headers: Record<string, string | string[]>, body: string) => ({
  statusCode,
  headers,
  body: { text: async () => body },
});
const codeError = (code: string, nested = 0) => {
  let error: Error & { code?: string; cause?: unknown } = Object.assign(new Error("x"), { code });
  for (let i = 0; i < nested; i++) error = Object.assign(new Error("wrapped"), { cause: error });
  return error;
};

describe("HttpPools", () => {
  it("sends the request as given, and reads the whole answer with its headers in lower case", async () => {
    const d = fakeDispatchers(() =>
      reply(202, { "X-Compute-Request-Id": "req-1", "Set-Thing": ["a", "b"] }, '{"ok":true}'),
    );
    const pools = new HttpPools(
      { connectMs: 100, headersMs: 200, bodyMs: 300 },
      { dispatcherFor: d.factory },
    );
    const answer = await pools.send({
      method: "POST",
      url: new URL("https://ecl.test/v2/t/servers/s/action?x=1"),
      headers: { "x-auth-token": "tok" },
      body: "{}",
    });
    expect(answer).toEqual({
      status: 202,
      headers: { "x-compute-request-id": "req-1", "set-thing": "a, b" },
      body: '{"ok":true}',
    });
    expect(d.asked).toEqual([
      {
        method: "POST",
        path: "/v2/t/servers/s/action?x=1",
        headers: { "x-auth-token": "tok" },
        body: "{}",
        headersTimeout: 200,
        bodyTimeout: 300,
      },
    ]);
    expect(d.made).toEqual([
      {
        origin: "https://ecl.test",
        options: {
          connections: 8,
          connect: { timeout: 100, lookup: expect.any(Function) },
          headersTimeout: 200,
          bodyTimeout: 300,
        },
      },
    ]);
  });

  it("a request's own timeout replaces the pool's; a GET has no body", async () => {
    const d = fakeDispatchers(() => reply(200, {}, ""));
    const pools = new HttpPools({}, { dispatcherFor: d.factory });
    await pools.send({
      method: "GET",
      url: new URL("https://ecl.test/a"),
      headers: {},
      timeoutMs: 42,
    });
    expect(d.asked[0]).toMatchObject({ body: null, headersTimeout: 42, bodyTimeout: 42 });
    expect(d.made[0]?.options).toMatchObject({
      connect: { timeout: DEFAULT_TIMEOUTS.connectMs },
      headersTimeout: DEFAULT_TIMEOUTS.headersMs,
      bodyTimeout: DEFAULT_TIMEOUTS.bodyMs,
    });
  });

  it("one pool per origin, kept; closed all at once", async () => {
    const d = fakeDispatchers(() => reply(200, {}, ""));
    const pools = new HttpPools({}, { dispatcherFor: d.factory });
    for (const url of ["https://a.test/1", "https://a.test/2", "https://b.test/1"])
      await pools.send({ method: "GET", url: new URL(url), headers: {} });
    expect(d.made.map((m) => m.origin)).toEqual(["https://a.test", "https://b.test"]);
    await pools.close();
    expect(d.closed).toEqual(["https://a.test", "https://b.test"]);
    await pools.send({ method: "GET", url: new URL("https://a.test/3"), headers: {} });
    expect(d.made).toHaveLength(3);
  });

  it.each([
    ["UND_ERR_CONNECT_TIMEOUT", "timeout"],
    ["UND_ERR_HEADERS_TIMEOUT", "timeout"],
    ["UND_ERR_BODY_TIMEOUT", "timeout"],
    ["UND_ERR_SOCKET", "connection"],
    ["UND_ERR_CLOSED", "connection"],
    ["ECONNREFUSED", "connection"],
    ["ECONNRESET", "connection"],
    ["EPIPE", "connection"],
    ["ENOTFOUND", "connection"],
    ["EAI_AGAIN", "connection"],
    ["EHOSTUNREACH", "connection"],
    ["ENETUNREACH", "connection"],
    ["ETIMEDOUT", "connection"],
  ])(
    "%s is a network failure of kind %s, naming the method and origin only",
    async (code, kind) => {
      const d = fakeDispatchers(() => codeError(code));
      const pools = new HttpPools({}, { dispatcherFor: d.factory });
      const error = await pools
        .send({ method: "GET", url: new URL("https://ecl.test/v2/secret-path"), headers: {} })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EclNetworkError);
      expect(error).toMatchObject({ kind, method: "GET", origin: "https://ecl.test" });
      expect((error as Error).message).not.toContain("secret-path");
    },
  );

  it("finds the code of a failure wrapped up to three times, not deeper", async () => {
    const within = new HttpPools(
      {},
      { dispatcherFor: fakeDispatchers(() => codeError("ECONNRESET", 3)).factory },
    );
    await expect(
      within.send({ method: "GET", url: new URL("https://ecl.test/"), headers: {} }),
    ).rejects.toBeInstanceOf(EclNetworkError);
    const deeper = new HttpPools(
      {},
      { dispatcherFor: fakeDispatchers(() => codeError("ECONNRESET", 4)).factory },
    );
    await expect(
      deeper.send({ method: "GET", url: new URL("https://ecl.test/"), headers: {} }),
    ).rejects.not.toBeInstanceOf(EclNetworkError);
  });

  it("anything else is a bug, thrown as it is", async () => {
    const bug = new TypeError("boom");
    const pools = new HttpPools({}, { dispatcherFor: fakeDispatchers(() => bug).factory });
    await expect(
      pools.send({ method: "GET", url: new URL("https://ecl.test/"), headers: {} }),
    ).rejects.toBe(bug);
    const coded = codeError("EWHATEVER");
    const other = new HttpPools({}, { dispatcherFor: fakeDispatchers(() => coded).factory });
    await expect(
      other.send({ method: "GET", url: new URL("https://ecl.test/"), headers: {} }),
    ).rejects.toBe(coded);
  });
});

describe("HttpPools, at its edges", () => {
  it("without timeouts given: 3 s to connect, 5 s for the headers and for the body", async () => {
    const d = fakeDispatchers(() => reply(200, {}, ""));
    await new HttpPools({}, { dispatcherFor: d.factory }).send({
      method: "GET",
      url: new URL("https://ecl.test/"),
      headers: {},
    });
    expect(d.made[0]?.options).toMatchObject({
      connect: { timeout: 3000 },
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
    expect(DEFAULT_TIMEOUTS).toEqual({ connectMs: 3000, headersMs: 5000, bodyMs: 5000 });
  });

  it("without a factory, each origin gets an undici Pool (made, not connected)", async () => {
    const { Pool } = await import("undici");
    const pools = new HttpPools();
    const made = (pools as unknown as { pool(origin: string): unknown }).pool("https://ecl.test");
    expect(made).toBeInstanceOf(Pool);
    await pools.close();
  });

  it("a network failure keeps the transport's error as its cause", async () => {
    for (const code of ["UND_ERR_HEADERS_TIMEOUT", "ECONNRESET"]) {
      const original = codeError(code);
      const pools = new HttpPools({}, { dispatcherFor: fakeDispatchers(() => original).factory });
      const error = await pools
        .send({ method: "GET", url: new URL("https://ecl.test/"), headers: {} })
        .catch((e: unknown) => e);
      expect((error as Error).cause, code).toBe(original);
    }
  });
});

describe("HttpPools: only endpoints bm may connect to", () => {
  it.each([
    ["https://10.0.0.1/v2/t/servers", "https://10.0.0.1", "is a private address"],
    ["https://169.254.169.254/latest", "https://169.254.169.254", "is a link-local address"],
    ["http://localhost:9001/2018-06-01/runtime", "http://localhost:9001", "is not https"],
    ["https://0177.0.0.1/v2", "https://127.0.0.1", "is a loopback address"],
    ["https://[::ffff:127.0.0.1]/v2", "https://[::ffff:7f00:1]", "is a loopback address"],
  ])("refuses %s before any pool is made", async (url, origin, problem) => {
    const d = fakeDispatchers(() => reply(200, {}, ""));
    const pools = new HttpPools({}, { dispatcherFor: d.factory });
    const error = await pools
      .send({ method: "GET", url: new URL(url), headers: { "x-auth-token": "SECRET" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EndpointRefusedError);
    expect(error).toMatchObject({ origin, problem, source: "secret", passing: false });
    expect((error as Error).message).not.toContain("SECRET");
    expect(d.made).toEqual([]);
  });

  it("sends to a listed host, over http too", async () => {
    const d = fakeDispatchers(() => reply(200, {}, "ok"));
    const pools = new HttpPools({}, { allow: hostPatterns("127.0.0.1"), dispatcherFor: d.factory });
    const answer = await pools.send({
      method: "GET",
      url: new URL("http://127.0.0.1:8774/v2"),
      headers: {},
    });
    expect(answer.body).toBe("ok");
    expect(d.made.map((m) => m.origin)).toEqual(["http://127.0.0.1:8774"]);
  });

  it("turns the lookup's refusal, however wrapped, into the endpoint's", async () => {
    const refused = new AddressRefusedError("ecl.test", "10.0.0.7", "private");
    for (const failure of [
      refused,
      Object.assign(new Error("connect failed"), { cause: refused }),
      Object.assign(new Error("a"), { cause: { cause: { cause: refused } } }),
    ]) {
      const pools = new HttpPools({}, { dispatcherFor: fakeDispatchers(() => failure).factory });
      const error = await pools
        .send({ method: "GET", url: new URL("https://ecl.test/x"), headers: {} })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EndpointRefusedError);
      expect(error).toMatchObject({
        origin: "https://ecl.test",
        problem: "resolves to a private address (10.0.0.7)",
        source: "secret",
        message:
          "the tenant's ECL endpoint https://ecl.test resolves to a private address (10.0.0.7); bm only connects to ECL's public endpoints, by name and over https. Ask an admin to fix the tenant secret.",
      });
      expect((error as Error).cause).toBe(failure);
    }
    const deep = Object.assign(new Error("a"), {
      cause: { cause: { cause: { cause: refused } } },
    });
    const pools = new HttpPools({}, { dispatcherFor: fakeDispatchers(() => deep).factory });
    await expect(
      pools.send({ method: "GET", url: new URL("https://ecl.test/x"), headers: {} }),
    ).rejects.toBe(deep);
  });
});

describe("EndpointRefusedError", () => {
  it("says what is wrong, where bm found it, and who can fix it", () => {
    const error = new EndpointRefusedError("https://10.0.0.1", "is a private address");
    expect(error.message).toBe(
      "the tenant's ECL endpoint https://10.0.0.1 is a private address; bm only connects to ECL's public endpoints, by name and over https. Ask an admin to fix the tenant secret.",
    );
    const catalog = error.fromCatalog();
    expect(catalog).toMatchObject({
      origin: "https://10.0.0.1",
      problem: "is a private address",
      source: "catalog",
      cause: error,
      message:
        "the ECL endpoint https://10.0.0.1 that Keystone's catalog names is a private address; bm only connects to ECL's public endpoints, by name and over https. Ask an admin to set api_endpoint in the tenant secret.",
    });
    expect([catalog.name, catalog.passing, catalog.forUsers, catalog.told()]).toEqual([
      "EndpointRefusedError",
      false,
      true,
      catalog.message,
    ]);
  });
});
