/**
 * `npm run simulator`: the ECL simulator with the sample tenant, left running, and a secrets file
 * for it, so that `bm` can be tried by hand.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sampleSecrets, seedSample } from "../lib/ecl/simulator/sample";
import { startEclSimulator } from "../lib/ecl/simulator/server";

const port = Number(process.env.BM_SIMULATOR_PORT ?? 8774);
const sim = await startEclSimulator({
  port,
  taskMs: Number(process.env.BM_SIMULATOR_TASK_MS ?? 10_000),
  log: (line) => console.log(`ecl simulator: ${line}`),
});
seedSample(sim.model);
const secretsFile = join(tmpdir(), "bm-simulator-secrets.json");
await writeFile(secretsFile, JSON.stringify(sampleSecrets(sim.url), null, 2));

console.log(`ECL simulator on ${sim.url}. In another terminal:

  export BM_SECRETS_FILE=${secretsFile} BM_TENANT_SECRET=bm/tenant/sample
  npx bm status web01
  npx bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 --wait

Ctrl-C stops it.`);
process.on("SIGINT", () => void sim.close().then(() => process.exit(0)));
