/**
 * The Bolt listeners of the front door: the slash command, the card's buttons, the reject modal.
 * The Lambda receiver answers only when a listener returns, so each does its work first and
 * acks last; none throws: every failure becomes words for the user.
 */
import type { App } from "@slack/bolt";
import { ACTIONS, REJECT_VIEW, rejectModal } from "../slack/messages";
import { type Answer, decideOnRequest } from "./decide-on-request";
import type { FrontDoorDeps } from "./deps";
import { handleSlashCommand } from "./handle-command";

const FAILED =
  "bm could not record that just now (an internal error), so nothing was done. Try again in a minute.";

export function registerListeners(app: App, deps: FrontDoorDeps): void {
  const failed = (what: string) => (error: unknown) => {
    deps.log.warn(`${what} failed`, { error: error instanceof Error ? error.name : typeof error });
    return undefined;
  };

  app.command("/bm", async ({ command, ack }) => {
    const text = await handleSlashCommand(deps, {
      teamId: command.team_id,
      channelId: command.channel_id,
      userId: command.user_id,
      text: command.text ?? "",
      triggerId: command.trigger_id,
    }).catch(failed("slash command"));
    await ack({ response_type: "ephemeral", text: text ?? FAILED });
  });

  for (const [decision, actionId] of [
    ["approve", ACTIONS.approve],
    ["reject", ACTIONS.reject],
    ["cancel", ACTIONS.cancel],
  ] as const) {
    app.action(actionId, async ({ body, action, ack }) => {
      const operationId = "value" in action && typeof action.value === "string" ? action.value : "";
      const teamId = body.team?.id ?? "";
      const userId = body.user.id;
      const channelId = "channel" in body && body.channel ? body.channel.id : "";
      const answer: Answer = (await decideOnRequest(deps, {
        teamId,
        userId,
        operationId,
        action: decision,
      }).catch(failed("click"))) ?? { text: FAILED };
      if (answer.openReject && "trigger_id" in body) {
        await deps.chat
          .openView(body.trigger_id, rejectModal(operationId))
          .catch(failed("views.open"));
      }
      if (answer.text && channelId)
        await deps.chat
          .ephemeral(channelId, userId, { text: answer.text })
          .catch(failed("chat.postEphemeral"));
      await ack();
    });
  }

  app.view(REJECT_VIEW.callbackId, async ({ view, body, ack }) => {
    const operationId = view.private_metadata;
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
    if (answer.text && answer.channelId) {
      await deps.chat
        .ephemeral(answer.channelId, body.user.id, { text: answer.text })
        .catch(failed("chat.postEphemeral"));
    }
    await ack();
  });
}
