/**
 * The `bm` terminal command: detach media and show a server, with the same lib/ as the Lambdas.
 */
import { parseArgs } from "node:util";
import { describeError } from "../describe-error";
import type { EclApi } from "../ecl/client";
import { EclNetworkError } from "../ecl/errors";
import { hasImage, isIdle } from "../ecl/server";
import { InvalidInputError, parseImageId, parseServerRef } from "../ecl/validate";
import { waitForDetach } from "../ecl/wait-for-detach";
import { formatElapsed } from "../util/elapsed";
import { formatServer, formatTaskState } from "./format";

export const USAGE = `usage:
  bm detach <server> <image> [--secret <secret-id>] [--wait] [--interval <s>] [--timeout <s>]
  bm status <server> [--secret <secret-id>]

  <server>    a server name (exact) or id
  <image>     the id (UUID) of the attached image
  --secret    the tenant secret's id; BM_TENANT_SECRET by default
  --wait      poll until the detach has finished (every --interval s, 3 by default,
              up to --timeout s, 900 by default)

Secrets come from the JSON file named by BM_SECRETS_FILE, or else from AWS Secrets Manager.`;

/** What the CLI needs from outside. */
export interface CliDeps {
  /** The ECL API of the tenant whose secret has this id. */
  openTenant(secretId: string): Promise<EclApi>;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Exit codes: 0 done (or nothing to do), 1 failed, 2 the command line was wrong. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    deps.err(`bm: ${error instanceof Error ? error.message : String(error)}`);
    deps.err(USAGE);
    return 2;
  }
  const { command, positionals: args, values } = parsed;
  if (command === "help" || values.help) {
    deps.out(USAGE);
    return 0;
  }
  const wanted = command === "detach" ? 2 : 1;
  if ((command !== "detach" && command !== "status") || args.length !== wanted) {
    deps.err(
      command && command !== "detach" && command !== "status"
        ? `bm: unknown command "${command}"`
        : "bm: wrong number of arguments",
    );
    deps.err(USAGE);
    return 2;
  }
  const secretId = values.secret ?? deps.env.BM_TENANT_SECRET;
  if (!secretId) {
    deps.err("bm: no tenant secret: give --secret <secret-id> or set BM_TENANT_SECRET");
    return 2;
  }
  const [serverArg = "", imageArg = ""] = args;
  let intervalMs: number;
  let timeoutMs: number;
  try {
    parseServerRef(serverArg);
    if (command === "detach") parseImageId(imageArg);
    intervalMs = seconds(values.interval, 3, "--interval") * 1000;
    timeoutMs = seconds(values.timeout, 900, "--timeout") * 1000;
  } catch (error) {
    deps.err(`bm: ${describeError(error)}`);
    return 2;
  }
  let stage = "reading the server";
  try {
    const ecl = await deps.openTenant(secretId);
    const server = await ecl.resolveServer(serverArg);
    if (command === "status") {
      for (const line of formatServer(server)) deps.out(line);
      return 0;
    }
    const image = parseImageId(imageArg);
    deps.out(`${server.name} (${server.id}): task_state ${formatTaskState(server.taskState)}`);
    if (!hasImage(server, image)) {
      deps.out(`image ${image} is not attached to ${server.name}: nothing to detach`);
      return 0;
    }
    if (!isIdle(server.taskState)) {
      deps.err(
        `bm: ${server.name} is busy (task_state ${server.taskState}); ECL accepts a detach only when task_state is None. Try again when it is idle.`,
      );
      return 1;
    }
    stage = "sending the detach";
    const accepted = await ecl.detachMedia(server.id, image);
    deps.out(
      `ECL accepted the detach of ${image} (${accepted.status}, request id ${accepted.requestId ?? "none"})`,
    );
    if (!values.wait) {
      deps.out(`follow it with: bm status ${server.id}`);
      return 0;
    }
    stage = "waiting for the detach";
    const result = await waitForDetach(ecl, server.id, image, {
      intervalMs,
      timeoutMs,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      onPoll: (poll) => {
        const at = `[${formatElapsed(poll.elapsedMs).padStart(7)}]`;
        if ("error" in poll)
          deps.out(`${at} could not read the server (${describeError(poll.error)}); trying again`);
        else
          deps.out(
            `${at} task_state ${formatTaskState(poll.server.taskState)}, image ${hasImage(poll.server, image) ? "still attached" : "gone"}`,
          );
      },
    });
    if (result.outcome === "detached") {
      deps.out(
        `done in ${formatElapsed(result.elapsedMs)}: ${image} is detached from ${server.name}`,
      );
      return 0;
    }
    deps.err(
      `bm: gave up waiting after ${formatElapsed(result.elapsedMs)}; the detach may still finish: bm status ${server.id}`,
    );
    return 1;
  } catch (error) {
    deps.err(`bm: ${stage}: ${describeError(error)}`);
    if (stage === "sending the detach" && error instanceof EclNetworkError) {
      deps.err(
        `bm: whether ECL accepted the detach is unknown; check with: bm status ${serverArg}`,
      );
    }
    return 1;
  }
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      secret: { type: "string" },
      wait: { type: "boolean" },
      interval: { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  return { command, positionals: rest, values };
}

function seconds(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidInputError(flag, `${flag} must be a positive number of seconds`);
  return n;
}
