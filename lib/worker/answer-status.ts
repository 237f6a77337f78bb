/**
 * `/bm status <server|operation-id>`, answered by the worker (it reads ECL): the server's live
 * state and attached media, and the operations in flight for it, told to the user only.
 */
import { describeError } from "../describe-error";
import { isIdle, type Server } from "../ecl/server";
import { isOperationId, isTerminal, type Operation } from "../operations/operation";
import type { StatusRequest } from "../operations/ports";
import { formatElapsed } from "../util/elapsed";
import { isPassing } from "./classify-error";
import { MAX_RECEIVES, type WorkerDeps } from "./process-message";
import { RetryLater } from "./retry-later";

export async function answerStatus(
  deps: WorkerDeps,
  request: StatusRequest,
  receiveCount: number,
): Promise<void> {
  let text: string;
  try {
    text = await statusText(deps, request);
  } catch (error) {
    if (isPassing(error) && receiveCount < MAX_RECEIVES)
      throw new RetryLater(describeError(error), { cause: error });
    text = `bm could not look up \`${request.target}\`: ${describeError(error)}`;
  }
  await deps.chat.ephemeral(request.channelId, request.userId, { text });
}

async function statusText(deps: WorkerDeps, request: StatusRequest): Promise<string> {
  const tenant = await deps.openTenant(request.secretId);
  let op: Operation | undefined;
  let server: Server;
  if (isOperationId(request.target)) {
    op = await deps.store.get(request.target);
    if (!op || op.tenant !== request.tenant)
      return `There is no request \`${request.target}\` in this channel's tenant.`;
    if (!op.serverId)
      return `${operationLine(op, deps.now())}\nIts server \`${op.serverRef}\` was never resolved.`;
    server = await tenant.ecl.showServer(op.serverId);
  } else {
    server = await tenant.ecl.resolveServer(request.target);
  }
  const inFlight = await deps.store.recentForTenant(
    request.tenant,
    10,
    (o) => o.serverId === server.id && !isTerminal(o.state),
  );
  const lines = [
    `*${server.name}* \`${server.id}\`: ${server.status ?? "?"}, power ${server.powerState ?? "?"}, task_state ${server.taskState ?? "None"} (${isIdle(server.taskState) ? "idle" : "busy"})`,
    `Media: ${server.mediaIds.length > 0 ? server.mediaIds.map((id) => `\`${id}\``).join(", ") : "none attached"}`,
  ];
  if (op) lines.unshift(operationLine(op, deps.now()));
  lines.push(
    inFlight.length > 0
      ? `In flight: ${inFlight.map((o) => operationLine(o, deps.now())).join("; ")}`
      : "No operation in flight for it.",
  );
  return lines.join("\n");
}

function operationLine(op: Operation, now: Date): string {
  return `\`${op.id}\` ${op.state.replace(/_/g, " ")}, image \`${op.imageId}\`, requested by <@${op.requester}> ${formatElapsed(now.getTime() - Date.parse(op.createdAt))} ago`;
}
