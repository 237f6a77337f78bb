/**
 * Reject: the button opens the modal asking for a reason; its submission rejects.
 */
import type { App } from "@slack/bolt";
import { ACTIONS, REJECT_VIEW, rejectModal } from "../../slack/messages";
import { code, md } from "../../slack/mrkdwn";
import { SlackApiError } from "../../slack/slack-error";
import { decideOnRequest } from "../decide-on-request";
import type { FrontDoorDeps } from "../deps";
import { clickOf, decided, decisionOf, failed, tell, WORK_MS } from "./answering";

export function registerRejectModal(app: App, deps: FrontDoorDeps): void {
  // Reject: the modal first, while the click's trigger id is fresh (Slack honours it for 3 s, and
  // a cold start or a group lookup can take much of that); the rights are checked right after,
  // and again when the modal is submitted.
  app.action(ACTIONS.reject, async ({ body, action, ack }) => {
    const deadline = Date.now() + WORK_MS;
    const { value: operationId, channelId } = clickOf(body, action);
    const opened =
      "trigger_id" in body
        ? await deps.chat.openView(body.trigger_id, rejectModal(operationId)).then(
            () => undefined,
            (error: unknown) => {
              failed(deps, "views.open")(error);
              return error instanceof SlackApiError ? error.code : "no_response";
            },
          )
        : "no_trigger";
    const answer = await decided(
      deps,
      deadline,
      decideOnRequest(deps, decisionOf(body, operationId, "reject")),
    );
    if (answer.openReject && opened !== undefined)
      answer.text = md`bm could not open the form for your reason (Slack answered ${code(opened)}): click Reject again.`;
    await tell(deps, channelId, body.user.id, answer);
    await ack();
  });

  app.view(REJECT_VIEW.callbackId, async ({ view, body, ack }) => {
    const deadline = Date.now() + WORK_MS;
    const operationId = view.private_metadata;
    // A modal's input arrives as typed: it is not encoded as a slash command's text is.
    const reason = view.state.values[REJECT_VIEW.block]?.[REJECT_VIEW.action]?.value ?? "";
    const answer = await decided(
      deps,
      deadline,
      decideOnRequest(deps, { ...decisionOf(body, operationId, "reject"), reason }),
    );
    if (answer.reasonError) {
      await ack({ response_action: "errors", errors: { [REJECT_VIEW.block]: answer.reasonError } });
      return;
    }
    // A modal has no channel: the answer names the request's.
    await tell(deps, answer.channelId ?? "", body.user.id, answer);
    await ack();
  });
}
