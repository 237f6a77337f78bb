import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HttpPools } from "../../lib/ecl/http";
import { TenantDirectory } from "../../lib/ecl/tenants";
import { AwsSecretSource } from "../../lib/secrets/aws-secret-source";
import { SecretError } from "../../lib/secrets/secret-source";
import { TenantSecretError } from "../../lib/secrets/tenant-secret";
import { SAMPLE, sampleSecrets } from "../../local/ecl-simulator/sample";
import {
  type SecretsManagerStandIn,
  startSecretsManager,
} from "../../local/stand-ins/secrets-manager";
import {
  type EclFixture,
  eclFixture,
  FAST_RETRY,
  FAST_TIMEOUTS,
  SIMULATOR_HOST,
} from "../support/ecl-fixture";

/**
 * Tenant secrets from the real Secrets Manager SDK client (against a loopback stand-in), tokens
 * from the simulator's Keystone, and calls to the simulator: the whole path of a worker.
 */
let ecl: EclFixture;
let sm: SecretsManagerStandIn;
let pools: HttpPools;

beforeEach(async () => {
  ecl = await eclFixture();
  sm = await startSecretsManager(sampleSecrets(ecl.sim.url));
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.url;
  pools = new HttpPools(FAST_TIMEOUTS, { allow: SIMULATOR_HOST });
});
afterEach(async () => {
  delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  await pools.close();
  await sm.close();
  await ecl.close();
});

const directory = (secrets = new AwsSecretSource()) =>
  new TenantDirectory({ secrets, send: pools.send, retry: FAST_RETRY });
const tokenCalls = () => ecl.sim.requests.filter((r) => r.route === "token");

describe("tenant secrets from Secrets Manager", () => {
  it("reads a secret through the real SDK, once for fifty concurrent readers", async () => {
    sm.latencyMs = 50;
    const source = new AwsSecretSource();

    const values = await Promise.all(
      Array.from({ length: 50 }, () => source.read("bm/tenant/sample")),
    );

    expect(values[0]).toMatchObject({ tenant_id: SAMPLE.tenantId, api_key: SAMPLE.apiKey });
    expect(sm.calls).toEqual([
      { target: "secretsmanager.GetSecretValue", body: { SecretId: "bm/tenant/sample" } },
    ]);
    await source.read("bm/tenant/sample");
    expect(sm.calls).toHaveLength(1);
  });

  it("maps a missing secret to a SecretError naming it", async () => {
    const error = await new AwsSecretSource().read("bm/tenant/nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretError);
    expect(error).toMatchObject({
      kind: "not_found",
      message: 'secret "bm/tenant/nope" does not exist in Secrets Manager',
    });
  });

  it("refuses an invalid tenant secret, naming the field and never the value", async () => {
    sm.secrets.set(
      "bm/tenant/bad",
      JSON.stringify({ tenant_id: SAMPLE.tenantId, region: "jp1", api_key: "hunter2-key" }),
    );
    const error = await directory()
      .get("bm/tenant/bad")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TenantSecretError);
    expect((error as Error).message).toBe(
      'tenant secret "bm/tenant/bad" is invalid: api_secret is missing',
    );
  });
});

describe("the bare-metal endpoint from Keystone's catalog", () => {
  it("serves a secret with no api_endpoint: the token's catalog names it", async () => {
    sm.secrets.set(
      "bm/tenant/lean",
      JSON.stringify({
        tenant_id: SAMPLE.tenantId,
        identity_endpoint: ecl.sim.url,
        api_key: SAMPLE.apiKey,
        api_secret: SAMPLE.apiSecret,
      }),
    );
    const tenant = await directory().get("bm/tenant/lean");
    expect(tenant.apiEndpoint).toBeUndefined();

    const server = await tenant.ecl.showServer(SAMPLE.web01);

    expect(server.name).toBe("web01");
    expect(ecl.sim.requests.map((r) => r.route)).toEqual(["token", "show"]);
  });

  it("lets api_endpoint win over the catalog when the secret gives one", async () => {
    sm.secrets.set(
      "bm/tenant/pinned",
      JSON.stringify({
        tenant_id: SAMPLE.tenantId,
        identity_endpoint: ecl.sim.url,
        // Nothing listens there: only the secret's endpoint is used, so the read fails.
        api_endpoint: "http://127.0.0.1:9",
        api_key: SAMPLE.apiKey,
        api_secret: SAMPLE.apiSecret,
      }),
    );
    const tenant = await directory().get("bm/tenant/pinned");
    const error = await tenant.ecl.showServer(SAMPLE.web01).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "EclNetworkError", origin: "http://127.0.0.1:9" });
    expect(ecl.sim.requests.filter((r) => r.route === "show")).toHaveLength(0);
  });

  it("takes a dashed tenant_id as the 32 digits ECL's URLs use", async () => {
    const dashed = SAMPLE.tenantId.replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
    sm.secrets.set(
      "bm/tenant/dashed",
      JSON.stringify({
        tenant_id: dashed.toUpperCase(),
        identity_endpoint: ecl.sim.url,
        api_key: SAMPLE.apiKey,
        api_secret: SAMPLE.apiSecret,
      }),
    );
    const tenant = await directory().get("bm/tenant/dashed");
    expect((await tenant.ecl.showServer(SAMPLE.web01)).name).toBe("web01");
    const [token, show] = ecl.sim.requests;
    expect(JSON.parse(token?.body ?? "").auth.scope.project.id).toBe(SAMPLE.tenantId);
    expect(show?.path).toBe(`/v2/${SAMPLE.tenantId}/servers/${SAMPLE.web01}`);
  });
});

