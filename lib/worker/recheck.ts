/**
 * Re-check: a timed-out detach is often just a slow one. The server is read again; if ECL now
 * shows the detach finished, the operation moves to done (the re-checker its actor, audited);
 * otherwise the re-check is audited and the server's state is what the asker is told.
 */

import { EclApiError } from "../ecl/errors";
import { attachment, detachFinished, judgedBy, observedState, type Server } from "../ecl/server";
import { describeError, isPassing } from "../errors";
import { endDetachedFirstOfTenant } from "../operations/detached-first";
import {
  type Actor,
  type Operation,
  record,
  stateWords,
  transition,
} from "../operations/operation";
import { announce, commit, flushAudit } from "../operations/record";
import { boundTo } from "../policy/in-force";
import { message } from "../slack/blocks";
import { code, type Mrkdwn, md } from "../slack/mrkdwn";
import { SlackApiError } from "../slack/slack-error";
import { MAX_RECEIVES, type WorkerDeps } from "./process-message";
import { RetryLater } from "./retry-later";

export interface Rechecked {
  op: Operation;
  /** What the asker is told: the outcome, or the server's state now. */
  text: Mrkdwn;
}

/**
 * Reads the server of a timed-out operation and settles what the reading shows. Other states are
 * left as they are (the answer says so).
 * @throws the ECL read's errors other than 404, and DynamoDB's.
 */
export async function recheck(
  deps: WorkerDeps,
  found: Operation,
  actor: Actor,
): Promise<Rechecked> {
  const op = await flushAudit(deps, found);
  if (op.state !== "timed_out" || !op.serverId) {
    return {
      op,
      text: md`${code(op.id)} is ${stateWords(op.state)}: there is nothing to re-check.`,
    };
  }
  const name = code(op.serverName || op.serverRef);
  // The tenant's credentials are used only for a channel bound to it, whatever the item says.
  const bound = boundTo(deps, op);
  if (!bound.ok)
    return { op, text: md`bm did not re-check ${code(op.id)}: ${bound.why}. Nothing changed.` };
  let server: Server;
  try {
    server = await (await deps.openTenant(op.secretId)).ecl.showServer(op.serverId);
  } catch (error) {
    if (error instanceof EclApiError && error.status === 404)
      return {
        op,
        text: md`${name} is gone: ECL answers 404 (not found) for it. Nothing changed.`,
      };
    throw error;
  }
  const now = deps.now();
  const seen = observedState(server);
  const held = attachment(server, op.imageId);
  // The same judgement as the follow-up's: a detach ECL never said it accepted is not judged by
  // task_state.
  const accepted = op.detachStartedAt === undefined ? undefined : Date.parse(op.detachStartedAt);
  const finished = detachFinished(server, op.imageId, accepted, now.getTime(), deps.eclGraceMs);
  const facts = { recheckedBy: actor.userId, taskState: seen.taskState, image: held };
  if (finished) {
    const done = await commit(
      deps,
      op,
      transition(op, "done", actor, now, seen, { ...facts, ...judgedBy(finished) }),
    );
    if (!done) return recheck(deps, (await deps.store.get(op.id)) ?? op, actor);
    await announce(deps, done).catch(() => undefined); // the follow-up posts what is left owed
    // Requests still awaiting approval for this image are moot: told, and ended.
    await endDetachedFirstOfTenant(deps, done).catch((error: unknown) => {
      deps.log.warn(
        "could not look for requests waiting on the image; their approval sends nothing",
        {
          operationId: done.id,
          error: describeError(error),
        },
      );
    });
    return {
      op: done,
      text: md`Re-checked: ${name} is idle and image ${code(op.imageId)} is detached. ${code(op.id)} is done.`,
    };
  }
  const checked = await commit(deps, op, record(op, "recheck", actor, now, seen, facts));
  if (checked) await announce(deps, checked).catch(() => undefined);
  const image =
    held === "attached"
      ? md`with the image attached`
      : held === "absent"
        ? md`with the image gone`
        : md`(ECL does not list its media, so bm cannot tell)`;
  return {
    op: checked ?? op,
    text: md`Re-checked: ${name} still shows task_state ${server.taskState ?? "None"} ${image}. ${code(op.id)} stays timed out; re-check again later, or look in the ECL console.`,
  };
}

/** A Re-check click, in the worker: the answer goes to the clicker alone, in the channel. */
export async function answerRecheck(
  deps: WorkerDeps,
  message_: { operationId: string; userId: string },
  receiveCount = 1,
): Promise<void> {
  const op = await deps.store.get(message_.operationId);
  if (!op) {
    deps.log.warn("no such operation; re-check dropped", { operationId: message_.operationId });
    return;
  }
  let text: Mrkdwn;
  try {
    text = (await recheck(deps, op, { teamId: op.teamId, userId: message_.userId })).text;
  } catch (error) {
    // ECL or DynamoDB failing for a while: tried again, and at the last try the clicker is told.
    if (isPassing(error) && receiveCount < MAX_RECEIVES)
      throw new RetryLater(describeError(error), { cause: error });
    text = md`bm could not re-check ${code(op.id)}: ${describeError(error)}. Nothing changed; click Re-check again later.`;
  }
  try {
    await deps.chat.ephemeral(op.channelId, message_.userId, message(text));
  } catch (error) {
    if (error instanceof SlackApiError && error.kind === "permanent") {
      deps.log.warn("Slack refused the re-check answer; not retried", {
        operationId: op.id,
        slackError: error.code,
      });
      return;
    }
    throw error;
  }
}
