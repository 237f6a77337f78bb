/**
 * The `bm` command as a user runs it: a child process with a secrets file for the simulator.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sampleSecrets } from "../../local/ecl-simulator/sample";

export interface BmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A secrets file for the simulator at `url`, and a way to run `bm` with it. */
export async function bmCommand(url: string) {
  const dir = await mkdtemp(join(tmpdir(), "bm-cli-"));
  const secrets = join(dir, "secrets.json");
  await writeFile(secrets, JSON.stringify(sampleSecrets(url)));
  return {
    run: (...args: string[]): Promise<BmResult> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          ["bin/bm.js", ...args],
          {
            env: {
              PATH: process.env.PATH,
              BM_SECRETS_FILE: secrets,
              BM_TENANT_SECRET: "bm/tenant/sample",
              // The simulator is on 127.0.0.1: plain http to an IP address, listed as allowed.
              BM_ECL_ENDPOINT_ALLOW: "127.0.0.1",
            },
          },
          (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
      }),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
