/**
 * `bm detach --all IMAGE-ID [--match PREFIX]`: the fleet request from a terminal. The targets are
 * those the worker names for `/bm detach --all` (the same list, the same {@link targetsOf}); each
 * is detached by the single server's path ({@link sendWhenIdle}, {@link waitForDetach}), at most
 * `inFlight` at once, with one line each time a count changes.
 */
import type { EclApi } from "../ecl/client";
import { attachment } from "../ecl/server";
import { waitForDetach } from "../ecl/wait-for-detach";
import { describeError } from "../errors";
import {
  countsOf,
  countsWords,
  fleetEnd,
  fleetOutcome,
  targetsOf,
  unknownsWords,
} from "../operations/fleet";
import type { Fleet, FleetTarget, TargetState } from "../operations/operation";
import { formatElapsed } from "../util/elapsed";
import { plural } from "../util/plural";
import { stamp } from "./format";
import { busyWords, sendWhenIdle } from "./send";

/** What `bm detach --all` was asked. */
export interface FleetAsk {
  image: string;
  match: string | undefined;
  /** Targets at most in flight at once. */
  inFlight: number;
  wait: boolean;
  intervalMs: number;
  timeoutMs: number;
  idleWaitMs: number;
  graceMs: number;
}

/** The terminal and the clock of a fleet. */
export interface FleetIo {
  out: (line: string) => void;
  err: (line: string) => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Aborted by Ctrl-C: nothing more is sent. */
  interrupted: AbortSignal;
}

/** How many targets the first line names before "and N more". */
const NAMED = 5;

/** How one target ended, and in whose words (ECL's, or bm's; "" for none). */
type Ended = { state: TargetState; why: string };

/** The words of a target that ended done or cancelled: the outcome names none of those. */
const UNSAID = "";

/** The ends said on a line of their own, as they are said. */
const SAID_AS: Partial<Record<TargetState, string>> = { failed: "failed", timed_out: "timed out" };

/**
 * Lists the tenant's servers, names the targets, detaches the image from each, and says the
 * outcome. Exit 0 when every target ended done or had nothing to detach (or there was none),
 * else 1.
 * @throws what listing the servers throws.
 */
export async function detachAll(
  ecl: EclApi,
  tenant: string,
  ask: FleetAsk,
  io: FleetIo,
): Promise<number> {
  const named = targetsOf(await ecl.listServers(), ask.image, ask.match);
  const unknown = unknownsWords(named.unknowns);
  const which = ask.match === undefined ? "" : ` whose name starts with "${ask.match}"`;
  if (named.targets.length === 0) {
    io.out(`no server${which} in ${tenant} has image ${ask.image} attached: nothing to detach`);
    if (unknown) io.out(unknown);
    return 0;
  }
  const targets: FleetTarget[] = named.targets.map((t) => ({ ...t, opId: t.serverId }));
  const names = targets.slice(0, NAMED).map((t) => t.serverName);
  const more = targets.length > NAMED ? ` and ${targets.length - NAMED} more` : "";
  io.out(
    `${plural(targets.length, "server")}${which} in ${tenant} with image ${ask.image} attached: ${names.join(", ")}${more}`,
  );
  if (unknown) io.out(unknown);

  const fleet: Fleet = { targets };
  const tally: Record<string, TargetState> = {};
  const said: Record<string, string> = {};
  const op = { fleet, tally };
  const started = io.now();
  let shown: string | undefined;
  const count = () => {
    const words = countsWords(countsOf(op), targets.length);
    if (words === shown) return;
    shown = words;
    io.out(`${stamp(io.now() - started)} ${words}`);
  };
  const stopped = () => io.interrupted.aborted;
  const onInterrupt = () => {
    io.out(
      `Ctrl-C: bm sends no more detaches${ask.wait ? "; those sent are waited for (Ctrl-C again stops waiting)" : ""}`,
    );
  };
  io.interrupted.addEventListener("abort", onInterrupt);

  await new Promise<void>((resolve) => {
    let next = 0;
    let running = 0;
    const launch = () => {
      while (!stopped() && running < ask.inFlight && next < targets.length) {
        const target = targets[next++] as FleetTarget;
        running++;
        tally[target.opId] = "detaching";
        void detachOne(ecl, target, ask, io, stopped).then((ended) => {
          running--;
          tally[target.opId] = ended.state;
          said[target.opId] = ended.why;
          const as = SAID_AS[ended.state];
          if (as) io.out(`${target.serverName} ${as}: ${ended.why}`);
          launch();
          count();
          if (running === 0) resolve();
        });
      }
    };
    launch();
    count();
    // Ctrl-C before the first was sent.
    if (running === 0) resolve();
  });
  io.interrupted.removeEventListener("abort", onInterrupt);

  // Queued only when Ctrl-C stopped the fleet: not sent, and never to be.
  for (const target of targets)
    if ((tally[target.opId] ?? "queued") === "queued") tally[target.opId] = "cancelled";
  count();
  const outcome = fleetOutcome(op, said);
  if (!stopped() && fleetEnd(op) === "done") {
    io.out(
      ask.wait
        ? `outcome: ${outcome}`
        : `outcome: ${outcome} (done: ECL accepted the detach; follow each with bm status <server>, or add --wait)`,
    );
    return 0;
  }
  io.err(`bm: not every target ended done: ${outcome}`);
  return 1;
}

