/**
 * The slash command: its work by the deadline, then the ack with the answer. Text Slack sent
 * encoded (a slash command's) is decoded here, once.
 */
import type { App } from "@slack/bolt";
import { operationIdFor } from "../../operations/operation";
import { isResponseUrl } from "../../slack/chat";
import { decodeSlackText } from "../../slack/mrkdwn";
import { by } from "../../util/by";
import { budgetOf } from "../budget";
import type { FrontDoorDeps } from "../deps";
import { handleSlashCommand } from "../handle-command";
import { slashCommandOf } from "../payloads";
import { FAILED, failed, outsider, SLOW_COMMAND, UNREADABLE_COMMAND } from "./answering";

export function registerCommands(app: App, deps: FrontDoorDeps): void {
  app.command("/bm", async ({ command, ack, context }) => {
    const budget = budgetOf(context);
    const reply = (text: string) => ack({ response_type: "ephemeral", text });
    const slash = slashCommandOf(command);
    if (!slash) return reply(UNREADABLE_COMMAND.text);
    const refused = await outsider(
      deps,
      budget,
      slash.who,
      operationIdFor(slash.who.teamId, slash.triggerId),
    );
    if (refused) return reply(refused.text);
    const work = handleSlashCommand(
      deps,
      {
        teamId: slash.who.teamId,
        channelId: slash.channelId,
        userId: slash.who.userId,
        text: decodeSlackText(slash.text),
        triggerId: slash.triggerId,
        ...(isResponseUrl(slash.responseUrl, deps.responseUrlAllow)
          ? { responseUrl: slash.responseUrl }
          : {}),
      },
      budget.workBy,
    ).then(
      (text) => ({ text }),
      (error: unknown) => ({ text: failed(deps, "slash command")(error) ?? FAILED.text }),
    );
    const answer = await by(budget.workBy, work);
    if (!answer)
      deps.log.warn("slash command still at work when Slack needed its answer", {
        elapsedMs: budget.elapsed(),
      });
    await reply(answer?.text ?? SLOW_COMMAND.text);
  });
}
