/**
 * The buttons of `/bm media`. Detach: a detach request of that image from that server, by id, under
 * the same rules as `/bm detach SERVER-ID IMAGE-ID` (requestDetach: who may request here, the
 * approvals, break-glass, the audit, the card). Its id comes from the click's trigger id, so a
 * repeated delivery makes one request; a second click meets the first's lock on server and image.
 * The answer goes to the clicker alone, beside the list (which stays).
 */
import type { App } from "@slack/bolt";
import { isResponseUrl } from "../../slack/chat";
import { MEDIA_DETACH_ACTION, MEDIA_DETACH_ALL_ACTION } from "../../slack/media-message";
import { md } from "../../slack/mrkdwn";
import { by } from "../../util/by";
import { type Budget, budgetOf } from "../budget";
import type { FrontDoorDeps } from "../deps";
import { type ClickPayload, clickOf, mediaDetachAllOf, mediaDetachOf } from "../payloads";
import { requestDetach } from "../request-detach";
import { requestFleet } from "../request-fleet";
import { FAILED, failed, outsider, replyToClick, SLOW_CLICK } from "./answering";

/** What a request from a media button says it came from, in its `requested` facts. */
export const FROM_MEDIA = "/bm media";

export function registerMedia(app: App, deps: FrontDoorDeps): void {
  app.action(MEDIA_DETACH_ACTION, async ({ body, ack, context }) => {
    const budget = budgetOf(context);
    const click = clickOf(body);
    if (click) await answer(deps, budget, click);
    await ack();
  });
  app.action(MEDIA_DETACH_ALL_ACTION, async ({ body, ack, context }) => {
    const budget = budgetOf(context);
    const click = clickOf(body);
    if (click) await answerAll(deps, budget, click);
    await ack();
  });
}

/**
 * A "Detach from all N" button: a fleet request of that image, under the same rules as
 * `/bm detach --all IMAGE-ID` (requestFleet), its id from the click's trigger id.
 */
async function answerAll(deps: FrontDoorDeps, budget: Budget, click: ClickPayload): Promise<void> {
  const image = mediaDetachAllOf(click.value);
  const refused = await outsider(deps, budget, click.who, "click-unknown");
  const text = refused
    ? refused
    : !image
      ? md`bm could not read this button, so nothing was done.`
      : ((await by(
          budget.workBy,
          requestFleet(deps, {
            teamId: click.who.teamId,
            channelId: click.channelId,
            userId: click.who.userId,
            triggerId: click.triggerId,
            image,
            reason: "",
            via: FROM_MEDIA,
          }).catch((error: unknown) => {
            failed(deps, "media detach from all")(error);
            return FAILED;
          }),
        )) ?? SLOW_CLICK);
  await replyToClick(deps, budget, click, responseUrlOf(deps, click), { text, replace: false });
}

/** The click's response_url when it is Slack's (or allowed), else none. */
function responseUrlOf(deps: FrontDoorDeps, click: ClickPayload): string | undefined {
  return isResponseUrl(click.responseUrl, deps.responseUrlAllow) ? click.responseUrl : undefined;
}

async function answer(deps: FrontDoorDeps, budget: Budget, click: ClickPayload): Promise<void> {
  const target = mediaDetachOf(click.value);
  const refused = await outsider(deps, budget, click.who, "click-unknown");
  const text = refused
    ? refused
    : !target
      ? md`bm could not read this button, so nothing was done.`
      : ((await by(
          budget.workBy,
          requestDetach(deps, {
            teamId: click.who.teamId,
            channelId: click.channelId,
            userId: click.who.userId,
            triggerId: click.triggerId,
            server: target.serverId,
            image: target.imageId,
            reason: "",
            via: FROM_MEDIA,
          }).catch((error: unknown) => {
            failed(deps, "media detach")(error);
            return FAILED;
          }),
        )) ?? SLOW_CLICK);
  // Not replacing: the list stays, for the next server's button.
  await replyToClick(deps, budget, click, responseUrlOf(deps, click), { text, replace: false });
}
