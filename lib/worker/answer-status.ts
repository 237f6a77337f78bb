/**
 * `/bm status <server|operation-id>`, answered by the worker (it reads ECL): the server's live
 * state and attached media, and the operations in flight for it, told to the user only, through
 * the slash command's response_url (so it arrives in channels bm was not invited to).
 */

import { isIdle, MEDIA_NOT_LISTED } from "../ecl/server";
import { describeError, isPassing } from "../errors";
import { stateOf } from "../operations/fleet";
import {
  type AuditEvent,
  type Facts,
  type Fleet,
  isOperationId,
  isTerminal,
  type Operation,
  stateWords,
} from "../operations/operation";
import { auditRead, standaloneEvent } from "../operations/standalone-event";
import type { StatusRequest } from "../operations/work-message";
import { boundTo } from "../policy/in-force";
import {
  mayRecheck,
  unseenOf,
  unseenOperation,
  unseenWords,
  visibleTo,
} from "../policy/permissions";
import { message } from "../slack/blocks";
import type { SlackMessage } from "../slack/chat";
import { fleetCountsWords, whatOf } from "../slack/fleet-words";
import { code, join, listOf, type Mrkdwn, md, user } from "../slack/mrkdwn";
import { SlackApiError } from "../slack/slack-error";
import { formatElapsed } from "../util/elapsed";
import { MAX_RECEIVES, type WorkerDeps } from "./process-message";
import { recheck } from "./recheck";
import { RetryLater } from "./retry-later";

/** How many attached images and operations in flight the answer lists before "… and N more". */
const SHOWN = 10;

export async function answerStatus(
  deps: WorkerDeps,
  request: StatusRequest,
  receiveCount: number,
): Promise<void> {
  let said: Said;
  try {
    said = await statusText(deps, request);
  } catch (error) {
    if (isPassing(error) && receiveCount < MAX_RECEIVES)
      throw new RetryLater(describeError(error), { cause: error });
    said = {
      text: md`bm could not look up ${code(request.target)}: ${describeError(error)}`,
      facts: { answer: "failed", error: error instanceof Error ? error.name : typeof error },
    };
  }
  const delivered = await answerPrivately(deps, request, message(said.text), {
    status: request.target,
  });
  // Once the answer is given (or refused for good): a redelivery would read and answer again.
  await auditRead(deps, statusEvent(request, said.facts, delivered, deps.now()));
}

/**
 * Tells the asker of a read, through the command's response_url, or ephemerally without one.
 * False when Slack refused it for good (a response_url expired, say): that will not change, so
 * it is dropped, logged with `about`. Any other failure is thrown, for a redelivery.
 */
export async function answerPrivately(
  deps: Pick<WorkerDeps, "chat" | "log">,
  request: Pick<StatusRequest, "responseUrl" | "channelId" | "userId">,
  answer: SlackMessage,
  about: Record<string, string>,
): Promise<boolean> {
  try {
    if (request.responseUrl) await deps.chat.respond(request.responseUrl, answer);
    else await deps.chat.ephemeral(request.channelId, request.userId, answer);
    return true;
  } catch (error) {
    if (!(error instanceof SlackApiError && error.kind === "permanent")) throw error;
    deps.log.warn("Slack refused the answer; not retried", {
      ...about,
      slackError: error.code,
      method: error.method,
    });
    return false;
  }
}

/** What a status answered: its words, and what its audit event keeps of it. */
interface Said {
  text: Mrkdwn;
  facts: Facts;
}

/**
 * The audit event of a status: under the operation asked about, or the read's own id; who asked,
 * where, what, and what was shown (`facts`).
 */
export function statusEvent(
  request: StatusRequest,
  facts: Facts,
  delivered: boolean,
  at: Date,
): AuditEvent {
  return standaloneEvent(
    {
      operationId: isOperationId(request.target)
        ? request.target
        : (request.readId ?? `channel-${request.channelId}`),
      actor: { teamId: request.teamId, userId: request.userId },
      action: "viewed:status",
      facts: {
        channel: request.channelId,
        tenant: request.tenant,
        asked: request.target,
        ...facts,
        ...(delivered ? {} : { delivered: false }),
      },
    },
    at,
  );
}

