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
