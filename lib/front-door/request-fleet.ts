/**
 * `/bm detach --all IMAGE-ID [--match PREFIX]`: authorize, then record the fleet request by id
 * (its targets are named by the worker, which lists the tenant's servers: no ECL call here).
 */
import { operationIdFor } from "../operations/operation";
import { recordedWords, recordRequest, summaryOf } from "../operations/record-request";
import { mayRequest, requestPolicy } from "../policy/permissions";
import { code, type Mrkdwn, md } from "../slack/mrkdwn";
import { type FrontDoorDeps, refuse } from "./deps";
import { commandRepeats } from "./refusals";

export interface FleetRequest {
  teamId: string;
  channelId: string;
  userId: string;
  triggerId: string;
  image: string;
  /** `--match`: only servers whose name starts with it. */
  match?: string | undefined;
  reason: string;
  responseUrl?: string;
  /** Where the request came from when not a slash command: kept in its `requested` facts. */
  via?: string;
}

/** What a fleet request asks for, as its `serverRef` records it: "all", or the names' start. */
export function fleetRef(match: string | undefined): string {
  return match ?? "all";
}

export async function requestFleet(deps: FrontDoorDeps, request: FleetRequest): Promise<Mrkdwn> {
  const serverRef = fleetRef(request.match);
  const may = await mayRequest(deps, request.channelId, request.userId);
  if (!may.ok)
    return refuse(
      deps,
      {
        operationId: operationIdFor(request.teamId, request.triggerId),
        teamId: request.teamId,
        userId: request.userId,
        reason: may.reason,
        repeats: commandRepeats(request.channelId),
        facts: { channel: request.channelId, server: serverRef, image: request.image, fleet: true },
      },
      may.message,
    );
  const policy = requestPolicy(deps.policy, may.channel);
  const fields = {
    teamId: request.teamId,
    seed: request.triggerId,
    channelId: request.channelId,
    requester: request.userId,
    ...policy,
    serverRef,
    imageId: request.image,
    reason: request.reason,
    fleet: { ...(request.match !== undefined ? { match: request.match } : {}), targets: [] },
    ...(request.responseUrl ? { responseUrl: request.responseUrl } : {}),
    ...(request.via ? { via: request.via } : {}),
  };
  const recorded = await recordRequest(deps, fields);
  const which =
    request.match === undefined
      ? md`every server of tenant ${code(policy.tenant)} that has it`
      : md`every server of tenant ${code(policy.tenant)} whose name starts with ${code(request.match)} and that has it`;
  if (recorded.kind !== "recorded") return recordedWords(summaryOf(recorded, fields), which);
  const next =
    policy.approvalsRequired > 0
      ? md`bm lists the servers, then posts the request, with its targets, in this channel for approvers: one approval for all of them.`
      : md`bm lists the servers and posts progress in this channel, on one card.`;
  return md`Recorded ${code(recorded.op.id)}: detach image ${code(request.image)} from ${which}. ${next}`;
}
