/**
 * The Bolt listeners of the front door: the slash command, the card's buttons, the reject modal.
 * The Lambda receiver answers only when a listener returns, so each does its work first and
 * acks last; none throws: every failure becomes words for the user. Text Slack sent encoded
 * (a slash command's) is decoded here, once; every answer is built as escaped mrkdwn.
 */
import type { App } from "@slack/bolt";
import { message } from "../slack/blocks";
import { isResponseUrl } from "../slack/chat";
import { ACTIONS, REJECT_VIEW, rejectModal } from "../slack/messages";
import { code, decodeSlackText, md } from "../slack/mrkdwn";
import { SlackApiError } from "../slack/slack-error";
import { type Answer, decideOnRequest } from "./decide-on-request";
import type { FrontDoorDeps } from "./deps";
import { handleSlashCommand } from "./handle-command";

const FAILED = md`bm could not record that just now (an internal error), so nothing was done. Try again in a minute.`;

export function registerListeners(app: App, deps: FrontDoorDeps): void {
  const failed = (what: string) => (error: unknown) => {
    deps.log.warn(`${what} failed`, {
      error: error instanceof Error ? error.name : typeof error,
      ...(error instanceof SlackApiError ? { slackError: error.code } : {}),
    });
    return undefined;
  };
  /** Tells the clicker, in the channel of the click; a refused post is only logged. */
  const tell = async (channelId: string, userId: string, answer: Answer) => {
    if (answer.text && channelId)
      await deps.chat
        .ephemeral(channelId, userId, message(answer.text))
        .catch(failed("chat.postEphemeral"));
  };

  app.command("/bm", async ({ command, ack }) => {
    const text = await handleSlashCommand(deps, {
      teamId: command.team_id,
      channelId: command.channel_id,
      userId: command.user_id,
      text: decodeSlackText(command.text ?? ""),
      triggerId: command.trigger_id,
      ...(isResponseUrl(command.response_url) ? { responseUrl: command.response_url } : {}),
    }).catch(failed("slash command"));
    await ack({ response_type: "ephemeral", text: text ?? FAILED.text });
  });

  for (const [decision, actionId] of [
    ["approve", ACTIONS.approve],
    ["cancel", ACTIONS.cancel],
  ] as const) {
    app.action(actionId, async ({ body, action, ack }) => {
      const operationId = "value" in action && typeof action.value === "string" ? action.value : "";
      const channelId = "channel" in body && body.channel ? body.channel.id : "";
      const answer: Answer = (await decideOnRequest(deps, {
        teamId: body.team?.id ?? "",
        userId: body.user.id,
        operationId,
        action: decision,
      }).catch(failed("click"))) ?? { text: FAILED };
      await tell(channelId, body.user.id, answer);
      await ack();
    });
  }

  // Reject: the modal first, while the click's trigger id is fresh (Slack honours it for 3 s, and
  // a cold start or a group lookup can take much of that); the rights are checked right after,
  // and again when the modal is submitted.
  app.action(ACTIONS.reject, async ({ body, action, ack }) => {
    const operationId = "value" in action && typeof action.value === "string" ? action.value : "";
    const channelId = "channel" in body && body.channel ? body.channel.id : "";
    const opened =
      "trigger_id" in body
        ? await deps.chat.openView(body.trigger_id, rejectModal(operationId)).then(
            () => undefined,
            (error: unknown) => {
              failed("views.open")(error);
              return error instanceof SlackApiError ? error.code : "no_response";
            },
          )
        : "no_trigger";
    const answer: Answer = (await decideOnRequest(deps, {
      teamId: body.team?.id ?? "",
      userId: body.user.id,
      operationId,
      action: "reject",
    }).catch(failed("click"))) ?? { text: FAILED };
    if (answer.openReject && opened !== undefined)
      answer.text = md`bm could not open the form for your reason (Slack answered ${code(opened)}): click Reject again.`;
    await tell(channelId, body.user.id, answer);
    await ack();
  });

  app.view(REJECT_VIEW.callbackId, async ({ view, body, ack }) => {
    const operationId = view.private_metadata;
    // A modal's input arrives as typed: it is not encoded as a slash command's text is.
    const reason = view.state.values[REJECT_VIEW.block]?.[REJECT_VIEW.action]?.value ?? "";
    const answer: Answer = (await decideOnRequest(deps, {
      teamId: body.team?.id ?? "",
      userId: body.user.id,
      operationId,
      action: "reject",
      reason,
    }).catch(failed("reject"))) ?? { text: FAILED };
    if (answer.reasonError) {
      await ack({ response_action: "errors", errors: { [REJECT_VIEW.block]: answer.reasonError } });
      return;
    }
    // A modal has no channel: the answer names the request's.
    await tell(answer.channelId ?? "", body.user.id, answer);
    await ack();
  });
}
