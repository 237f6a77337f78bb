/**
 * The slash command: its work by the deadline, then the ack with the answer. Text Slack sent
 * encoded (a slash command's) is decoded here, once.
 */
import type { App } from "@slack/bolt";
import { isResponseUrl } from "../../slack/chat";
import { decodeSlackText } from "../../slack/mrkdwn";
import type { FrontDoorDeps } from "../deps";
import { handleSlashCommand } from "../handle-command";
import { by, FAILED, failed, SLOW_COMMAND, WORK_MS } from "./answering";

export function registerCommands(app: App, deps: FrontDoorDeps): void {
  app.command("/bm", async ({ command, ack }) => {
    const deadline = Date.now() + WORK_MS;
    const work = handleSlashCommand(deps, {
      teamId: command.team_id,
      channelId: command.channel_id,
      userId: command.user_id,
      text: decodeSlackText(command.text ?? ""),
      triggerId: command.trigger_id,
      ...(isResponseUrl(command.response_url, deps.responseUrlAllow)
        ? { responseUrl: command.response_url }
        : {}),
    }).then(
      (text) => ({ text }),
      (error: unknown) => ({ text: failed(deps, "slash command")(error) ?? FAILED.text }),
    );
    const answer = await by(deadline, work);
    if (!answer) deps.log.warn("slash command still at work when Slack needed its answer", {});
    await ack({ response_type: "ephemeral", text: answer?.text ?? SLOW_COMMAND.text });
  });
}
