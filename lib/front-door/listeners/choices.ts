/**
 * A pick on a private choice: the answer replaces the message clicked, through the click's
 * response_url (it works where bm is not in the channel), so no live buttons are left behind.
 */
import type { App } from "@slack/bolt";
import { message } from "../../slack/blocks";
import { isResponseUrl } from "../../slack/chat";
import { CHOOSE_ACTION } from "../../slack/choice-messages";
import { choose } from "../choose";
import type { FrontDoorDeps } from "../deps";
import { by, clickOf, FAILED, failed, SLOW_CLICK, tell, WORK_MS } from "./answering";

export function registerChoices(app: App, deps: FrontDoorDeps): void {
  app.action(CHOOSE_ACTION, async ({ body, action, ack }) => {
    const deadline = Date.now() + WORK_MS;
    const click = clickOf(body, action);
    const responseUrl = (body as { response_url?: unknown }).response_url;
    const url = isResponseUrl(responseUrl, deps.responseUrlAllow) ? responseUrl : undefined;
    const answer = (await by(
      deadline,
      choose(deps, {
        teamId: click.who.teamId,
        userId: click.userId,
        value: click.value,
        ...(url ? { responseUrl: url } : {}),
      }).catch((error: unknown) => {
        failed(deps, "choice")(error);
        return { text: FAILED, replace: false };
      }),
    )) ?? { text: SLOW_CLICK, replace: false };
    if (url)
      await deps.chat
        .respond(url, message(answer.text), { replace: answer.replace })
        .catch(failed(deps, "response_url"));
    else await tell(deps, click.channelId, click.userId, answer);
    await ack();
  });
}
