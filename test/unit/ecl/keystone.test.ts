import { describe, expect, it } from "vitest";
import { EclClient } from "../../../lib/ecl/client";
import type { HttpRequest } from "../../../lib/ecl/http";
import { catalogEndpoint, issueKeystoneToken } from "../../../lib/ecl/keystone";
import { KeystoneTokens } from "../../../lib/ecl/tokens";

const TENANT = "b322a85578de48beba0f92acce57869b";

/** A catalog entry shaped as nttcom/terraform-provider-ecl's fixtures show it. */
function service(type: string, urls: Record<string, string>, region = "jp1") {
  return {
    type,
    name: type,
    id: "1234567890abcdef1234567890abcde3",
    endpoints: Object.entries(urls).map(([kind, url], i) => ({
      id: `e${i}`,
      interface: kind,
      region,
      region_id: region,
      url,
    })),
  };
}
const BAREMETAL = "https://baremetal-server-jp1-ecl.api.ntt.com";
const standard = (region = "jp1", base = BAREMETAL) =>
  service(
    "baremetal-server",
    {
      admin: `${base}/v2/${TENANT}`,
      internal: `${base}/v2/${TENANT}`,
      public: `${base}/v2/${TENANT}`,
    },
    region,
  );

describe("catalogEndpoint", () => {
  it("takes the public baremetal-server endpoint, without /v2/<tenant_id>", () => {
    const catalog = [
      service("compute", { public: `https://nova.test/v2/${TENANT}` }),
      standard(),
      service("identity", { public: "https://keystone-jp1-ecl.api.ntt.com/v3" }),
    ];
    expect(catalogEndpoint(catalog)).toBe(BAREMETAL);
  });

  it("names the image service's public endpoint when asked for type image", () => {
    const catalog = [
      standard(),
      service("image", {
        public: "https://glance-jp1-ecl.api.ntt.com/",
        internal: "https://glance-internal.test/",
      }),
    ];
    expect(catalogEndpoint(catalog, "jp1", "image")).toBe("https://glance-jp1-ecl.api.ntt.com");
    expect(catalogEndpoint([standard()], "jp1", "image")).toBeUndefined();
  });

  it("picks the secret's region when the catalog names several, and none when it cannot tell", () => {
    const uk = "https://baremetal-server-uk1-ecl.api.ntt.com";
    const catalog = [standard("jp1"), standard("uk1", uk)];
    expect(catalogEndpoint(catalog, "uk1")).toBe(uk);
    expect(catalogEndpoint(catalog)).toBeUndefined();
    expect(catalogEndpoint(catalog, "sg1")).toBeUndefined();
  });

  it.each([
    ["no catalog", undefined],
    ["no baremetal-server", [service("compute", { public: "https://nova.test" })]],
    ["only an internal endpoint", [service("baremetal-server", { internal: BAREMETAL })]],
    ["neither http nor https", [service("baremetal-server", { public: "ftp://ecl.test/v2/x" })]],
    ["not a URL", [service("baremetal-server", { public: "baremetal" })]],
  ])("names none with %s", (_, catalog) => {
    expect(catalogEndpoint(catalog)).toBeUndefined();
  });
});

describe("the catalog's endpoint in use", () => {
  it("goes from Keystone's answer to the URLs the client calls", async () => {
    const sent: HttpRequest[] = [];
    const send = async (request: HttpRequest) => {
      sent.push(request);
      if (request.url.pathname === "/v3/auth/tokens") {
        return {
          status: 201,
          headers: { "x-subject-token": "tok" },
          body: JSON.stringify({
            token: { expires_at: "2099-01-01T00:00:00.000000Z", catalog: [standard()] },
          }),
        };
      }
      return { status: 200, headers: {}, body: JSON.stringify({ servers: [] }) };
    };
    const credentials = {
      identityEndpoint: "https://keystone-jp1-ecl.api.ntt.com",
      apiKey: "k",
      apiSecret: "s",
      tenantId: TENANT,
    };
    const client = new EclClient({
      tenantId: TENANT,
      send,
      tokens: new KeystoneTokens(() => issueKeystoneToken(send, credentials)),
    });

    await client.listServers();

    expect(sent.map((r) => r.url.href)).toEqual([
      "https://keystone-jp1-ecl.api.ntt.com/v3/auth/tokens",
      `${BAREMETAL}/v2/${TENANT}/servers/detail`,
    ]);
  });

  it("says what to set when there is no endpoint at all, sending nothing to ECL", async () => {
    const sent: HttpRequest[] = [];
    const client = new EclClient({
      tenantId: TENANT,
      send: async (request) => {
        sent.push(request);
        return { status: 200, headers: {}, body: "{}" };
      },
      tokens: new KeystoneTokens(async () => ({ token: "tok", expiresAt: Date.now() + 3600_000 })),
    });
    await expect(client.listServers()).rejects.toThrow(
      "the tenant secret has no api_endpoint and Keystone's catalog names no public baremetal-server endpoint; set api_endpoint",
    );
    expect(sent).toEqual([]);
  });
});