async function statusText(deps: WorkerDeps, request: StatusRequest): Promise<Said> {
  // The tenant's credentials are used only for a channel bound to it, whatever the message says.
  const bound = boundTo(deps, request);
  if (!bound.ok)
    return {
      text: md`bm did not look up ${code(request.target)}: ${bound.why}.`,
      facts: { answer: "refused", reason: bound.reason },
    };
  // The operations shown are those of channels where the asker may look, under the policy in
  // force: the same rule as /bm history's (visibleTo).
  const sight = await visibleTo(deps, request.tenant, request.userId);
  let op: Operation | undefined;
  let rechecked: Mrkdwn | undefined;
  if (isOperationId(request.target)) {
    op = await deps.store.get(request.target);
    // The same answer whether it exists or not: nothing is told of another channel's operations.
    if (!op || sight(op) !== "shown")
      return {
        text: unseenOperation(request.target, sight.unchecked),
        facts: { answer: op ? "not_visible" : "no_such_operation" },
      };
    if (op.fleet) return fleetStatus({ ...op, fleet: op.fleet }, deps.now());
    if (!op.serverId)
      return {
        text: md`${operationLine(op, deps.now())}\nIts server ${code(op.serverRef)} was never resolved.`,
        facts: { answer: "unresolved", state: op.state },
      };
    // Asking about a timed-out detach re-checks it, as its Re-check button does, for those who
    // may click it.
    if (op.state === "timed_out" && (await mayRecheck(deps, op, request.userId)).ok) {
      const result = await recheck(deps, op, { teamId: request.teamId, userId: request.userId });
      op = result.op;
      rechecked = result.text;
    }
  }
  const tenant = await deps.openTenant(request.secretId);
  const server = op
    ? await tenant.ecl.showServer(op.serverId as string)
    : await tenant.ecl.resolveServer(request.target);
  const unseen: Operation[] = [];
  const inFlight = await deps.store.recentForTenant(request.tenant, 10, (o) => {
    if (o.serverId !== server.id || isTerminal(o.state)) return false;
    if (sight(o) === "shown") return true;
    unseen.push(o);
    return false;
  });
  const left = unseenOf(sight, unseen);
  const others = unseenWords(left);
  const lines = [
    md`*${server.name}* ${code(server.id)}: ${server.status ?? "?"}, power ${server.powerState ?? "?"}, task_state ${server.taskState ?? "None"} (${isIdle(server.taskState) ? "idle" : "busy"})`,
    server.mediaIds === undefined
      ? md`Media: not listed. ${MEDIA_NOT_LISTED}.`
      : md`Media: ${server.mediaIds.length > 0 ? listOf(server.mediaIds.map(code), SHOWN) : "none attached"}`,
  ];
  if (op) lines.unshift(operationLine(op, deps.now()));
  if (rechecked) lines.unshift(rechecked);
  lines.push(
    inFlight.length > 0
      ? md`In flight: ${listOf(
          inFlight.map((o) => operationLine(o, deps.now())),
          SHOWN,
          "; ",
        )}${others.text ? md`; ${others}` : ""}`
      : others.text
        ? md`No operation in flight for it that you may see; ${others}.`
        : md`No operation in flight for it.`,
  );
  return {
    text: join(lines, "\n"),
    facts: {
      answer: "shown",
      ...(op ? { state: op.state } : {}),
      server: server.id,
      inFlight: inFlight.length,
      hidden: left.hidden,
      unchecked: left.unchecked,
    },
  };
}

function operationLine(op: Operation, now: Date): Mrkdwn {
  const of = op.parentId ? md` (of fleet ${code(op.parentId)})` : "";
  return md`${code(op.id)}${of} ${stateWords(op.state)}, image ${code(op.imageId)}, requested by ${user(op.requester)} ${formatElapsed(now.getTime() - Date.parse(op.createdAt))} ago`;
}

/** How many of a fleet's targets its status names, each with its operation's id. */
export const TARGETS_SHOWN = 20;

/**
 * A fleet request's status, from the table alone (its targets' states as its tally holds them):
 * one line with its counts, then its targets by name, each with its own operation's id and
 * state, the first {@link TARGETS_SHOWN}. A target's server is asked about with `/bm status`
 * of that id, which reads ECL.
 */
export function fleetStatus(op: Operation & { fleet: Fleet }, now: Date): Said {
  const targets = op.fleet.targets;
  const lines = [
    md`${operationLine(op, now)}: ${whatOf(op)}${fleetCountsWords(op) ? md`, ${fleetCountsWords(op)}` : ""}.`,
  ];
  if (op.outcome) lines.push(md`${op.outcome}`);
  if (targets.length > 0)
    lines.push(
      md`Targets: ${listOf(
        targets.map((t) => md`${code(t.serverName)} ${code(t.opId)} ${stateWords(stateOf(op, t))}`),
        TARGETS_SHOWN,
        "; ",
      )}. Each target's server: ${code("/bm status OPERATION-ID")} of its id.`,
    );
  return {
    text: join(lines, "\n"),
    facts: { answer: "shown", state: op.state, fleet: true, targets: targets.length },
  };
}
