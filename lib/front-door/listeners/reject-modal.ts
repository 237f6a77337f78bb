/**
 * Reject: the button opens the modal asking for a reason; its submission rejects. Someone who
 * may not reject sees the modal turn into the refusal. On the card or on the Home tab alike: an
 * answer that is not in the modal goes where the click was made (answerClick).
 */
import type { App } from "@slack/bolt";
import type { ModalView } from "@slack/types";
import type { OpenedView } from "../../slack/chat";
import {
  ACTIONS,
  REJECT_VIEW,
  refusalModal,
  rejectModal,
  rejectOpenedFrom,
} from "../../slack/messages";
import { code, md } from "../../slack/mrkdwn";
import { SlackApiError } from "../../slack/slack-error";
import { by } from "../../util/by";
import { type Budget, budgetOf } from "../budget";
import { decideOnRequest } from "../decide-on-request";
import type { FrontDoorDeps } from "../deps";
import { clickOf, submissionOf } from "../payloads";
import { answerClick, auditKeyOf, decided, failed, outsider, tell } from "./answering";

/** The modal as Slack opened it (its id and hash), or Slack's code when it did not. */
type Opening = { view: OpenedView; code?: undefined } | { view?: undefined; code: string };

/**
 * Replaces the modal just opened with `view`, if the budget leaves time for it (as {@link tell}
 * does); true when Slack took it, false (logged) when it refused or was late.
 */
async function turnInto(
  deps: FrontDoorDeps,
  budget: Budget,
  opened: OpenedView,
  view: ModalView,
): Promise<boolean> {
  const ms = budget.replyMs();
  if (ms === undefined) return false;
  const done = await by(
    Date.now() + ms,
    deps.chat.updateView(opened.id, view, opened.hash).then(
      () => true,
      (error: unknown) => failed(deps, "views.update")(error) ?? false,
    ),
  );
  return done === true;
}

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
      // Another workspace's click is told only in a channel: bm publishes no Home of theirs.
      await tell(deps, budget, channelId, who.userId, { text: refused });
      return ack();
    }
    const modal = rejectModal(operationId, click.fromHome);
    const opening = deps.chat.openView(click.triggerId, modal).then(
      (view): Opening => ({ view }),
      (error: unknown): Opening => {
        failed(deps, "views.open")(error);
        return { code: error instanceof SlackApiError ? error.code : "no_response" };
      },
    );
    // Waited for only as long as the work may take: past it, it is as good as no answer.
    const opened = (await by(budget.workBy, opening)) ?? { code: "no_response" };
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
    if (answer.openReject && opened.code !== undefined)
      answer.text = md`bm could not open the form for your reason (Slack answered ${code(opened.code)}): click Reject again.`;
    // Opened before the rights were known, the form becomes the refusal: nobody is left with a
    // form to fill in and the refusal behind it. Told where the click was made only if that
    // fails (the channel, or the Home tab, which has none).
    if (!answer.openReject && answer.text && opened.view) {
      if (await turnInto(deps, budget, opened.view, refusalModal(answer.text))) return ack();
    }
    await answerClick(deps, budget, click, who, answer);
    await ack();
  });

  app.view(REJECT_VIEW.callbackId, async ({ body, ack, context }) => {
    const budget = budgetOf(context);
    const submission = submissionOf(body);
    if (!submission) return ack();
    const { operationId, fromHome } = rejectOpenedFrom(submission.privateMetadata);
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
    // A modal has no channel: the answer goes to the request's, or to the Home it was opened from.
    await answerClick(
      deps,
      budget,
      { fromHome, channelId: answer.channelId ?? "" },
      submission.who,
      answer,
    );
    await ack();
  });
}
