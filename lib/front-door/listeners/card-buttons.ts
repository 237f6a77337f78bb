/**
 * The card's buttons: Approve, Cancel and Re-check. (Reject opens a modal first:
 * reject-modal.ts.)
 */
import type { App } from "@slack/bolt";
import { ACTIONS } from "../../slack/messages";
import { type Answer, decideOnRequest } from "../decide-on-request";
import type { FrontDoorDeps } from "../deps";
import { requestRecheck } from "../request-recheck";
import { clickOf, decided, tell, WORK_MS } from "./answering";

export function registerCardButtons(app: App, deps: FrontDoorDeps): void {
  /**
   * A button of the card: its work done by the deadline, the clicker told in the channel, then
   * the ack (on Lambda the answer leaves only when the listener returns).
   */
  const onButton = (
    actionId: string,
    work: (click: ReturnType<typeof clickOf>) => Promise<Answer>,
  ) =>
    app.action(actionId, async ({ body, action, ack }) => {
      const deadline = Date.now() + WORK_MS;
      const click = clickOf(body, action);
      await tell(deps, click.channelId, click.userId, await decided(deps, deadline, work(click)));
      await ack();
    });

  for (const [decision, actionId] of [
    ["approve", ACTIONS.approve],
    ["cancel", ACTIONS.cancel],
  ] as const) {
    onButton(actionId, (click) =>
      decideOnRequest(deps, { ...click.who, operationId: click.value, action: decision }),
    );
  }

  // Re-check: the worker reads ECL; the clicker is told it is on its way, then the result.
  onButton(ACTIONS.recheck, (click) =>
    requestRecheck(deps, { ...click.who, operationId: click.value }).then((text) => ({
      text,
    })),
  );
}
