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
    [
      "plain http to a real host",
      [service("baremetal-server", { public: "http://ecl.test/v2/x" })],
    ],
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
