/**
 * A click on Re-check: who may (anyone who may request in the operation's channel), and the
 * hand-over to the worker, which reads ECL off the 3-second path and answers the clicker.
 */
import { isOperationId, stateWords } from "../operations/operation";
import { mayRecheck } from "../policy/permissions";
import { code, type Mrkdwn, md } from "../slack/mrkdwn";
import { type FrontDoorDeps, refuse } from "./deps";

export async function requestRecheck(
  deps: FrontDoorDeps,
  click: { teamId: string; userId: string; operationId: string },
): Promise<Mrkdwn> {
  if (!isOperationId(click.operationId)) return md`That is not a bm request.`;
  const op = await deps.store.get(click.operationId);
  if (!op) return md`There is no request ${code(click.operationId)} any more.`;
  const refusal = (reason: string, message: Mrkdwn) =>
    refuse(
      deps,
      {
        operationId: op.id,
        teamId: click.teamId,
        userId: click.userId,
        reason,
        facts: { decision: "recheck", state: op.state },
      },
      message,
    );
  const may = await mayRecheck(deps, op, click.userId);
  if (!may.ok) return refusal(may.reason, may.message);
  if (op.state !== "timed_out")
    return md`${code(op.id)} is ${stateWords(op.state)}: there is nothing to re-check.`;
  await deps.queue.send({ kind: "recheck", operationId: op.id, userId: click.userId });
  return md`bm is reading ${code(op.serverName || op.serverRef)} again for ${code(op.id)}; it will answer you here in a few seconds.`;
}