describe("issueKeystoneToken", () => {
  const credentials = {
    identityEndpoint: "https://keystone.test",
    apiKey: "key",
    apiSecret: "secret",
    tenantId: TENANT,
    region: "jp1",
  };
  const answering = (answer: {
    status: number;
    headers?: Record<string, string>;
    body?: string;
  }) => {
    const sent: HttpRequest[] = [];
    return {
      sent,
      send: async (request: HttpRequest) => {
        sent.push(request);
        return { headers: {}, body: "", ...answer };
      },
    };
  };

  it("asks as ECL documents: password auth of the key in the default domain, scoped to the tenant", async () => {
    const keystone = answering({
      status: 201,
      headers: { "x-subject-token": "tok" },
      body: JSON.stringify({
        token: {
          expires_at: "2026-11-27T11:00:00.000000Z",
          catalog: [standard(), service("image", { public: "https://glance.test/" })],
        },
      }),
    });
    const issued = await issueKeystoneToken(keystone.send, credentials);
    expect(issued).toEqual({
      token: "tok",
      expiresAt: Date.parse("2026-11-27T11:00:00.000Z"),
      endpoint: BAREMETAL,
      imageEndpoint: "https://glance.test",
    });
    const [request] = keystone.sent;
    expect(request?.method).toBe("POST");
    expect(request?.url.href).toBe("https://keystone.test/v3/auth/tokens");
    expect(request?.headers).toEqual({
      accept: "application/json",
      "content-type": "application/json",
    });
    expect(JSON.parse(request?.body ?? "")).toEqual({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { domain: { id: "default" }, name: "key", password: "secret" } },
        },
        scope: { project: { id: TENANT } },
      },
    });
  });

  it.each([
    ["no expires_at", JSON.stringify({ token: {} })],
    ["an expires_at that is not a time", JSON.stringify({ token: { expires_at: "soon" } })],
    ["an expires_at that is not a string", JSON.stringify({ token: { expires_at: 5 } })],
    ["a body that is not JSON", "<html>"],
    ["a token that is not an object", JSON.stringify({ token: "x" })],
  ])("%s: kept 15 minutes, and no endpoint named", async (_, body) => {
    const keystone = answering({ status: 201, headers: { "x-subject-token": "tok" }, body });
    const issued = await issueKeystoneToken(keystone.send, credentials, () => 1000);
    expect(issued).toEqual({
      token: "tok",
      expiresAt: 1000 + 15 * 60_000,
      endpoint: undefined,
      imageEndpoint: undefined,
    });
  });

  it("an answer without its X-Subject-Token header is refused as a protocol error", async () => {
    const keystone = answering({ status: 201, body: "{}" });
    await expect(issueKeystoneToken(keystone.send, credentials)).rejects.toThrow(
      "Keystone answered without an X-Subject-Token header",
    );
  });

  it.each([300, 401, 500])(
    "an answer %i is Keystone's error, with its request id",
    async (status) => {
      const keystone = answering({
        status,
        headers: { "x-openstack-request-id": "req-ks" },
        body: JSON.stringify({ error: { code: status, title: "T", message: "no" } }),
      });
      const error = await issueKeystoneToken(keystone.send, credentials).catch((e: unknown) => e);
      expect(error).toMatchObject({
        service: "keystone",
        status,
        method: "POST",
        path: "/v3/auth/tokens",
        apiMessage: "no",
        requestId: "req-ks",
      });
    },
  );
});

describe("catalogEndpoint, on catalogs that are not as documented", () => {
  it.each([
    ["an entry that is not an object", [null, standard()]],
    ["a service without endpoints", [{ type: "baremetal-server" }, standard()]],
    [
      "an endpoint that is not an object",
      [{ type: "baremetal-server", endpoints: [null] }, standard()],
    ],
    [
      "an endpoint without a URL",
      [
        { type: "baremetal-server", endpoints: [{ interface: "public", region: "jp1" }] },
        standard(),
      ],
    ],
  ])("%s is passed over", (_, catalog) => {
    expect(catalogEndpoint(catalog, "jp1")).toBe(BAREMETAL);
  });

  it("a region is matched by its id too", () => {
    const catalog = [
      {
        type: "baremetal-server",
        endpoints: [{ interface: "public", region_id: "jp1", url: `${BAREMETAL}/v2/${TENANT}` }],
      },
    ];
    expect(catalogEndpoint(catalog, "jp1")).toBe(BAREMETAL);
    expect(catalogEndpoint(catalog, "uk1")).toBeUndefined();
  });
});

describe("catalogEndpoint, at its edges", () => {
  it("without a region asked, the only public endpoint is taken, whatever its region", () => {
    expect(catalogEndpoint([standard("jp1")])).toBe(BAREMETAL);
  });
});

describe("catalogEndpoint, regions named either way", () => {
  it("an endpoint naming its region by `region` alone, or by `region_id` alone, is the region's", () => {
    const only = (field: "region" | "region_id") => [
      {
        type: "baremetal-server",
        endpoints: [{ interface: "public", [field]: "jp1", url: `${BAREMETAL}/v2/${TENANT}` }],
      },
    ];
    expect(catalogEndpoint(only("region"), "jp1")).toBe(BAREMETAL);
    expect(catalogEndpoint(only("region_id"), "jp1")).toBe(BAREMETAL);
    expect(catalogEndpoint(only("region"), "uk1")).toBeUndefined();
  });
});
