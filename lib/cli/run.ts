/**
 * The process around {@link runCli}: real secrets, real HTTP, and the exit code.
 */
import { HttpPools } from "../ecl/http";
import { TenantDirectory } from "../ecl/tenants";
import { secretSourceFromEnv } from "../secrets/from-env";
import { runCli } from "./main";

const pools = new HttpPools();
const tenants = new TenantDirectory({ secrets: secretSourceFromEnv(), send: pools.send });

process.exitCode = await runCli(process.argv.slice(2), {
  openTenant: async (secretId) => (await tenants.get(secretId)).ecl,
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}).finally(() => pools.close());
