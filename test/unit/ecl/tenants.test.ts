import { describe, expect, it } from "vitest";
import { EclNetworkError } from "../../../lib/ecl/errors";
import type { HttpRequest, HttpResponse } from "../../../lib/ecl/http";
import { TenantDirectory } from "../../../lib/ecl/tenants";
import type { SecretSource } from "../../../lib/secrets/secret-source";

const TENANT = "b322a85578de48beba0f92acce57869b";
const SERVER = "c880a4b5-0230-4925-a8f5-16fb48249275";
const serverBody = JSON.stringify({ server: { id: SERVER, name: "web01" } });

/** Secrets in memory, counting reads and invalidations. */
function secrets(values: Record<string, Record<string, unknown>>) {
  const log: string[] = [];
  const source: SecretSource = {
    read: async (id) => {
      log.push(`read ${id}`);
      const value = values[id];
      if (!value) throw new Error(`no ${id}`);
      return structuredClone(value);
    },
    invalidate: (id) => void log.push(`invalidate ${id}`),
  };
  return { source, log, values };
}

/** ECL and Keystone answering from a script, by path. */
function ecl(answers: Array<HttpResponse | Error>) {
  const sent: HttpRequest[] = [];
  return {
    sent,
    send: async (request: HttpRequest) => {
      sent.push(request);
      const next = answers.shift();
      if (next === undefined) throw new Error("no more answers");
      if (next instanceof Error) throw next;
      return next;
    },
  };
}
const ok = (body: string, headers: Record<string, string> = {}): HttpResponse => ({
  status: 200,
  headers,
  body,
});
const token = (value: string): HttpResponse => ({
  status: 201,
  headers: { "x-subject-token": value },
  body: JSON.stringify({
    token: {
      expires_at: "2099-01-01T00:00:00.000000Z",
      catalog: [
        {
          type: "baremetal-server",
          endpoints: [{ interface: "public", region: "jp1", url: `https://bm.test/v2/${TENANT}` }],
        },
      ],
    },
  }),
});
const noRetryWait = { sleep: async () => {}, random: () => 0 };

describe("TenantDirectory", () => {
  it("a fixed token: the secret's endpoint, the token sent, the tenant kept while the secret stays the same", async () => {
    const s = secrets({
      "bm/t": { tenant_id: TENANT, api_endpoint: "https://bm.test", token: "tok-1" },
    });
    const net = ecl([ok(serverBody), ok(serverBody)]);
    const directory = new TenantDirectory({ secrets: s.source, send: net.send });
    const tenant = await directory.get("bm/t");
    expect(tenant).toMatchObject({
      secretId: "bm/t",
      tenantId: TENANT,
      apiEndpoint: "https://bm.test",
    });
    await tenant.ecl.showServer(SERVER);
    expect(net.sent[0]?.url.href).toBe(`https://bm.test/v2/${TENANT}/servers/${SERVER}`);
    expect(net.sent[0]?.headers["x-auth-token"]).toBe("tok-1");
    expect(await directory.get("bm/t")).toBe(tenant);
    // A changed secret gives a fresh tenant.
    s.values["bm/t"] = { ...s.values["bm/t"], token: "tok-2" };
    const fresh = await directory.get("bm/t");
    expect(fresh).not.toBe(tenant);
    await fresh.ecl.showServer(SERVER);
    expect(net.sent[1]?.headers["x-auth-token"]).toBe("tok-2");
  });

  it("a fixed token refused with 401: the secret is read again, and a rotated token tried once", async () => {
    const s = secrets({
      "bm/t": { tenant_id: TENANT, api_endpoint: "https://bm.test", token: "old" },
    });
    const net = ecl([{ status: 401, headers: {}, body: "" }, ok(serverBody)]);
    const directory = new TenantDirectory({ secrets: s.source, send: net.send });
    const tenant = await directory.get("bm/t");
    s.values["bm/t"] = { ...s.values["bm/t"], token: "new" };
    await tenant.ecl.showServer(SERVER);
    expect(net.sent.map((r) => r.headers["x-auth-token"])).toEqual(["old", "new"]);
    expect(s.log).toContain("invalidate bm/t");
  });

  it("Keystone credentials: a token issued (retried like a GET), the endpoint from its catalog", async () => {
    const s = secrets({
      "bm/k": {
        tenant_id: TENANT,
        identity_endpoint: "https://keystone.test",
        api_key: "key",
        api_secret: "secret",
      },
    });
    const net = ecl([
      new EclNetworkError("connection", "POST", "https://keystone.test"),
      { status: 503, headers: {}, body: "" },
      token("ks-1"),
      ok(serverBody),
    ]);
    const directory = new TenantDirectory({
      secrets: s.source,
      send: net.send,
      retryDeps: noRetryWait,
      actionTimeoutMs: 1234,
    });
    const tenant = await directory.get("bm/k");
    expect(tenant.apiEndpoint).toBeUndefined();
    await tenant.ecl.showServer(SERVER);
    expect(net.sent.map((r) => `${r.method} ${r.url.href}`)).toEqual([
      "POST https://keystone.test/v3/auth/tokens",
      "POST https://keystone.test/v3/auth/tokens",
      "POST https://keystone.test/v3/auth/tokens",
      `GET https://bm.test/v2/${TENANT}/servers/${SERVER}`,
    ]);
    expect(net.sent[3]?.headers["x-auth-token"]).toBe("ks-1");
  });

  it("Keystone refusing the credentials: the secret is read afresh next time; a 4xx is not retried", async () => {
    const s = secrets({
      "bm/k": {
        tenant_id: TENANT,
        identity_endpoint: "https://keystone.test",
        api_key: "key",
        api_secret: "wrong",
      },
    });
    const net = ecl([{ status: 401, headers: {}, body: "" }]);
    const errors: string[] = [];
    const directory = new TenantDirectory({
      secrets: s.source,
      send: net.send,
      retryDeps: noRetryWait,
      onEclError: (status) => void errors.push(status),
    });
    const tenant = await directory.get("bm/k");
    await expect(tenant.ecl.showServer(SERVER)).rejects.toMatchObject({ status: 401 });
    expect(net.sent).toHaveLength(1);
    expect(s.log).toContain("invalidate bm/k");
  });

  it("counts every ECL error status and failure to answer", async () => {
    const s = secrets({
      "bm/t": { tenant_id: TENANT, api_endpoint: "https://bm.test", token: "t" },
    });
    const net = ecl([{ status: 404, headers: {}, body: "" }]);
    const errors: string[] = [];
    const directory = new TenantDirectory({
      secrets: s.source,
      send: net.send,
      onEclError: (status) => void errors.push(status),
    });
    await expect((await directory.get("bm/t")).ecl.showServer(SERVER)).rejects.toMatchObject({
      status: 404,
    });
    expect(errors).toEqual(["404"]);
  });
});

