/**
 * `/bm detach`: authorize, then record the operation when its server (by id) and image are
 * known, or have the worker look them up in ECL and answer privately: the request, or a choice.
 */
import { choiceIdFor, newChoice } from "../choices/choice";
import { isUuid } from "../ecl/validate";
import { operationIdFor } from "../operations/operation";
import { recordedWords, recordRequest, summaryOf } from "../operations/record-request";
import type { RequestPolicy } from "../operations/request";
import { mayRequest, requestPolicy } from "../policy/permissions";
import { code, type Mrkdwn, md } from "../slack/mrkdwn";
import { type FrontDoorDeps, refuse } from "./deps";
import { commandRepeats } from "./refusals";

export interface DetachRequest {
  teamId: string;
  channelId: string;
  userId: string;
  triggerId: string;
  server: string;
  /** Absent: the requester picks one of the images attached. */
  image?: string | undefined;
  reason: string;
  /** The slash command's response_url: how bm reaches the requester if it cannot post here. */
  responseUrl?: string;
  /** Where it was asked for, when not by `/bm detach` (kept in the request's facts). */
  via?: string;
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
        // Each command is a new operation id: its repeats are those of the channel.
        repeats: commandRepeats(request.channelId),
        facts: {
          channel: request.channelId,
          server: request.server,
          ...(request.image ? { image: request.image } : {}),
        },
      },
      message,
    );

  const may = await mayRequest(deps, request.channelId, request.userId);
  if (!may.ok) return refusal(may.reason, may.message);

  const policy = requestPolicy(deps.policy, may.channel);
  if (!request.image || !isUuid(request.server)) return lookUp(deps, request, policy);
  const fields = {
    teamId: request.teamId,
    seed: request.triggerId,
    channelId: request.channelId,
    requester: request.userId,
    ...policy,
    serverRef: request.server,
    imageId: request.image,
    reason: request.reason,
    ...(request.responseUrl ? { responseUrl: request.responseUrl } : {}),
    ...(request.via ? { via: request.via } : {}),
  };
  const recorded = await recordRequest(deps, fields);
  return recordedWords(summaryOf(recorded, fields), code(request.server));
}

/**
 * A server named by name, or no image: nothing is recorded but a pending choice, and the worker
 * reads ECL (not on the 3-second path), then records the request or offers a choice, privately.
 */
async function lookUp(
  deps: FrontDoorDeps,
  request: DetachRequest,
  policy: RequestPolicy,
): Promise<Mrkdwn> {
  const choice = newChoice(
    {
      id: choiceIdFor(request.teamId, request.triggerId),
      teamId: request.teamId,
      channelId: request.channelId,
      requester: request.userId,
      ...policy,
      reason: request.reason,
      asked: { server: request.server, ...(request.image ? { image: request.image } : {}) },
      ...(request.responseUrl ? { responseUrl: request.responseUrl } : {}),
    },
    deps.now(),
  );
  const where = md`in tenant ${code(policy.tenant)}`;
  const looking = request.image
    ? md`Looking up ${code(request.server)} ${where}: bm records the request once it knows which server is meant, and tells you here in a moment, for you only.`
    : md`Looking up the images attached to ${code(request.server)} ${where}: bm answers here in a moment, for you only, with what it finds.`;
  try {
    const created = await deps.choices.createChoice(choice);
    // A repeated delivery of the command: its lookup is on its way already, unless the first
    // delivery could not hand it over (it is still looking: handing it over again changes nothing).
    if (!created.created && created.existing.state !== "looking") return looking;
    await deps.queue.send({ kind: "lookup", choiceId: choice.id });
  } catch (error) {
    // Nothing is recorded but the lookup; if it did get through, its answer still comes.
    deps.log.warn("could not hand the lookup to the worker", {
      choiceId: choice.id,
      error: (error as Error).name,
    });
    return md`bm could not hand the lookup of ${code(request.server)} to its worker just now (its database or queue did not answer), and has recorded no request. If nothing appears here within a minute, run the command again.`;
  }
  deps.log.info("looking up", { choiceId: choice.id });
  return looking;
}
