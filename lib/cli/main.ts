/**
 * The `bm` terminal command: detach media and show a server, with the same lib/ as the Lambdas.
 */
import type { EclApi, FleetReads } from "../ecl/client";
import { attachment, MEDIA_NOT_LISTED, type Server } from "../ecl/server";
import { InvalidInputError, parseImageId, parseServerRef } from "../ecl/validate";
import { waitForDetach } from "../ecl/wait-for-detach";
import { describeError } from "../errors";
import { FLEET_IN_FLIGHT } from "../operations/fleet";
import { formatElapsed } from "../util/elapsed";
import { readArgs } from "./args";
import { findServer } from "./find-server";
import { detachAll, fleetMistake } from "./fleet";
import { formatServer, formatTaskState, stamp } from "./format";
import { printMedia } from "./media";
import { busyWords, IMAGE_SEEN, realSleep, sendWhenIdle } from "./send";

export const USAGE = `usage:
  bm detach <server> [<image>] [--secret <secret-id>] [--wait] [--interval <s>] [--timeout <s>]
            [--idle-wait <s>] [--grace <s>]
  bm detach --all <image> [--match <prefix>] [--in-flight <n>] [--secret <secret-id>] [--wait]
            [--interval <s>] [--timeout <s>] [--idle-wait <s>] [--grace <s>]
  bm status <server> [--secret <secret-id>]
  bm media [<image>|<server>] [--secret <secret-id>]

  <server>    a server name (exact) or id
  <image>     the id (UUID) of the attached image; without it, bm lists the images attached
  media       the servers with virtual media attached, grouped by image (of one image, or one
              server); how long each has been mounted is in Slack's /bm media
  --all       detach <image> from every server of the tenant that has it attached (those
              /bm detach --all names) and from no other, a line each time a count changes;
              Ctrl-C sends no more
  --match     with --all: only servers whose name starts with <prefix>
  --in-flight with --all: at most <n> detaches in flight at once, ${FLEET_IN_FLIGHT} by default
  --secret    the tenant secret's id; BM_TENANT_SECRET by default
  --wait      poll until the detach has finished (every --interval s, 3 by default,
              up to --timeout s, 900 by default)
  --idle-wait how long to wait for a busy server to be idle before sending (or sending
              again after ECL's 409), 600 s by default
  --grace     how long ECL gets to show a detach whose answer was lost (or, when ECL does
              not list the server's media, a detach it accepted), 30 s by default

Secrets come from the JSON file named by BM_SECRETS_FILE, or else from AWS Secrets Manager.

Exit codes:
  0  done, or nothing to do (no image is attached, or it was detached meanwhile); with
     --all: every target done or with nothing to do, or no server has the image
  1  bm could not do it: no such server, ECL or the secret failed, or the wait gave up;
     with --all: a target failed, was left unknown or timed out, or Ctrl-C stopped it
  2  bm needs more from you: a mistake in the command, the image to detach (none given,
     or one not attached: bm lists those attached), or which of the servers that share
     a name you mean`;

