/**
 * The card's buttons: Approve, Cancel and Re-check. (Reject opens a modal first:
 * reject-modal.ts.)
 */
import type { App } from "@slack/bolt";
import { ACTIONS } from "../../slack/messages";
import { budgetOf } from "../budget";
import { type Answer, decideOnRequest } from "../decide-on-request";
import type { FrontDoorDeps } from "../deps";
import { type ClickPayload, clickOf } from "../payloads";
import { requestRecheck } from "../request-recheck";
import { answerClick, auditKeyOf, decided, outsider, tell } from "./answering";

export function registerCardButtons(app: App, deps: FrontDoorDeps): void {
  /**
   * A button of the card: from the workspace bm serves, its work done by the deadline, the clicker
   * told where they clicked (the channel, or the Home tab), then the ack (on Lambda the answer leaves only when the listener returns).
   */
  const onButton = (actionId: string, work: (click: ClickPayload) => Promise<Answer>) =>
    app.action(actionId, async ({ body, ack, context }) => {
      const budget = budgetOf(context);
      const click = clickOf(body);
      if (click) {
        const refused = await outsider(deps, budget, click.who, auditKeyOf(click.value));
        // Another workspace's click is told only in a channel: bm publishes no Home of theirs.
        if (refused) await tell(deps, budget, click.channelId, click.who.userId, { text: refused });
        else
          await answerClick(
            deps,
            budget,
            click,
            click.who,
            await decided(deps, budget.workBy, work(click)),
          );
      }
      await ack();
    });

  for (const [decision, actionId] of [
    ["approve", ACTIONS.approve],
    ["cancel", ACTIONS.cancel],
  ] as const) {
    onButton(actionId, (click) =>
      decideOnRequest(deps, {
        teamId: click.who.teamId,
        userId: click.who.userId,
        operationId: click.value,
        action: decision,
      }),
    );
  }

  // Re-check: the worker reads ECL; the clicker is told it is on its way, then the result.
  onButton(ACTIONS.recheck, (click) =>
    requestRecheck(deps, {
      teamId: click.who.teamId,
      userId: click.who.userId,
      operationId: click.value,
    }).then((text) => ({ text })),
  );
}
