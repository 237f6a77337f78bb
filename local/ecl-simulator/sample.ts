/**
 * Sample data for the simulator: what `npm start`, `npm run demo` and a new user see.
 * Ids come from the seed document, so the sample detach is the seed's own example.
 */
import type { EclModel } from "./model";

export const SAMPLE = {
  tenantId: "b322a85578de48beba0f92acce57869b",
  /** The seed's example token. Not a real credential: it works only against the simulator. */
  token: "62d528dc0cca4827b0ed465efe1c2588",
  apiKey: "sample-api-key",
  apiSecret: "sample-api-secret",
  web01: "c880a4b5-0230-4925-a8f5-16fb48249275",
  /** web010: a second server, the same ISO attached, whose name begins with web01's. */
  web010: "5d1e7c52-8f0b-4b8e-9a41-0f5b2d7c9e13",
  image: "3339fd5f-ec06-4ef8-9337-c1c70218a748",
  otherImage: "6a2f1b8e-5a0d-4f3c-9d7e-2b8c4e1f0a93",
  /** The sample fleet's installer ISO, left mounted on node01…node30 ({@link seedSampleFleet}). */
  installer: "9c1d5e7a-3b2f-4c8d-a6e0-7f4b2d9c1e35",
} as const;

/** How many servers the sample fleet has, each with the installer ISO mounted. */
export const SAMPLE_FLEET_SIZE = 30;

/** Adds the sample tenant and its servers. */
export function seedSample(model: EclModel): void {
  model.addImage(SAMPLE.image, "rescue-ubuntu-22.04.iso");
  model.addImage(SAMPLE.otherImage, "firmware-update-2.4.iso");
  model.addTenant(SAMPLE.tenantId, {
    token: SAMPLE.token,
    apiKey: SAMPLE.apiKey,
    apiSecret: SAMPLE.apiSecret,
  });
  model.addServer(SAMPLE.tenantId, { id: SAMPLE.web01, name: "web01", media: [SAMPLE.image] });
  model.addServer(SAMPLE.tenantId, {
    id: SAMPLE.web010,
    name: "web010",
    media: [SAMPLE.image],
  });
  model.addServer(SAMPLE.tenantId, { id: "0b9e3f4a-7c21-4d5e-8f60-a1b2c3d4e5f6", name: "web02" });
  model.addServer(SAMPLE.tenantId, {
    id: "7f3c2a10-4b5d-4e6f-8a9b-0c1d2e3f4a5b",
    name: "db01",
    media: [SAMPLE.otherImage],
    powerState: "SHUTDOWN",
  });
  // Two servers with one name: bm asks which one is meant.
  model.addServer(SAMPLE.tenantId, {
    id: "11111111-2222-4333-8444-555555555555",
    name: "app",
    media: [SAMPLE.image],
  });
  model.addServer(SAMPLE.tenantId, {
    id: "66666666-7777-4888-9999-aaaaaaaaaaaa",
    name: "app",
    media: [SAMPLE.otherImage],
  });
}

/**
 * The sample fleet, for `npm start` and the playground: node01…node30, the installer ISO left
 * mounted on each after a provisioning wave, as `/bm detach --all` meets it. Not in
 * {@link seedSample}, whose servers the tests count.
 */
export function seedSampleFleet(model: EclModel): void {
  model.addImage(SAMPLE.installer, "installer-rhel-9.4-x86_64.iso");
  for (let i = 1; i <= SAMPLE_FLEET_SIZE; i++)
    model.addServer(SAMPLE.tenantId, {
      id: `9c1d0000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      name: `node${String(i).padStart(2, "0")}`,
      media: [SAMPLE.installer],
    });
}

/**
 * A secrets file's content for the sample tenant: one secret by Keystone (whose catalog names the
 * bare-metal endpoint), one by a fixed token (which needs api_endpoint).
 */
export function sampleSecrets(simulatorUrl: string) {
  return {
    "bm/tenant/sample": {
      tenant_id: SAMPLE.tenantId,
      identity_endpoint: simulatorUrl,
      api_key: SAMPLE.apiKey,
      api_secret: SAMPLE.apiSecret,
    },
    "bm/tenant/sample-token": {
      tenant_id: SAMPLE.tenantId,
      api_endpoint: simulatorUrl,
      token: SAMPLE.token,
    },
  };
}
