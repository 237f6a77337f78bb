/**
 * ECL for the local stack: the simulator with the sample tenant and servers, and the sample
 * secrets pointed at it.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Unkindness } from "../ecl-simulator/model";
import { seedSample, seedSampleFleet } from "../ecl-simulator/sample";
import { type EclSimulator, startEclSimulator } from "../ecl-simulator/server";
import type { Closers } from "./closers";

/** The simulator on `port` (0 for a free one), seeded with the sample servers. */
export async function startEcl(
  closers: Closers,
  options: {
    port?: number | undefined;
    taskMs: number;
    unkind: Unkindness;
    /** The sample fleet too (node01…node30 with the installer ISO). */
    fleet?: boolean | undefined;
    log: (l: string) => void;
  },
): Promise<EclSimulator> {
  const ecl = await startEclSimulator({
    port: options.port ?? 0,
    taskMs: options.taskMs,
    unkind: options.unkind,
    log: (l) => options.log(`ecl: ${l}`),
  });
  seedSample(ecl.model);
  if (options.fleet) seedSampleFleet(ecl.model);
  closers.last(() => ecl.close());
  return ecl;
}

/** The sample secrets, with the ECL endpoints pointed at the simulator actually started. */
export async function sampleSecrets(
  root: string,
  eclUrl: string | undefined,
): Promise<Record<string, Record<string, unknown>>> {
  const secrets = JSON.parse(
    await readFile(join(root, "infra/local/secrets.json"), "utf8"),
  ) as Record<string, Record<string, unknown>>;
  // The Keystone secret names only Keystone: its catalog names the bare-metal endpoint.
  for (const value of Object.values(secrets)) {
    if (eclUrl && "api_endpoint" in value) value.api_endpoint = eclUrl;
    if (eclUrl && "identity_endpoint" in value) value.identity_endpoint = eclUrl;
  }
  return secrets;
}
