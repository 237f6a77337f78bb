/**
 * The Events API's one event bm subscribes to, `app_home_opened`: the person's Home tab, built
 * from the table and published (open-home.ts). Bolt acks an event before its listener runs, but
 * on Lambda the answer leaves only when the listener returns: the work fits the budget.
 */
import type { App } from "@slack/bolt";
import { budgetOf } from "../budget";
import type { FrontDoorDeps } from "../deps";
import { openHome } from "../open-home";
import { homeOpenedOf } from "../payloads";

export function registerHome(app: App, deps: FrontDoorDeps): void {
  app.event("app_home_opened", async ({ body, context }) => {
    const opened = homeOpenedOf(body);
    if (!opened) return;
    const outcome = await openHome(deps, budgetOf(context), opened);
    deps.log.info("app_home_opened", {
      outcome,
      eventId: opened.eventId,
      ...(context.retryNum !== undefined ? { retryNum: context.retryNum } : {}),
    });
  });
}
