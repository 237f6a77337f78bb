/**
 * Sending one detach from a terminal: once the server is idle, never twice. What `bm detach`
 * does for one server and `bm detach --all` for each of its targets.
 */
import type { EclApi } from "../ecl/client";
import { EclApiError } from "../ecl/errors";
import { attachment, isIdle, type Server } from "../ecl/server";
import { describeError } from "../errors";
import { formatElapsed } from "../util/elapsed";
import { plural } from "../util/plural";
import { formatTaskState } from "./format";

export const IMAGE_SEEN = {
  attached: "still attached",
  absent: "gone",
  unknown: "not listed",
} as const;

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The clock, the waits and the output of sending a detach. */
export interface SendOptions {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  intervalMs: number;
  idleWaitMs: number;
  graceMs: number;
  out: (line: string) => void;
  /** Asked before each POST and each wait for idle: true, and nothing (more) is sent (Ctrl-C on a fleet). */
  stopped?: () => boolean;
}

export type Sent =
  | { outcome: "accepted" }
  | { outcome: "absent" }
  | { outcome: "busy"; taskState: string; refusals: number }
  /** {@link SendOptions.stopped} said so before a POST was accepted: nothing more was sent. */
  | { outcome: "stopped" }
  | { outcome: "unknown"; error: unknown };

/**
 * Sends the detach once the server is idle: waits while it is busy, and again after a 409 (ECL
 * took nothing), up to `idleWaitMs` in all. A POST without a readable answer is sent no second
 * time: the server is read for up to `graceMs` for a sign that ECL took it.
 * @throws ECL's refusals other than 409, and failures to read the server.
 */
export async function sendWhenIdle(
  ecl: EclApi,
  first: Server,
  image: string,
  o: SendOptions,
): Promise<Sent> {
  const started = o.now();
  let server = first;
  let refusals = 0;
  let told: string | undefined;
  for (;;) {
    if (o.stopped?.()) return { outcome: "stopped" };
    if (isIdle(server.taskState)) {
      try {
        const accepted = await ecl.detachMedia(server.id, image);
        o.out(
          `ECL accepted the detach of ${image} (${accepted.status}, request id ${accepted.requestId ?? "none"})`,
        );
        return { outcome: "accepted" };
      } catch (error) {
        if (error instanceof EclApiError && error.status === 409) {
          refusals++;
          o.out(
            `ECL answered 409 (task_state not None): a task started on ${server.name} just before the detach reached it, and ECL took nothing; waiting for idle to send it again`,
          );
        } else if (error instanceof EclApiError) {
          throw error;
        } else {
          return readAfterSilence(ecl, server, image, error, o);
        }
      }
    } else if (told !== server.taskState) {
      // Once per task_state seen, not once per poll.
      told = String(server.taskState);
      o.out(
        `${server.name} is busy (task_state ${server.taskState}); ECL accepts a detach only when task_state is None: waiting for idle (up to ${formatElapsed(o.idleWaitMs)})`,
      );
    }
    if (o.now() - started + o.intervalMs > o.idleWaitMs) {
      return { outcome: "busy", taskState: String(server.taskState ?? "None"), refusals };
    }
    await o.sleep(o.intervalMs);
    server = await ecl.showServer(server.id);
    if (attachment(server, image) === "absent") {
      o.out(
        `image ${image} is no longer attached to ${server.name} (detached by someone else?): nothing to detach`,
      );
      return { outcome: "absent" };
    }
  }
}

/** Why a detach was not sent to a server that stayed busy, in a sentence's middle. */
export function busyWords(sent: { taskState: string; refusals: number }, idleWaitMs: number) {
  return `stayed busy (task_state ${sent.taskState}) for ${formatElapsed(idleWaitMs)}; ${sent.refusals > 0 ? `ECL refused the detach ${plural(sent.refusals, "time")} with 409 (task_state not None) and accepted nothing` : "nothing was sent to ECL"}`;
}

/** The POST got no readable answer: the server is read until it shows the detach, or the grace ends. */
async function readAfterSilence(
  ecl: EclApi,
  server: Server,
  image: string,
  error: unknown,
  o: SendOptions,
): Promise<Sent> {
  o.out(
    `ECL did not answer the detach (${describeError(error)}); reading ${server.name} for a sign that ECL took it`,
  );
  const started = o.now();
  for (;;) {
    await o.sleep(o.intervalMs);
    let seen: Server | undefined;
    try {
      seen = await ecl.showServer(server.id);
    } catch (readError) {
      o.out(`could not read the server (${describeError(readError)}); trying again`);
    }
    if (seen && (!isIdle(seen.taskState) || attachment(seen, image) === "absent")) {
      o.out(
        `the server shows the detach under way (task_state ${formatTaskState(seen.taskState)}, image ${IMAGE_SEEN[attachment(seen, image)]}): ECL took it`,
      );
      return { outcome: "accepted" };
    }
    if (o.now() - started + o.intervalMs > o.graceMs) return { outcome: "unknown", error };
  }
}
