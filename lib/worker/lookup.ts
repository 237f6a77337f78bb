/**
 * `lookup`: a detach that named its server by name, or gave no image. The worker reads ECL (the
 * front door never does), then records the request when the server and image are certain, or
 * answers the requester privately: the images to pick from, the servers a name shares, the names
 * close to a typo, or why there is nothing to pick. Nothing fails in the channel.
 */
import {
  type Choice,
  choiceAudit,
  choiceFacts,
  isExpired,
  nameOptions,
  type Option,
  requestFrom,
  requestSeed,
  seen,
  serverOption,
} from "../choices/choice";
import type { EclApi } from "../ecl/client";
import { EclApiError } from "../ecl/errors";
import { attachment, type Server } from "../ecl/server";
import { isUuid } from "../ecl/validate";
import { describeError, isPassing } from "../errors";
import type { AuditEvent, Facts } from "../operations/operation";
import { recordRequest, summaryOf } from "../operations/record-request";
import { auditRead, standaloneEvent } from "../operations/standalone-event";
import { boundTo } from "../policy/in-force";
import { lookupMessage } from "../slack/choice-messages";
import { SlackApiError } from "../slack/slack-error";
import { MAX_RECEIVES, type WorkerDeps } from "./process-message";
import { RetryLater } from "./retry-later";

/** How many images' names are asked of the image service for one choice. */
const NAMED_IMAGES = 20;

export async function answerLookup(
  deps: WorkerDeps,
  message: { choiceId: string },
  receiveCount: number,
): Promise<void> {
  const found = await deps.choices.getChoice(message.choiceId);
  if (!found) {
    deps.log.warn("no such choice; message dropped", { choiceId: message.choiceId });
    return;
  }
  if (isExpired(found, deps.now())) {
    deps.log.info("choice expired before it was looked up; dropped", { choiceId: found.id });
    // A choice never looked up ends here, unseen; one answered already ended as it was told.
    if (found.state === "looking")
      await auditRead(
        deps,
        choiceEvent(found, "choice_ended:expired", choiceFacts(found), deps.now()),
      );
    return;
  }
  let choice = found;
  if (choice.state === "looking") {
    let next: Choice;
    try {
      next = await lookUp(deps, choice, receiveCount);
    } catch (error) {
      if (isPassing(error) && receiveCount < MAX_RECEIVES)
        throw new RetryLater(describeError(error), { cause: error });
      next = { ...choice, state: "ended", ended: { kind: "failed", reason: describeError(error) } };
    }
    const saved = await deps.choices.saveChoice(choice, next);
    // Another delivery of this message got there first: its answer is its own to give.
    if (!saved) return;
    choice = saved;
  }
  if (choice.shown) return;
  await answer(deps, choice, receiveCount);
}

/** Reads ECL for what the choice asks, and says what follows: an offer, an end, or a request. */
async function lookUp(deps: WorkerDeps, choice: Choice, receiveCount: number): Promise<Choice> {
  // The tenant's credentials are used only for a channel bound to it, whatever the item says.
  const bound = boundTo(deps, choice);
  if (!bound.ok) return { ...choice, state: "ended", ended: { kind: "failed", reason: bound.why } };
  const { ecl } = await deps.openTenant(choice.secretId);
  const ref = choice.asked.server;
  const image = choice.asked.image;
  if (isUuid(ref)) {
    try {
      return await found(deps, ecl, choice, await ecl.showServer(ref), receiveCount);
    } catch (error) {
      if (error instanceof EclApiError && error.status === 404)
        return { ...choice, state: "ended", ended: { kind: "no_id" } };
      throw error;
    }
  }
  // ECL's name filter is undocumented: exact matches are kept here.
  const named = (await ecl.listServers({ name: ref })).filter((s) => s.name === ref);
  const [only, ...others] = named;
  if (only && others.length === 0) return found(deps, ecl, choice, only, receiveCount);
  if (only)
    return offer(
      ecl,
      choice,
      "servers",
      named.map((s) => serverOption(s, image)),
    );
  const close = nameOptions(ref, await ecl.listServers(), image);
  if (close.length === 0) return { ...choice, state: "ended", ended: { kind: "no_server" } };
  return offer(ecl, choice, "names", close);
}

