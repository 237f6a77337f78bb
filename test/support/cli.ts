/**
 * The `bm` command as a user runs it: a child process with a secrets file for the simulator.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
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
  const env = {
    PATH: process.env.PATH,
    BM_SECRETS_FILE: secrets,
    BM_TENANT_SECRET: "bm/tenant/sample",
    // The simulator is on 127.0.0.1: plain http to an IP address, listed as allowed.
    BM_ECL_ENDPOINT_ALLOW: "127.0.0.1",
  };
  return {
    run: (...args: string[]): Promise<BmResult> =>
      new Promise((resolve) => {
        execFile(process.execPath, ["bin/bm.js", ...args], { env }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
        );
      }),
    /** `bm` started, to be signalled while it runs (a Ctrl-C is `child.kill("SIGINT")`). */
    start: (...args: string[]): { child: ChildProcess; done: Promise<BmResult> } => {
      const child = spawn(process.execPath, ["bin/bm.js", ...args], { env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
      });
      child.stderr.on("data", (chunk) => {
        stderr += chunk;
      });
      const done = new Promise<BmResult>((resolve) => {
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
      return { child, done };
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
