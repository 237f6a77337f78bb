/**
 * Reject: the button opens the modal asking for a reason; its submission rejects.
 */
import type { App } from "@slack/bolt";
import { ACTIONS, REJECT_VIEW, rejectModal } from "../../slack/messages";
import { code, md } from "../../slack/mrkdwn";
import { SlackApiError } from "../../slack/slack-error";
import { by } from "../../util/by";
import { budgetOf } from "../budget";
import { decideOnRequest } from "../decide-on-request";
import type { FrontDoorDeps } from "../deps";
import { clickOf, submissionOf } from "../payloads";
import { auditKeyOf, decided, failed, outsider, tell } from "./answering";

export function registerRejectModal(app: App, deps: FrontDoorDeps): void {
  // Reject: the modal first, while the click's trigger id is fresh (Slack honours it for 3 s, and
  // a cold start or a group lookup can take much of that); the rights are checked right after,
  // and again when the modal is submitted. Another workspace's click opens nothing.
  app.action(ACTIONS.reject, async ({ body, ack, context }) => {
    const budget = budgetOf(context);
    const click = clickOf(body);
    if (!click) return ack();
    const { value: operationId, channelId, who } = click;
    const refused = await outsider(deps, budget, who, auditKeyOf(operationId));
    if (refused) {
      await tell(deps, budget, channelId, who.userId, { text: refused });
      return ack();
    }
    const opening = deps.chat.openView(click.triggerId, rejectModal(operationId)).then(
      () => undefined,
      (error: unknown) => {
        failed(deps, "views.open")(error);
        return error instanceof SlackApiError ? error.code : "no_response";
      },
    );
    // Waited for only as long as the work may take: past it, it is as good as no answer.
    const seen = await by(
      budget.workBy,
      opening.then((code) => ({ code })),
    );
    const opened = seen ? seen.code : "no_response";
    const answer = await decided(
      deps,
      budget.workBy,
      decideOnRequest(deps, {
        teamId: who.teamId,
        userId: who.userId,
        operationId,
        action: "reject",
      }),
    );
    if (answer.openReject && opened !== undefined)
      answer.text = md`bm could not open the form for your reason (Slack answered ${code(opened)}): click Reject again.`;
    await tell(deps, budget, channelId, who.userId, answer);
    await ack();
  });

  app.view(REJECT_VIEW.callbackId, async ({ body, ack, context }) => {
    const budget = budgetOf(context);
    const submission = submissionOf(body);
    if (!submission) return ack();
    const operationId = submission.privateMetadata;
    const refused = await outsider(deps, budget, submission.who, auditKeyOf(operationId));
    if (refused) {
      // A modal has no channel: the refusal is shown in the modal itself.
      await ack({ response_action: "errors", errors: { [REJECT_VIEW.block]: refused.text } });
      return;
    }
    // A modal's input arrives as typed: it is not encoded as a slash command's text is.
    const reason = submission.value(REJECT_VIEW.block, REJECT_VIEW.action) ?? "";
    const answer = await decided(
      deps,
      budget.workBy,
      decideOnRequest(deps, {
        teamId: submission.who.teamId,
        userId: submission.who.userId,
        operationId,
        action: "reject",
        reason,
      }),
    );
    if (answer.reasonError) {
      await ack({ response_action: "errors", errors: { [REJECT_VIEW.block]: answer.reasonError } });
      return;
    }
    // A modal has no channel: the answer names the request's.
    await tell(deps, budget, answer.channelId ?? "", submission.who.userId, answer);
    await ack();
  });
}
