import { describe, expect, it } from "vitest";
import { parseTenantSecret, TenantSecretError } from "../../../lib/secrets/tenant-secret";

const TENANT = "b322a85578de48beba0f92acce57869b";

describe("parseTenantSecret", () => {
  it("with Keystone credentials, derives Keystone's URL from the region and leaves the bare-metal endpoint to the catalog", () => {
    expect(
      parseTenantSecret("s", { tenant_id: TENANT, region: "jp1", api_key: "k", api_secret: "v" }),
    ).toEqual({
      tenantId: TENANT,
      apiEndpoint: undefined,
      auth: {
        kind: "keystone",
        identityEndpoint: "https://keystone-jp1-ecl.api.ntt.com",
        apiKey: "k",
        apiSecret: "v",
        region: "jp1",
      },
    });
  });

  it("needs nothing but tenant_id, the keys and identity_endpoint with Keystone", () => {
    const config = parseTenantSecret("s", {
      tenant_id: TENANT,
      identity_endpoint: "https://keystone-jp1-ecl.api.ntt.com/v3",
      api_key: "k",
      api_secret: "v",
    });
    expect(config.apiEndpoint).toBeUndefined();
    expect(config.auth).toMatchObject({ identityEndpoint: "https://keystone-jp1-ecl.api.ntt.com" });
  });

  it("lets a given api_endpoint win over the catalog", () => {
    const config = parseTenantSecret("s", {
      tenant_id: TENANT,
      region: "jp1",
      api_endpoint: "https://proxy.test/ecl",
      api_key: "k",
      api_secret: "v",
    });
    expect(config.apiEndpoint).toBe("https://proxy.test/ecl");
  });

  it("derives the bare-metal endpoint from the region for a fixed token (no catalog)", () => {
    expect(
      parseTenantSecret("s", { tenant_id: TENANT, region: "jp1", token: "t" }).apiEndpoint,
    ).toBe("https://baremetal-server-jp1-ecl.api.ntt.com");
  });

  it.each([
    "B322A855-78DE-48BE-BA0F-92ACCE57869B",
    "b322a855-78de-48be-ba0f-92acce57869b",
    "B322A85578DE48BEBA0F92ACCE57869B",
  ])("takes tenant_id %s as the 32 lowercase digits ECL's URLs use", (given) => {
    expect(parseTenantSecret("s", { tenant_id: given, region: "jp1", token: "t" }).tenantId).toBe(
      TENANT,
    );
  });

  it.each([
    [
      "https://baremetal-server-jp1-ecl.api.ntt.com",
      "https://baremetal-server-jp1-ecl.api.ntt.com",
    ],
    [
      "https://baremetal-server-jp1-ecl.api.ntt.com/",
      "https://baremetal-server-jp1-ecl.api.ntt.com",
    ],
    [
      `https://baremetal-server-jp1-ecl.api.ntt.com/v2/${TENANT}`,
      "https://baremetal-server-jp1-ecl.api.ntt.com",
    ],
    ["https://proxy.example.com/ecl/", "https://proxy.example.com/ecl"],
    ["http://127.0.0.1:8774", "http://127.0.0.1:8774"],
    ["http://localhost:8774/v2", "http://localhost:8774"],
  ])("normalizes api_endpoint %s", (given, expected) => {
    expect(
      parseTenantSecret("s", { tenant_id: TENANT, api_endpoint: given, token: "t" }).apiEndpoint,
    ).toBe(expected);
  });

  it("prefers a given api_endpoint to the region's", () => {
    const config = parseTenantSecret("s", {
      tenant_id: TENANT,
      region: "uk1",
      api_endpoint: "https://x.test",
      token: "t",
    });
    expect(config.apiEndpoint).toBe("https://x.test");
    expect(config.auth).toEqual({ kind: "token", token: "t" });
  });

  it.each([
    `x${TENANT}`,
    `${TENANT}x`,
    `../${TENANT}`,
    "xb322a855-78de-48be-ba0f-92acce57869b",
    "b322a855-78de-48be-ba0f-92acce57869b/..",
  ])("refuses tenant_id %s: a prefix or suffix would reach ECL's URLs", (given) => {
    expect(() => parseTenantSecret("s", { tenant_id: given, region: "jp1", token: "t" })).toThrow(
      /tenant_id/,
    );
  });

  it.each([
    [{}, ["tenant_id is missing"]],
    [{ tenant_id: TENANT, token: "t" }, ["api_endpoint or region is missing"]],
    [{ tenant_id: TENANT, region: "jp1" }, ["token, or api_key and api_secret, is missing"]],
    [{ tenant_id: TENANT, region: "jp1", api_key: "k" }, ["api_secret is missing"]],
    [{ tenant_id: TENANT, region: "jp1", api_secret: "SECRETVALUE" }, ["api_key is missing"]],
    [
      { tenant_id: TENANT, region: "jp1", token: "t", api_key: "k", api_secret: "v" },
      ["give either token, or api_key and api_secret, not both"],
    ],
    [
      { tenant_id: "SECRETVALUE", region: "jp1", token: "t" },
      ["tenant_id must be a tenant (project) id: 32 hexadecimal digits (dashes allowed)"],
    ],
    [
      { tenant_id: `${TENANT}0`, region: "jp1", token: "t" },
      ["tenant_id must be a tenant (project) id: 32 hexadecimal digits (dashes allowed)"],
    ],
    [
      { tenant_id: TENANT, region: "Japan SECRETVALUE", token: "t" },
      ["region must look like jp1 or uk1"],
    ],
    [{ tenant_id: TENANT, region: "jp1", token: 12345 }, ["token must be a string"]],
    [{ tenant_id: TENANT, region: "jp1", token: "" }, ["token must not be empty"]],
    [
      { tenant_id: TENANT, api_endpoint: "SECRETVALUE", token: "t" },
      ["api_endpoint must be a URL"],
    ],
    [
      { tenant_id: TENANT, api_endpoint: "ftp://ecl.example.com", token: "t" },
      ["api_endpoint must be an https URL"],
    ],
    [
      { tenant_id: TENANT, api_endpoint: "https://x.test?SECRETVALUE", token: "t" },
      ["api_endpoint must not have a query or fragment"],
    ],
    [
      { tenant_id: TENANT, api_endpoint: "https://x.test", api_key: "k", api_secret: "v" },
      ["identity_endpoint or region is missing"],
    ],
    ["SECRETVALUE", ["the secret must be a JSON object"]],
    [["SECRETVALUE"], ["the secret must be a JSON object"]],
  ])("%j → %j", (value, problems) => {
    const error = (() => {
      try {
        parseTenantSecret("bm/tenant/x", value);
      } catch (e) {
        return e;
      }
    })() as TenantSecretError;
    expect(error).toBeInstanceOf(TenantSecretError);
    expect(error.problems).toEqual(problems);
    expect(error.message).toBe(`tenant secret "bm/tenant/x" is invalid: ${problems.join("; ")}`);
    expect(error.message).not.toContain("SECRETVALUE");
  });
});
