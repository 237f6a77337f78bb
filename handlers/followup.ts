/**
 * The follow-up: every minute, polls the operations in flight until ECL shows them finished.
 * Started by the schedule, or by the worker (`{source: "bm.worker"}`) after ECL accepted a detach.
 */
import type { Context, ScheduledEvent } from "aws-lambda";
import { followUp } from "../lib/followup/follow-up";
import { createBackend } from "../lib/runtime/backend";
import { once } from "../lib/runtime/once";

const backend = once(() => createBackend("followup"));

export const handler = async (
  event: ScheduledEvent | { source: "bm.worker" },
  context: Context,
): Promise<void> => {
  const deps = await backend();
  try {
    const trigger = event.source === "bm.worker" ? "worker" : "schedule";
    const reports = await followUp(deps, () => context.getRemainingTimeInMillis(), trigger);
    deps.log.info("follow-up finished", { trigger, rounds: reports.length });
  } finally {
    deps.metrics.flush();
  }
};
