import { describe, expect, it } from "vitest";
import { parseTenantSecret, TenantSecretError } from "../../../lib/secrets/tenant-secret";

const TENANT = "b322a85578de48beba0f92acce57869b";

/** The whole message a broken secret gets: its id and every problem, never a value. */
const problems = (value: unknown) => {
  try {
    parseTenantSecret("bm/tenant/x", value);
  } catch (error) {
    expect(error).toBeInstanceOf(TenantSecretError);
    expect((error as Error).name).toBe("TenantSecretError");
    return (error as Error).message;
  }
  throw new Error("accepted");
};

describe("a tenant secret's every mistake, word for word", () => {
  it.each([
    ["a list", [], "the secret must be a JSON object"],
    [
      "empty fields",
      {
        tenant_id: "",
        token: "",
        region: "",
        api_key: "",
        api_secret: "",
        identity_endpoint: "",
        api_endpoint: "",
      },
      "tenant_id must not be empty; api_endpoint must not be empty; region must not be empty; token must not be empty; api_key must not be empty; api_secret must not be empty; identity_endpoint must not be empty",
    ],
    [
      "fields of the wrong type",
      {
        tenant_id: 5,
        token: 5,
        region: 5,
        api_key: 5,
        api_secret: 5,
        identity_endpoint: 5,
        api_endpoint: 5,
      },
      "tenant_id must be a string; api_endpoint must be a string; region must be a string; token must be a string; api_key must be a string; api_secret must be a string; identity_endpoint must be a string",
    ],
    [
      "a bad tenant id, region and URLs",
      { tenant_id: "nope", region: "japan", token: "t", identity_endpoint: "x", api_endpoint: "y" },
      "tenant_id must be a tenant (project) id: 32 hexadecimal digits (dashes allowed); api_endpoint must be a URL; region must look like jp1 or uk1; identity_endpoint must be a URL",
    ],
    [
      "a token and keys both",
      { tenant_id: TENANT, region: "jp1", token: "t", api_key: "k", api_secret: "s" },
      "give either token, or api_key and api_secret, not both",
    ],
    [
      "keys without a way to Keystone",
      { tenant_id: TENANT, api_key: "k", api_secret: "s" },
      "identity_endpoint or region is missing",
    ],
    [
      "an ftp identity endpoint",
      {
        tenant_id: TENANT,
        api_key: "k",
        api_secret: "s",
        identity_endpoint: "ftp://keystone.test",
      },
      "identity_endpoint must be an https URL",
    ],
    [
      "an ftp api endpoint",
      { tenant_id: TENANT, token: "t", api_endpoint: "ftp://bm.test" },
      "api_endpoint must be an https URL",
    ],
  ])("%s", (_, value, said) => {
    const message = problems(value);
    expect(message).toBe(`tenant secret "bm/tenant/x" is invalid: ${said}`);
    expect(message).not.toContain("SECRETVALUE");
  });

  it("Keystone's URL from the region, the region kept to choose in the catalog", () => {
    expect(
      parseTenantSecret("s", { tenant_id: TENANT, region: "uk1", api_key: "k", api_secret: "v" })
        .auth,
    ).toEqual({
      kind: "keystone",
      identityEndpoint: "https://keystone-uk1-ecl.api.ntt.com",
      apiKey: "k",
      apiSecret: "v",
      region: "uk1",
    });
    expect(
      parseTenantSecret("s", {
        tenant_id: TENANT,
        identity_endpoint: "https://keystone.test/v3",
        api_key: "k",
        api_secret: "v",
      }).auth,
    ).toEqual({
      kind: "keystone",
      identityEndpoint: "https://keystone.test",
      apiKey: "k",
      apiSecret: "v",
    });
  });
});

describe("a tenant secret, at its edges", () => {
  it("a region is two letters and one or two digits, nothing before or after", () => {
    for (const region of ["xjp1", "jp1x", "jp123"])
      expect(problems({ tenant_id: TENANT, token: "t", region }), region).toBe(
        'tenant secret "bm/tenant/x" is invalid: region must look like jp1 or uk1',
      );
    expect(
      parseTenantSecret("s", { tenant_id: TENANT, token: "t", region: "jp12" }).apiEndpoint,
    ).toBe("https://baremetal-server-jp12-ecl.api.ntt.com");
  });

  it("a fixed token alone has no catalog to name the endpoint: api_endpoint or region is asked for", () => {
    expect(problems({ tenant_id: TENANT, token: "t" })).toBe(
      'tenant secret "bm/tenant/x" is invalid: api_endpoint or region is missing',
    );
    // Neither a token nor keys: both what is missing to sign in and to reach ECL are said.
    expect(problems({ tenant_id: TENANT })).toBe(
      'tenant secret "bm/tenant/x" is invalid: token, or api_key and api_secret, is missing; api_endpoint or region is missing',
    );
  });
});