describe("Keystone tokens", () => {
  it("fifty concurrent calls cause one token request", async () => {
    ecl.sim.setLatency(30);
    const tenant = await directory().get("bm/tenant/sample");

    const servers = await Promise.all(
      Array.from({ length: 50 }, () => tenant.ecl.showServer(SAMPLE.web01)),
    );

    expect(servers.every((s) => s.name === "web01")).toBe(true);
    expect(tokenCalls()).toHaveLength(1);
    const token = tokenCalls()[0];
    expect(JSON.parse(token?.body ?? "").auth.scope.project.id).toBe(SAMPLE.tenantId);
  });

  it("keeps the token across calls and across get()", async () => {
    const tenants = directory();
    await (await tenants.get("bm/tenant/sample")).ecl.showServer(SAMPLE.web01);
    await (await tenants.get("bm/tenant/sample")).ecl.listServers();
    expect(tokenCalls()).toHaveLength(1);
  });

  it("renews the token once after a 401, and the detach goes through", async () => {
    const tenant = await directory().get("bm/tenant/sample");
    await tenant.ecl.showServer(SAMPLE.web01);
    ecl.sim.model.revokeIssuedTokens();

    await tenant.ecl.detachMedia(SAMPLE.web01, SAMPLE.image);

    expect(ecl.sim.requests.map((r) => `${r.route} ${r.status}`)).toEqual([
      "token 201",
      "show 200",
      "action 401",
      "token 201",
      "action 200",
    ]);
  });

  it("explains refused credentials, and reads the secret again next time", async () => {
    sm.secrets.set(
      "bm/tenant/sample",
      JSON.stringify({
        ...sampleSecrets(ecl.sim.url)["bm/tenant/sample"],
        api_secret: "rotated-away",
      }),
    );
    const tenants = directory();
    const error = await (await tenants.get("bm/tenant/sample")).ecl
      .showServer(SAMPLE.web01)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ service: "keystone", status: 401 });

    sm.secrets.set(
      "bm/tenant/sample",
      JSON.stringify(sampleSecrets(ecl.sim.url)["bm/tenant/sample"]),
    );
    const server = await (await tenants.get("bm/tenant/sample")).ecl.showServer(SAMPLE.web01);
    expect(server.name).toBe("web01");
    expect(sm.calls).toHaveLength(2);
  });
});

describe("a fixed token", () => {
  it("is read again from the secret after a 401, so a rotated token is picked up", async () => {
    const tenant = await directory().get("bm/tenant/sample-token");
    ecl.sim.model.rotateToken(SAMPLE.tenantId, SAMPLE.token, "rotated-token");
    sm.secrets.set(
      "bm/tenant/sample-token",
      JSON.stringify({
        ...sampleSecrets(ecl.sim.url)["bm/tenant/sample-token"],
        token: "rotated-token",
      }),
    );

    await tenant.ecl.detachMedia(SAMPLE.web01, SAMPLE.image);

    const actions = ecl.sim.requests.filter((r) => r.route === "action");
    expect(actions.map((r) => [r.headers["x-auth-token"], r.status])).toEqual([
      [SAMPLE.token, 401],
      ["rotated-token", 200],
    ]);
  });

  it("gives up after one 401 when the secret has no new token", async () => {
    const tenant = await directory().get("bm/tenant/sample-token");
    ecl.sim.model.rotateToken(SAMPLE.tenantId, SAMPLE.token);
    await expect(tenant.ecl.detachMedia(SAMPLE.web01, SAMPLE.image)).rejects.toMatchObject({
      status: 401,
    });
    expect(ecl.sim.requests.filter((r) => r.route === "action")).toHaveLength(1);
  });
});
