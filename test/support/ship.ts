/**
 * `npm run package` and `npm run deploy` as a deployer runs them: through npm, so the test holds
 * the script package.json names, offline and with no AWS credentials to find.
 */
import { execFile } from "node:child_process";

export interface ShipResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run <script> -- …args`, in the project, with no credentials and osls's telemetry off. */
export function npmRun(script: "package" | "deploy", args: string[]): Promise<ShipResult> {
  return new Promise((resolve) =>
    execFile(
      "npm",
      ["run", "--silent", script, "--", ...args],
      {
        timeout: 240_000,
        env: {
          ...process.env,
          SLS_TELEMETRY_DISABLED: "1",
          SLS_NOTIFICATIONS_MODE: "off",
          // Nothing to deploy with, whatever this machine holds: a deploy the script lets
          // through fails on credentials, never reaches an account.
          AWS_ACCESS_KEY_ID: "",
          AWS_SECRET_ACCESS_KEY: "",
          AWS_SESSION_TOKEN: "",
          AWS_PROFILE: "",
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        },
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
    ),
  );
}
