/**
 * `/bm detach`: authorize, record the operation, queue it, and say so.
 */
import { newOperation, operationIdFor } from "../operations/operation";
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
  let created: Awaited<ReturnType<typeof deps.store.create>>;
  try {
    created = await deps.store.create(op);
  } catch (error) {
    // The write may have happened all the same (a lost answer): a recorded request is watched and
    // goes on, so say what bm does not know rather than "nothing was done".
    deps.log.warn("could not confirm the request was recorded", {
      operationId: id,
      error: (error as Error).name,
    });
    return md`bm could not confirm that it recorded ${code(id)} (its database did not answer in time). If it did, the request goes on by itself: ${code(`/bm status ${id}`)} in a minute tells you; if not, ask again.`;
  }
  const current = created.created ? op : created.existing;
  if (created.created)
    deps.metrics?.put("OperationRequested", 1, op.approvalsRequired > 0 ? "required" : "none");
  // The audit event is written beside the enqueue, not after it: both are needed, neither waits
  // for the other. It also waits in the operation's outbox: a lost append is made by the worker.
  const audited = created.created
    ? deps.audit.append(op.lastEvent).catch((error: unknown) => {
        deps.metrics?.put("AuditWriteError", 1);
        deps.log.warn("audit append failed; the worker makes it", {
          operationId: id,
          error: (error as Error).name,
        });
      })
    : undefined;
  let handedOver = true;
  if (current.state === "requested") {
    // Sent again for a repeated delivery too: the worker moves an operation once, whatever it receives.
    try {
      await deps.queue.send({ kind: "prepare", operationId: id });
    } catch (error) {
      // The send may have reached SQS all the same (a timeout): the request is not failed on a
      // guess. It is recorded, watched, and handed over by the follow-up if the worker never takes it.
      handedOver = false;
      deps.log.warn("could not enqueue; the follow-up hands it over", {
        operationId: id,
        error: (error as Error).name,
      });
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
  const later = handedOver
    ? ""
    : md` (bm could not hand it to its worker at once; it will within a minute or two.)`;
  return md`Recorded ${code(id)}: detach image ${code(request.image)} from ${code(request.server)}. ${next}${later}`;
}