/** One target: read afresh (its turn may come long after the list), sent once, waited for if asked. */
async function detachOne(
  ecl: EclApi,
  target: FleetTarget,
  ask: FleetAsk,
  io: FleetIo,
  stopped: () => boolean,
): Promise<Ended> {
  const gone: Ended = { state: "noop", why: "no longer attached" };
  try {
    const server = await ecl.showServer(target.serverId);
    if (attachment(server, ask.image) === "absent") return gone;
    const sent = await sendWhenIdle(ecl, server, ask.image, {
      now: io.now,
      sleep: io.sleep,
      intervalMs: ask.intervalMs,
      idleWaitMs: ask.idleWaitMs,
      graceMs: ask.graceMs,
      // Per target, only its end is said: the count says the rest.
      out: () => {},
      stopped,
    });
    if (sent.outcome === "absent") return gone;
    if (sent.outcome === "stopped") return { state: "cancelled", why: UNSAID };
    if (sent.outcome === "busy") return { state: "failed", why: busyWords(sent, ask.idleWaitMs) };
    if (sent.outcome === "unknown")
      return {
        state: "timed_out",
        why: `whether ECL accepted the detach is unknown (${describeError(sent.error)}); bm never sends it twice: bm status ${target.serverId}`,
      };
    if (!ask.wait) return { state: "done", why: UNSAID };
    const result = await waitForDetach(ecl, target.serverId, ask.image, {
      intervalMs: ask.intervalMs,
      timeoutMs: ask.timeoutMs,
      graceMs: ask.graceMs,
      now: io.now,
      sleep: io.sleep,
    });
    if (result.outcome !== "timed_out") return { state: "done", why: UNSAID };
    return {
      state: "timed_out",
      why: `gave up waiting after ${formatElapsed(result.elapsedMs)}; the detach may still finish: bm status ${target.serverId}`,
    };
  } catch (error) {
    return { state: "failed", why: describeError(error) };
  }
}

/** The fleet's flags given where they do not belong: the mistake, in a few words, or nothing. */
export function fleetMistake(
  command: string | undefined,
  args: number,
  values: { all?: boolean; match?: string; "in-flight"?: string },
): string | undefined {
  if (values.all !== true) {
    if (values.match !== undefined) return "--match is for bm detach --all <image>";
    if (values["in-flight"] !== undefined) return "--in-flight is for bm detach --all <image>";
    return undefined;
  }
  if (command !== "detach") return "--all is for bm detach --all <image>";
  if (args === 2) return "give a server or --all, not both: bm detach --all <image>";
  return undefined;
}
