/**
 * `npm run doctor -- [--timeout <ms>]`: checks an installation end to end, as its functions see
 * it, one line per check (docs/deploy.md#check-it-npm-run-doctor). It reads the functions' own
 * variables (BM_POLICY, BM_SLACK_SECRET_ID, BM_TABLE, BM_AUDIT_TABLE, BM_QUEUE_URL, AWS_REGION,
 * …) and the roles' (BM_WORKER_ROLE_ARN, …, from the stack's outputs); with none of them set,
 * those of the local stack that `npm start` runs. Exit 0 when every check holds, 1 when one
 * fails, 2 for a mistake in the command.
 */
import { parseArgs } from "node:util";
import { runDoctor } from "../lib/doctor/doctor";
import { exitCode, formatLine, summary } from "../lib/doctor/report";
import { doctorFromEnv } from "../lib/runtime/doctor";

// Node 20 here, 22 on Lambda: the SDK's warning about it is noise on a terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const USAGE = `usage: npm run doctor -- [--timeout <ms>]
  Checks the installation the functions' variables name (BM_POLICY, BM_SLACK_SECRET_ID,
  BM_TABLE, BM_AUDIT_TABLE, BM_QUEUE_URL, AWS_REGION, …), and each function's role
  (BM_SLACK_ROLE_ARN, BM_WORKER_ROLE_ARN, BM_FOLLOWUP_ROLE_ARN, BM_AUDIT_CHECK_ROLE_ARN: the
  stack's outputs); with none set, the local stack of \`npm start\` (BM_PORT, 3000 unless set).
  --timeout: how long each check may take (5000).
  Exit 0: every check holds; 1: a check failed; 2: a mistake in the command.
`;

const mistake = (message: string): never => {
  process.stderr.write(`doctor: ${message}\n${USAGE}`);
  process.exit(2);
};

let values: { timeout?: string | undefined; help?: boolean | undefined } = {};
try {
  ({ values } = parseArgs({
    options: { timeout: { type: "string", default: "5000" }, help: { type: "boolean" } },
  }));
} catch (error) {
  mistake((error as Error).message);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const timeoutMs = Number(values.timeout);
if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
  mistake(`--timeout must be a whole number of milliseconds, not "${values.timeout}"`);

/** The variables the functions read that say where an installation is. */
const WHERE = ["BM_POLICY", "BM_SLACK_SECRET_ID", "BM_TABLE", "BM_AUDIT_TABLE", "BM_QUEUE_URL"];

/** The local stack's variables, from the `npm start` that runs it. */
async function localStackEnv(): Promise<NodeJS.ProcessEnv> {
  const url = `http://127.0.0.1:${process.env.BM_PORT ?? 3000}/_local/env`;
  const found = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    .then((r) => (r.ok ? (r.json() as Promise<Record<string, string>>) : undefined))
    .catch(() => undefined);
  if (!found) {
    process.stderr.write(
      `doctor: none of ${WHERE.join(", ")} is set, and no local stack answers at ${url}: set the functions' variables (docs/deploy.md#check-it-npm-run-doctor), or start the local stack with \`npm start\`\n`,
    );
    process.exit(1);
  }
  // dynalite and the stand-ins take any credentials; the SDK wants some. The SDK reads its
  // endpoints and credentials from the process's environment, as the functions' do.
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" }, found);
  return process.env;
}

const env = WHERE.some((name) => process.env[name]?.trim()) ? process.env : await localStackEnv();
const doctor = (() => {
  try {
    return doctorFromEnv(env, timeoutMs);
  } catch (error) {
    // A ConfigError names each variable missing or wrong, and never a value of a secret.
    return mistake((error as Error).message);
  }
})();
const started = Date.now();
const lines = await runDoctor(doctor.ports, doctor.plan);
await doctor.close();
for (const line of lines) process.stdout.write(`${formatLine(line)}\n`);
process.stdout.write(`${summary(lines, Date.now() - started)}\n`);
process.exit(exitCode(lines));