const OPTIONS = {
  secret: { type: "string" },
  wait: { type: "boolean" },
  interval: { type: "string" },
  timeout: { type: "string" },
  "idle-wait": { type: "string" },
  grace: { type: "string" },
  all: { type: "boolean" },
  match: { type: "string" },
  "in-flight": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** What the CLI needs from outside. */
export interface CliDeps {
  /** Ctrl-C from now on, asked by a fleet only: the first aborts the signal, and stops sending. */
  interrupts: () => AbortSignal;
  /** The ECL API of the tenant whose secret has this id. */
  openTenant(secretId: string): Promise<EclApi & FleetReads>;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * `bm detach <server>` without the image: the images attached, by id and (where the image service
 * says) name, then exit 2, for the command needs the one to detach.
 */
async function listImages(ecl: EclApi, server: Server, deps: CliDeps): Promise<number> {
  if (server.mediaIds === undefined) {
    deps.err(`bm: ${MEDIA_NOT_LISTED}; add the image id: bm detach ${server.id} <image>`);
    return 2;
  }
  if (server.mediaIds.length === 0) {
    deps.out(`no image is attached to ${server.name}: nothing to detach`);
    return 0;
  }
  const names = await Promise.all(server.mediaIds.map((id) => ecl.imageName(id)));
  deps.out(`images attached to ${server.name}:`);
  server.mediaIds.forEach((id, i) => {
    deps.out(`  ${id}${names[i] ? `  ${names[i]}` : ""}`);
  });
  deps.err(`bm: give the id of the image to detach: bm detach ${server.name} <image>`);
  return 2;
}

/** `bm media`: 2 for a target bm cannot take, 1 when ECL or the secret failed. */
async function media(deps: CliDeps, secretId: string, target: string | undefined) {
  try {
    if (target !== undefined) parseServerRef(target);
  } catch (error) {
    deps.err(`bm: ${describeError(error)}`);
    return 2;
  }
  try {
    return await printMedia(await deps.openTenant(secretId), target, deps.out);
  } catch (error) {
    deps.err(`bm: listing the media: ${describeError(error)}`);
    return 1;
  }
}

/** Exit codes: as {@link USAGE} says them. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number> {
  const read = readArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  if (!read.ok) {
    deps.err(`bm: ${read.mistake}`);
    deps.err(USAGE);
    return 2;
  }
  const { values } = read.parsed;
  const [command, ...args] = read.parsed.positionals;
  if (command === "help" || values.help) {
    deps.out(USAGE);
    return 0;
  }
  const all = values.all === true;
  const mistake = fleetMistake(command, args.length, values);
  if (mistake) {
    deps.err(`bm: ${mistake}`);
    return 2;
  }
  // With --all, two arguments are a mistake said above.
  const arity = command === "detach" ? [1, 2] : command === "media" ? [0, 1] : [1];
  const known = command === "detach" || command === "status" || command === "media";
  if (!known || !arity.includes(args.length)) {
    deps.err(
      command && !known ? `bm: unknown command "${command}"` : "bm: wrong number of arguments",
    );
    deps.err(USAGE);
    return 2;
  }
  const secretId = values.secret ?? deps.env.BM_TENANT_SECRET;
  if (!secretId) {
    deps.err("bm: no tenant secret: give --secret <secret-id> or set BM_TENANT_SECRET");
    return 2;
  }
  if (command === "media") return media(deps, secretId, args[0]);
  // The arity check above leaves one or two arguments.
  const [serverArg, imageArg = ""] = (all ? ["", args[0]] : args) as [string, string?];
  let inFlight: number;
  let intervalMs: number;
  let timeoutMs: number;
  let idleWaitMs: number;
  let graceMs: number;
  try {
    if (!all) parseServerRef(serverArg);
    if (imageArg) parseImageId(imageArg);
    inFlight = count(values["in-flight"], FLEET_IN_FLIGHT, "--in-flight");
    intervalMs = seconds(values.interval, 3, "--interval") * 1000;
    timeoutMs = seconds(values.timeout, 900, "--timeout") * 1000;
    idleWaitMs = seconds(values["idle-wait"], 600, "--idle-wait") * 1000;
    graceMs = seconds(values.grace, 30, "--grace") * 1000;
  } catch (error) {
    deps.err(`bm: ${describeError(error)}`);
    return 2;
  }
  let stage = all ? "listing the servers" : "reading the server";
  try {
    const ecl = await deps.openTenant(secretId);
    if (all) {
      const clock = { now: deps.now ?? Date.now, sleep: deps.sleep ?? realSleep };
      const image = parseImageId(imageArg);
      return await detachAll(
        ecl,
        `the tenant of secret ${secretId}`,
        {
          image,
          match: values.match,
          inFlight,
          wait: values.wait === true,
          intervalMs,
          timeoutMs,
          idleWaitMs,
          graceMs,
        },
        { ...clock, out: deps.out, err: deps.err, interrupted: deps.interrupts() },
      );
    }
    const found = await findServer(ecl, serverArg, secretId, imageArg);
    if (!("server" in found)) {
      deps.err(found.err);
      for (const line of found.out) deps.out(line);
      return found.code;
    }
    const { server } = found;
    if (command === "status") {
      for (const line of formatServer(server)) deps.out(line);
      return 0;
    }
    deps.out(`${server.name} (${server.id}): task_state ${formatTaskState(server.taskState)}`);
    if (!imageArg) return listImages(ecl, server, deps);
    const image = parseImageId(imageArg);
    const held = attachment(server, image);
    if (held === "absent") {
      // As on Slack: the images attached to choose from ("absent" is said only of media ECL
      // listed), for a typo of the image is not a detach done already.
      deps.out(`image ${image} is not attached to ${server.name}`);
      return listImages(ecl, server, deps);
    }
    if (held === "unknown")
      deps.out(`${MEDIA_NOT_LISTED}; bm sends the detach and lets ECL answer`);
    stage = "sending the detach";
    const clock = { now: deps.now ?? Date.now, sleep: deps.sleep ?? realSleep };
    const sent = await sendWhenIdle(ecl, server, image, {
      ...clock,
      intervalMs,
      idleWaitMs,
      graceMs,
      out: deps.out,
    });
    if (sent.outcome === "busy") {
      deps.err(`bm: ${server.name} ${busyWords(sent, idleWaitMs)}. Try again later.`);
      return 1;
    }
    if (sent.outcome === "unknown") {
      deps.err(`bm: sending the detach: ${describeError(sent.error)}`);
      deps.err(
        `bm: whether ECL accepted the detach is unknown: after ${formatElapsed(graceMs)} the server shows no sign of it${held === "unknown" ? ` (and ${MEDIA_NOT_LISTED})` : ""}. bm never sends a detach twice; check with: bm status ${server.id}`,
      );
      return 1;
    }
    if (sent.outcome === "absent") return 0;
    if (!values.wait) {
      deps.out(`follow it with: bm status ${server.id}`);
      return 0;
    }
    stage = "waiting for the detach";
    const result = await waitForDetach(ecl, server.id, image, {
      intervalMs,
      timeoutMs,
      graceMs,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      onPoll: (poll) => {
        const at = stamp(poll.elapsedMs);
        if ("error" in poll)
          deps.out(`${at} could not read the server (${describeError(poll.error)}); trying again`);
        else
          deps.out(
            `${at} task_state ${formatTaskState(poll.server.taskState)}, image ${IMAGE_SEEN[attachment(poll.server, image)]}`,
          );
      },
    });
    if (result.outcome === "detached") {
      deps.out(
        `done in ${formatElapsed(result.elapsedMs)}: ${image} is detached from ${server.name}`,
      );
      return 0;
    }
    if (result.outcome === "idle_unlisted") {
      deps.out(
        `done in ${formatElapsed(result.elapsedMs)}: ${server.name} is idle again. ECL did not list media for this server, so bm judged completion by task_state alone and cannot confirm that ${image} is gone.`,
      );
      return 0;
    }
    deps.err(
      `bm: gave up waiting after ${formatElapsed(result.elapsedMs)}; the detach may still finish: bm status ${server.id}`,
    );
    return 1;
  } catch (error) {
    deps.err(`bm: ${stage}: ${describeError(error)}`);
    return 1;
  }
}

function count(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidInputError(flag, `${flag} must be a positive whole number`);
  return n;
}

function seconds(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidInputError(flag, `${flag} must be a positive number of seconds`);
  return n;
}
