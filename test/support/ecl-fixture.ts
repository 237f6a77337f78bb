/**
 * An ECL simulator with the sample tenant, and a client of it over real HTTP.
 */
import { EclClient } from "../../lib/ecl/client";
import { HttpPools, type Timeouts } from "../../lib/ecl/http";
import { StaticTokens, type TokenProvider } from "../../lib/ecl/tokens";
import { hostPatterns } from "../../lib/net/endpoint-rule";
import { SAMPLE, seedSample } from "../../local/ecl-simulator/sample";
import {
  type EclSimulator,
  type SimulatorOptions,
  startEclSimulator,
} from "../../local/ecl-simulator/server";

export interface EclFixture {
  sim: EclSimulator;
  pools: HttpPools;
  /** A client of the sample tenant with the sample's fixed token, unless told otherwise. */
  client(options?: { tokens?: TokenProvider; tenantId?: string }): EclClient;
  close(): Promise<void>;
}

/** The simulator's host, which bm may reach over http as BM_ECL_ENDPOINT_ALLOW lists it. */
export const SIMULATOR_HOST = hostPatterns("127.0.0.1");

/** Short timeouts and backoff, so that fault tests take milliseconds, not seconds. */
export const FAST_TIMEOUTS: Partial<Timeouts> = { connectMs: 500, headersMs: 300, bodyMs: 300 };
export const FAST_RETRY = { retries: 2, baseDelayMs: 10 };
/** Actions get twice a read's time here, as they get far longer than reads in production. */
export const FAST_ACTION_TIMEOUT_MS = 600;

export async function eclFixture(options: SimulatorOptions = {}): Promise<EclFixture> {
  const sim = await startEclSimulator({ taskMs: 200, ...options });
  seedSample(sim.model);
  const pools = new HttpPools(FAST_TIMEOUTS, { allow: SIMULATOR_HOST });
  return {
    sim,
    pools,
    client: (o = {}) =>
      new EclClient({
        apiEndpoint: sim.url,
        tenantId: o.tenantId ?? SAMPLE.tenantId,
        send: pools.send,
        tokens: o.tokens ?? new StaticTokens(SAMPLE.token),
        retry: FAST_RETRY,
        actionTimeoutMs: FAST_ACTION_TIMEOUT_MS,
      }),
    close: async () => {
      await pools.close();
      await sim.close();
    },
  };
}
