/**
 * A pick on a private choice: the answer replaces the message clicked, through the click's
 * response_url (it works where bm is not in the channel), so no live buttons are left behind.
 */
import type { App } from "@slack/bolt";
import { isResponseUrl } from "../../slack/chat";
import { CHOOSE_ACTION } from "../../slack/choice-messages";
import { by } from "../../util/by";
import { type Budget, budgetOf } from "../budget";
import { type ChoiceAnswer, choose } from "../choose";
import type { FrontDoorDeps } from "../deps";
import { type ClickPayload, clickOf } from "../payloads";
import { auditKeyOf, FAILED, failed, outsider, replyToClick, SLOW_CLICK } from "./answering";

export function registerChoices(app: App, deps: FrontDoorDeps): void {
  app.action(CHOOSE_ACTION, async ({ body, ack, context }) => {
    const budget = budgetOf(context);
    const click = clickOf(body);
    if (click) await answer(deps, budget, click);
    await ack();
  });
}

async function answer(deps: FrontDoorDeps, budget: Budget, click: ClickPayload): Promise<void> {
  const url = isResponseUrl(click.responseUrl, deps.responseUrlAllow)
    ? click.responseUrl
    : undefined;
  const refused = await outsider(deps, budget, click.who, auditKeyOf(click.value));
  const said: ChoiceAnswer = refused
    ? { text: refused, replace: false }
    : ((await by(
        budget.workBy,
        choose(deps, {
          teamId: click.who.teamId,
          userId: click.who.userId,
          value: click.value,
          ...(url ? { responseUrl: url } : {}),
        }).catch((error: unknown) => {
          failed(deps, "choice")(error);
          return { text: FAILED, replace: false };
        }),
      )) ?? { text: SLOW_CLICK, replace: false });
  await replyToClick(deps, budget, click, url, said);
}