/**
 * One server: the request recorded when the image is known and not shown to be missing; else
 * the images attached offered (an image typed that is not attached among them: the choice says
 * so), privately, with nothing recorded.
 */
async function found(
  deps: WorkerDeps,
  ecl: EclApi,
  choice: Choice,
  server: Server,
  receiveCount: number,
): Promise<Choice> {
  const image = choice.asked.image;
  // Not listed is not "not attached": then the request is recorded, and ECL answers the detach.
  if (image && attachment(server, image) !== "absent") {
    const fields = requestFrom(choice, {
      seed: requestSeed(choice),
      serverRef: server.id,
      serverName: server.name,
      imageId: image,
      responseUrl: choice.responseUrl,
      picks: choice.picks,
    });
    const recorded = await recordRequest(deps, fields);
    // The write's answer was lost: the next delivery finds out (the id is the same).
    if (recorded.kind === "unknown" && receiveCount < MAX_RECEIVES)
      throw new RetryLater("could not confirm the request was recorded");
    // Found already: an earlier delivery recorded it, and nobody has told the requester yet.
    const summary = summaryOf(recorded, fields);
    const result =
      summary.kind === "existing"
        ? { ...summary, kind: "recorded" as const, handedOver: true }
        : summary;
    return { ...choice, state: "ended", ended: { kind: "recorded", result, server: seen(server) } };
  }
  if (server.mediaIds === undefined)
    return { ...choice, state: "ended", ended: { kind: "media_unknown", server: seen(server) } };
  if (server.mediaIds.length === 0)
    return { ...choice, state: "ended", ended: { kind: "nothing_attached", server: seen(server) } };
  const shown = seen(server);
  return offer(
    ecl,
    choice,
    "images",
    server.mediaIds.map((id) => ({ server: server.id, name: server.name, image: id, seen: shown })),
  );
}

/** The choice with its options, and the image service's names of the images they show. */
async function offer(
  ecl: EclApi,
  choice: Choice,
  kind: Choice["offer"] & string,
  options: Option[],
): Promise<Choice> {
  const ids = new Set<string>();
  for (const option of options) {
    if (option.image) ids.add(option.image.toLowerCase());
    for (const id of option.seen?.media ?? []) ids.add(id.toLowerCase());
  }
  const wanted = [...ids].slice(0, NAMED_IMAGES);
  const names = await Promise.all(wanted.map((id) => ecl.imageName(id)));
  const imageNames: Record<string, string> = {};
  wanted.forEach((id, i) => {
    const name = names[i];
    if (name) imageNames[id] = name;
  });
  return {
    ...choice,
    state: "open",
    offer: kind,
    options,
    ...(Object.keys(imageNames).length > 0 ? { imageNames } : {}),
  };
}

/**
 * Tells the requester, privately; a Slack that refuses for good is only logged. Then audits what
 * the answer showed, before it is marked shown: a crash between the two answers (and audits)
 * again rather than never.
 */
async function answer(deps: WorkerDeps, choice: Choice, receiveCount: number): Promise<void> {
  const text = lookupMessage(choice);
  let delivered = true;
  try {
    if (choice.responseUrl)
      await deps.chat.respond(choice.responseUrl, text, { replace: choice.replaces === true });
    else await deps.chat.ephemeral(choice.channelId, choice.requester, text);
  } catch (error) {
    const permanent = error instanceof SlackApiError && error.kind === "permanent";
    if (!permanent && receiveCount < MAX_RECEIVES)
      throw new RetryLater(describeError(error), { cause: error });
    deps.log.warn("Slack refused the answer to a lookup; not retried", {
      choiceId: choice.id,
      error: describeError(error),
    });
    delivered = false;
  }
  const audited = choiceAudit(choice);
  if (audited) {
    const facts = delivered ? audited.facts : { ...audited.facts, delivered: false };
    await auditRead(deps, choiceEvent(choice, audited.action, facts, deps.now()));
  }
  await deps.choices.saveChoice(choice, { ...choice, shown: true }).catch(() => undefined);
}

/** An event of a choice: under its id, its requester the actor. */
function choiceEvent(choice: Choice, action: string, facts: Facts, at: Date): AuditEvent {
  return standaloneEvent(
    {
      operationId: choice.id,
      actor: { teamId: choice.teamId, userId: choice.requester },
      action,
      facts,
    },
    at,
  );
}
