/**
 * The process around {@link runCli}: real secrets, real HTTP, and the exit code.
 */
import { ConfigError, readEclEndpointAllow } from "../config";
import { HttpPools } from "../ecl/http";
import { TenantDirectory } from "../ecl/tenants";
import type { HostPatterns } from "../net/endpoint-rule";
import { secretSourceFromEnv } from "../secrets/from-env";
import { runCli } from "./main";

let allow: HostPatterns | undefined;
try {
  allow = readEclEndpointAllow();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`bm: ${error.message}\n`);
  process.exitCode = 2;
}
if (allow) {
  const pools = new HttpPools({}, { allow });
  const tenants = new TenantDirectory({ secrets: secretSourceFromEnv(), send: pools.send });
  process.exitCode = await runCli(process.argv.slice(2), {
    openTenant: async (secretId) => (await tenants.get(secretId)).ecl,
    // The first Ctrl-C from then on aborts the signal; a second, unheard, ends bm.
    interrupts: () => {
      const controller = new AbortController();
      process.once("SIGINT", () => controller.abort());
      return controller.signal;
    },
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  }).finally(() => pools.close());
}
