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
import { type Mrkdwn, md } from "../../slack/mrkdwn";
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
  // Detach: that image from that server, as `/bm detach SERVER-ID IMAGE-ID`.
  app.action(MEDIA_DETACH_ACTION, async ({ body, ack, context }) => {
    const click = clickOf(body);
    if (click)
      await answer(deps, budgetOf(context), click, "media detach", (c) => {
        const target = mediaDetachOf(c.value);
        return target
          ? requestDetach(deps, {
              ...requestOf(c),
              server: target.serverId,
              image: target.imageId,
            })
          : undefined;
      });
    await ack();
  });
  // Detach from all N: a fleet request of that image, as `/bm detach --all IMAGE-ID`.
  app.action(MEDIA_DETACH_ALL_ACTION, async ({ body, ack, context }) => {
    const click = clickOf(body);
    if (click)
      await answer(deps, budgetOf(context), click, "media detach from all", (c) => {
        const image = mediaDetachAllOf(c.value);
        return image ? requestFleet(deps, { ...requestOf(c), image }) : undefined;
      });
    await ack();
  });
}

/** What a request made by a media button says of itself: who, where, its trigger, no reason. */
function requestOf(click: ClickPayload) {
  return {
    teamId: click.who.teamId,
    channelId: click.channelId,
    userId: click.who.userId,
    triggerId: click.triggerId,
    reason: "",
    via: FROM_MEDIA,
  };
}

/**
 * A media button's answer, to the clicker alone, beside the list (which stays, for the next
 * button): the workspace refused, the button's value unreadable (`request` gives nothing), or
 * what the request said by the work's deadline.
 */
async function answer(
  deps: FrontDoorDeps,
  budget: Budget,
  click: ClickPayload,
  what: string,
  request: (click: ClickPayload) => Promise<Mrkdwn> | undefined,
): Promise<void> {
  const refused = await outsider(deps, budget, click.who, "click-unknown");
  const asked = refused ? undefined : request(click);
  const text = refused
    ? refused
    : !asked
      ? md`bm could not read this button, so nothing was done.`
      : ((await by(
          budget.workBy,
          asked.catch((error: unknown) => {
            failed(deps, what)(error);
            return FAILED;
          }),
        )) ?? SLOW_CLICK);
  const url = isResponseUrl(click.responseUrl, deps.responseUrlAllow)
    ? click.responseUrl
    : undefined;
  await replyToClick(deps, budget, click, url, { text, replace: false });
}
