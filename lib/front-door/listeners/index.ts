/**
 * The Bolt listeners of the front door, by kind, as Slack's Bolt starter template groups them:
 * the slash command, the card's buttons, the private choices, the reject modal, the Home tab's
 * event. Every answer is
 * built as escaped mrkdwn.
 */
import type { App } from "@slack/bolt";
import type { FrontDoorDeps } from "../deps";
import { registerCardButtons } from "./card-buttons";
import { registerChoices } from "./choices";
import { registerCommands } from "./commands";
import { registerHome } from "./home";
import { registerMedia } from "./media";
import { registerRejectModal } from "./reject-modal";

export function registerListeners(app: App, deps: FrontDoorDeps): void {
  registerCommands(app, deps);
  registerCardButtons(app, deps);
  registerChoices(app, deps);
  registerRejectModal(app, deps);
  registerHome(app, deps);
  registerMedia(app, deps);
}
