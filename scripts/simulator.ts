/**
 * `npm run simulator`: the ECL simulator with the sample tenant, left running, and a secrets file
 * for it, so that `bm` can be tried by hand. Flags (or `BM_SIMULATOR_*`) make it unkind.
 */
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandLine, usageMistake } from "../local/command-line";
import { sampleSecrets, seedSample } from "../local/ecl-simulator/sample";
import { startEclSimulator } from "../local/ecl-simulator/server";
import {
  describeUnkindness,
  UNKIND_MODES,
  unkindFlagOptions,
  unkindnessFromEnv,
  unkindnessFromFlags,
} from "../local/ecl-simulator/unkind";

const USAGE = `usage: npm run simulator -- [--unkind] ${UNKIND_MODES.map((m) => `[--${m.flag}${m.takes === "number" ? " N" : ""}]`).join(" ")}
  --unkind          every mode below at once
${UNKIND_MODES.map((m) => `  --${`${m.flag}${m.takes === "number" ? " N" : ""}`.padEnd(16)} ${m.help} (${m.env})`).join("\n")}`;

const { values } = commandLine("simulator", USAGE, { options: unkindFlagOptions() });
let unkind: ReturnType<typeof unkindnessFromEnv>;
try {
  unkind = unkindnessFromFlags(values, unkindnessFromEnv(process.env));
} catch (error) {
  // A flag's value out of range, or a BM_SIMULATOR_* variable: said as a mistake in the command.
  usageMistake("simulator", (error as Error).message, USAGE);
}

const port = Number(process.env.BM_SIMULATOR_PORT ?? 8774);
const sim = await startEclSimulator({
  port,
  taskMs: Number(process.env.BM_SIMULATOR_TASK_MS ?? 10_000),
  unkind,
  log: (line) => console.log(`ecl simulator: ${line}`),
});
seedSample(sim.model);
const secretsFile = join(tmpdir(), "bm-simulator-secrets.json");
await writeFile(secretsFile, JSON.stringify(sampleSecrets(sim.url), null, 2));

const modes = describeUnkindness(unkind);
console.log(`ECL simulator on ${sim.url}.${modes.length > 0 ? `\nUnkind:\n  ${modes.join("\n  ")}` : ""}
In another terminal:

  export BM_SECRETS_FILE=${secretsFile} BM_TENANT_SECRET=bm/tenant/sample BM_ECL_ENDPOINT_ALLOW=127.0.0.1
  npx bm status web01
  npx bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 --wait

Ctrl-C stops it.`);
process.on("SIGINT", () => void sim.close().then(() => process.exit(0)));
