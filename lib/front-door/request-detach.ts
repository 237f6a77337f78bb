/**
 * `/bm detach`: authorize, record the operation, queue it, and say so.
 */
import { newOperation, operationIdFor, transition } from "../operations/operation";
import { commit } from "../operations/record";
import { NOT_BOUND, requestRefusal } from "../policy/decide";
import { code, type Mrkdwn, md } from "../slack/mrkdwn";
import { channelPolicy, type FrontDoorDeps, refuse, stateWords } from "./deps";
import { GROUPS_UNKNOWN, rolesIn } from "./roles";

export interface DetachRequest {
  teamId: string;
  channelId: string;
  userId: string;
  triggerId: string;
  server: string;
  image: string;
  reason: string;
  /** The slash command's response_url: how bm reaches the requester if it cannot post here. */
  responseUrl?: string;
}

export async function requestDetach(deps: FrontDoorDeps, request: DetachRequest): Promise<Mrkdwn> {
  const id = operationIdFor(request.teamId, request.triggerId);
  const actor = { teamId: request.teamId, userId: request.userId };
  const refusal = (reason: string, message: Mrkdwn) =>
    refuse(
      deps,
      {
        operationId: id,
        ...actor,
        reason,
        facts: { channel: request.channelId, server: request.server, image: request.image },
      },
      message,
    );

  const channel = channelPolicy(deps.policy, request.channelId);
  if (!channel) return refusal(NOT_BOUND.reason, NOT_BOUND.message);
  const roles = await rolesIn(deps, channel, request.userId, ["requester"]);
  if (roles === "unknown") return refusal("group_lookup_failed", GROUPS_UNKNOWN);
  const refused = requestRefusal(roles);
  if (refused) return refusal(refused.reason, refused.message);

  const op = newOperation(
    {
      id,
      teamId: request.teamId,
      channelId: request.channelId,
      requester: request.userId,
      tenant: channel.tenant,
      secretId: deps.policy.tenants[channel.tenant]?.secret as string,
      approvalsRequired: channel.approvals,
      approvers: channel.approvers,
      requestTtlMinutes: channel.requestTtlMinutes,
      serverRef: request.server,
      imageId: request.image,
      reason: request.reason,
      ...(request.responseUrl ? { responseUrl: request.responseUrl } : {}),
    },
    deps.now(),
  );
  const created = await deps.store.create(op);
  const current = created.created ? op : created.existing;
  // The audit event is written beside the enqueue, not after it: both are needed, neither waits
  // for the other. A lost append is repaired by the worker, which re-appends the latest event.
  const audited = created.created
    ? deps.audit.append(op.lastEvent).catch((error: unknown) => {
        deps.log.warn("audit append failed; the worker repairs it", {
          operationId: id,
          error: (error as Error).name,
        });
      })
    : undefined;
  if (current.state === "requested") {
    // Sent again for a repeated delivery too: the worker moves an operation once, whatever it receives.
    try {
      await deps.queue.send({ kind: "prepare", operationId: id });
    } catch (error) {
      await audited;
      deps.log.warn("could not enqueue", { operationId: id, error: (error as Error).name });
      const failed = transition(current, "failed", actor, deps.now(), {
        outcome: "bm could not queue the request; nothing was done.",
      });
      await commit(deps, current, failed);
      return md`bm could not queue ${code(id)} just now, so nothing was done. Try again in a minute.`;
    }
  }
  await audited;
  if (!created.created)
    return md`This request is already recorded as ${code(id)} (${stateWords(current)}).`;
  deps.log.info("requested", { operationId: id });
  const next =
    channel.approvals > 0
      ? md`It needs ${channel.approvals} approval(s); bm will post the request in this channel for approvers.`
      : md`bm will check the server and post progress in this channel.`;
  return md`Recorded ${code(id)}: detach image ${code(request.image)} from ${code(request.server)}. ${next}`;
}
