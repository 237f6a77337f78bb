/**
 * `npm run demo`: the ECL simulator with sample servers, a sample secrets file, and the `bm`
 * command detaching the seed's image from web01 with --wait, printing what happens on both sides.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SAMPLE, sampleSecrets, seedSample } from "../local/ecl-simulator/sample";
import { startEclSimulator } from "../local/ecl-simulator/server";

const dim = (text: string) => (process.stdout.isTTY ? `\x1b[2m${text}\x1b[0m` : text);

const sim = await startEclSimulator({
  taskMs: 6000,
  latencyMs: 40,
  log: (line) => console.log(dim(`    ecl simulator: ${line}`)),
});
seedSample(sim.model);
const dir = await mkdtemp(join(tmpdir(), "bm-demo-"));
const secretsFile = join(dir, "secrets.json");
await writeFile(secretsFile, JSON.stringify(sampleSecrets(sim.url), null, 2));

console.log(`ECL simulator on ${sim.url}; secrets file ${secretsFile}\n`);

/** Runs `bm` as a user would, and returns its exit code. */
function bm(...args: string[]): Promise<number> {
  console.log(`$ bm ${args.join(" ")}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "../bin/bm.js"), ...args], {
      env: {
        ...process.env,
        BM_SECRETS_FILE: secretsFile,
        BM_TENANT_SECRET: "bm/tenant/sample",
        BM_ECL_ENDPOINT_ALLOW: "127.0.0.1",
      },
      stdio: "inherit",
    });
    child.on("exit", (code) => {
      console.log(dim(`(exit ${code})\n`));
      resolve(code ?? 1);
    });
  });
}

let code = 1;
try {
  await bm("status", "web01");
  code = await bm("detach", "web01", SAMPLE.image, "--wait", "--interval", "1");
  await bm("detach", "app", SAMPLE.image);
} finally {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = code;
