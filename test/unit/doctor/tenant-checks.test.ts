import { describe, expect, it } from "vitest";
import { checkTenant } from "../../../lib/doctor/tenant-checks";
import { EclNetworkError, EclProtocolError } from "../../../lib/ecl/errors";
import { eclStatus, goodPorts, TENANT_ID } from "./fakes";

const TENANT = { name: "prod", secretId: "bm/tenant/prod" };
const CONTEXT = { region: "ap-northeast-1", timeoutMs: 50 };
const PUT =
  "`aws secretsmanager put-secret-value --secret-id bm/tenant/prod --region ap-northeast-1 --secret-string '{…}'`";
type Context = { region: string | undefined; timeoutMs: number };
const run = (ports = goodPorts(), context: Context = CONTEXT) =>
  checkTenant(ports, TENANT, context);
const texts = async (ports = goodPorts(), context: Context = CONTEXT) =>
  (await run(ports, context)).map((l) => `${l.ok ? "ok" : "FAIL"} ${l.check}: ${l.text}`);

describe("checkTenant", () => {
  it("with Keystone credentials: the secret, Keystone, the catalog's endpoint", async () => {
    const ports = goodPorts();
    const asked: unknown[] = [];
    ports.ecl.token = async (c) => {
      asked.push(c);
      return { token: "tok", expiresAt: 0, endpoint: "https://baremetal.example/x" };
    };
    ports.ecl.firstPage = async (t) => {
      asked.push(t);
      return 1;
    };
    expect(await texts(ports)).toEqual([
      "ok tenant prod: secret: bm/tenant/prod holds a tenant id and Keystone credentials",
      "ok tenant prod: Keystone: https://keystone.example issues a token",
      "ok tenant prod: endpoint: https://baremetal.example lists servers (1 on the first page)",
    ]);
    expect(asked).toEqual([
      {
        identityEndpoint: "https://keystone.example",
        apiKey: "k",
        apiSecret: "s",
        tenantId: TENANT_ID,
        region: undefined,
      },
      { apiEndpoint: "https://baremetal.example/x", tenantId: TENANT_ID, token: "tok" },
    ]);
  });

  it("prefers the secret's api_endpoint to the catalog's", async () => {
    const ports = goodPorts();
    ports.secrets["bm/tenant/prod"] = {
      ...ports.secrets["bm/tenant/prod"],
      api_endpoint: "https://mine.example",
    };
    let used = "";
    ports.ecl.firstPage = async (t) => {
      used = t.apiEndpoint;
      return 0;
    };
    expect((await texts(ports))[2]).toBe(
      "ok tenant prod: endpoint: https://mine.example lists servers (0 on the first page)",
    );
    expect(used).toBe("https://mine.example");
  });

  it("with a token: no Keystone call, the secret's endpoint", async () => {
    const ports = goodPorts();
    ports.secrets["bm/tenant/prod"] = { tenant_id: TENANT_ID, token: "t", region: "jp1" };
    ports.ecl.token = async () => {
      throw new Error("asked");
    };
    let token = "";
    ports.ecl.firstPage = async (t) => {
      token = t.token;
      return 2;
    };
    expect(await texts(ports)).toEqual([
      "ok tenant prod: secret: bm/tenant/prod holds a tenant id and a token",
      "ok tenant prod: Keystone: not asked: the secret holds a token",
      "ok tenant prod: endpoint: https://baremetal-server-jp1-ecl.api.ntt.com lists servers (2 on the first page)",
    ]);
    expect(token).toBe("t");
  });

  it("names a secret that is not there, with the command that creates it", async () => {
    const ports = goodPorts();
    delete ports.secrets["bm/tenant/prod"];
    expect(await texts(ports)).toEqual([
      "FAIL tenant prod: secret: secret \"bm/tenant/prod\" was not found: create it with `aws secretsmanager create-secret --name bm/tenant/prod --region ap-northeast-1 --secret-string '{…}'`",
    ]);
    expect(await texts(ports, { timeoutMs: 50, region: undefined })).toEqual([
      "FAIL tenant prod: secret: secret \"bm/tenant/prod\" was not found: create it with `aws secretsmanager create-secret --name bm/tenant/prod --secret-string '{…}'`",
    ]);
  });

  it("names the fields of a secret of the wrong shape, and the fix", async () => {
    const ports = goodPorts();
    ports.secrets["bm/tenant/prod"] = { tenant_id: TENANT_ID, api_key: "k" };
    expect(await texts(ports)).toEqual([
      `FAIL tenant prod: secret: tenant secret "bm/tenant/prod" is invalid: api_secret is missing: fix it with ${PUT} (its fields: docs/deploy.md#tenant-secrets)`,
    ]);
  });

  it("gives the fix without a region when none is known", async () => {
    const ports = goodPorts();
    ports.secrets["bm/tenant/prod"] = { tenant_id: TENANT_ID, api_key: "k" };
    expect(await texts(ports, { timeoutMs: 50, region: undefined })).toEqual([
      "FAIL tenant prod: secret: tenant secret \"bm/tenant/prod\" is invalid: api_secret is missing: fix it with `aws secretsmanager put-secret-value --secret-id bm/tenant/prod --secret-string '{…}'` (its fields: docs/deploy.md#tenant-secrets)",
    ]);
  });

  it.each([
    [
      eclStatus(401, "keystone"),
      `https://keystone.example refused the api_key and api_secret (401): were they rotated? Put the current ones (ECL portal, API key) in bm/tenant/prod: ${PUT}`,
    ],
    [
      eclStatus(500, "keystone"),
      "https://keystone.example: ECL Keystone answered 500 (compute fault)",
    ],
    [
      new EclNetworkError("connection", "POST", "https://keystone.example"),
      "https://keystone.example: ECL at https://keystone.example could not be reached: check the secret's region or identity_endpoint",
    ],
  ])("says what Keystone did: %s", async (error, text) => {
    const ports = goodPorts();
    ports.ecl.token = async () => {
      throw error;
    };
    const lines = await run(ports);
    expect(lines.slice(1)).toEqual([{ ok: false, check: "tenant prod: Keystone", text }]);
  });

  it("says the catalog names no endpoint, in the secret's region if it has one", async () => {
    const ports = goodPorts();
    ports.ecl.token = async () => ({ token: "tok", expiresAt: 0 });
    expect((await texts(ports))[2]).toBe(
      "FAIL tenant prod: endpoint: Keystone's catalog names no public baremetal-server endpoint: is the secret's region this tenant's? Set region (or api_endpoint) in bm/tenant/prod",
    );
    ports.secrets["bm/tenant/prod"] = { ...ports.secrets["bm/tenant/prod"], region: "uk1" };
    expect((await texts(ports))[2]).toBe(
      "FAIL tenant prod: endpoint: Keystone's catalog names no public baremetal-server endpoint in region uk1: is the secret's region this tenant's? Set region (or api_endpoint) in bm/tenant/prod",
    );
  });

  it.each([
    [401, ": is it this tenant's region? Check region (or api_endpoint) in the secret"],
    [403, ": is it this tenant's region? Check region (or api_endpoint) in the secret"],
    [404, ": is it this tenant's region? Check region (or api_endpoint) in the secret"],
    [503, ""],
  ])("says what the endpoint answered: %i", async (status, hint) => {
    const ports = goodPorts();
    ports.ecl.firstPage = async () => {
      throw eclStatus(status);
    };
    const [line] = (await run(ports)).slice(2);
    expect(line?.ok).toBe(false);
    expect(line?.text).toBe(`https://baremetal.example: ${eclStatus(status).message}${hint}`);
  });

  it("says an endpoint that cannot be reached, or answers what bm cannot read", async () => {
    const ports = goodPorts();
    ports.ecl.firstPage = async () => {
      throw new EclNetworkError("timeout", "GET", "https://baremetal.example");
    };
    expect((await texts(ports))[2]).toBe(
      "FAIL tenant prod: endpoint: https://baremetal.example: ECL at https://baremetal.example did not answer in time: check region (or api_endpoint) in the secret, and that bm's network reaches it",
    );
    ports.ecl.firstPage = async () => {
      throw new EclProtocolError("ECL listed servers without a servers array");
    };
    expect((await texts(ports))[2]).toBe(
      "FAIL tenant prod: endpoint: https://baremetal.example: ECL listed servers without a servers array",
    );
  });

  it("gives each step the timeout", async () => {
    const ports = goodPorts();
    ports.ecl.firstPage = () => new Promise(() => {});
    expect((await texts(ports))[2]).toBe(
      "FAIL tenant prod: endpoint: https://baremetal.example: no answer within 0.05 s",
    );
  });
});
