/**
 * The follow-up: every minute, polls the operations in flight until ECL shows them finished.
 */
import type { Context, ScheduledEvent } from "aws-lambda";
import { followUp } from "../lib/followup/follow-up";
import { createBackend } from "../lib/runtime/backend";
import { once } from "../lib/runtime/once";

const backend = once(() => createBackend("followup"));

export const handler = async (_event: ScheduledEvent, context: Context): Promise<void> => {
  const deps = await backend();
  try {
    const reports = await followUp(deps, () => context.getRemainingTimeInMillis());
    deps.log.info("follow-up finished", { rounds: reports.length });
  } finally {
    deps.metrics.flush();
  }
};