describe("TenantDirectory, in detail", () => {
  const keystoneSecret = {
    tenant_id: TENANT,
    identity_endpoint: "https://keystone.test",
    api_key: "key",
    api_secret: "secret",
  };

  it("the action timeout and the retry waits given reach the client", async () => {
    const s = secrets({ "bm/k": keystoneSecret });
    const waits: number[] = [];
    const net = ecl([{ status: 500, headers: {}, body: "" }, token("ks"), ok("")]);
    const directory = new TenantDirectory({
      secrets: s.source,
      send: net.send,
      actionTimeoutMs: 1234,
      retryDeps: { sleep: async (ms) => void waits.push(ms), random: () => 0 },
      retry: { retries: 1, baseDelayMs: 7 },
    });
    await (await directory.get("bm/k")).ecl.detachMedia(
      SERVER,
      "3339fd5f-ec06-4ef8-9337-c1c70218a748",
    );
    // Keystone's 500 is retried (500 counts), after the given wait; the POST waits as told.
    expect(waits).toHaveLength(1);
    expect(net.sent.map((r) => r.timeoutMs)).toEqual([undefined, undefined, 1234]);
  });

  it("Keystone answering 403 is not retried, and the secret is not read afresh for it", async () => {
    const s = secrets({ "bm/k": keystoneSecret });
    const net = ecl([{ status: 403, headers: {}, body: "" }]);
    const directory = new TenantDirectory({
      secrets: s.source,
      send: net.send,
      retryDeps: noRetryWait,
    });
    await expect((await directory.get("bm/k")).ecl.showServer(SERVER)).rejects.toMatchObject({
      status: 403,
    });
    expect(net.sent).toHaveLength(1);
    expect(s.log).not.toContain("invalidate bm/k");
  });

  it("a fixed token refused, its secret now holding Keystone keys: the 401 is final", async () => {
    const s = secrets({
      "bm/t": { tenant_id: TENANT, api_endpoint: "https://bm.test", token: "old" },
    });
    const net = ecl([{ status: 401, headers: {}, body: "" }]);
    const directory = new TenantDirectory({ secrets: s.source, send: net.send });
    const tenant = await directory.get("bm/t");
    s.values["bm/t"] = { ...keystoneSecret, api_endpoint: "https://bm.test" };
    await expect(tenant.ecl.showServer(SERVER)).rejects.toMatchObject({ status: 401 });
    expect(net.sent).toHaveLength(1);
  });
});

describe("TenantDirectory, at its edges", () => {
  const tokenSecret = { tenant_id: TENANT, token: "t", api_endpoint: "https://bm.test" };

  it("the retries and the waits given reach ECL's reads", async () => {
    const fail = { status: 500, headers: {}, body: "" };
    const none = ecl([fail, ok(serverBody)]);
    const once = new TenantDirectory({
      secrets: secrets({ "bm/t": tokenSecret }).source,
      send: none.send,
      retry: { retries: 0, baseDelayMs: 1 },
      retryDeps: noRetryWait,
    });
    await expect((await once.get("bm/t")).ecl.showServer(SERVER)).rejects.toMatchObject({
      status: 500,
    });
    expect(none.sent).toHaveLength(1);

    const waits: number[] = [];
    const net = ecl([fail, ok(serverBody)]);
    const waited = new TenantDirectory({
      secrets: secrets({ "bm/t": tokenSecret }).source,
      send: net.send,
      retry: { retries: 1, baseDelayMs: 7 },
      retryDeps: { sleep: async (ms) => void waits.push(ms), random: () => 0 },
    });
    expect((await (await waited.get("bm/t")).ecl.showServer(SERVER)).name).toBe("web01");
    expect(waits).toHaveLength(1);
  });
});
