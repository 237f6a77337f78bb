/**
 * Text for the terminal.
 */
import { isIdle, type Server } from "../ecl/server";

/** `4.2s`, or `2m 05s` from one minute on. */
export function formatElapsed(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}

/** task_state as sent, and whether bm reads it as idle. */
export function formatTaskState(taskState: Server["taskState"]): string {
  const shown = taskState === undefined ? "(absent)" : taskState === null ? "null" : taskState;
  return `${shown} (${isIdle(taskState) ? "idle" : "busy"})`;
}

/** A server's state, a field a line. */
export function formatServer(server: Server): string[] {
  return [
    `${server.name || "(no name)"}  ${server.id}`,
    `  status      ${server.status ?? "?"}`,
    `  power       ${server.powerState ?? "?"}`,
    `  task_state  ${formatTaskState(server.taskState)}`,
    `  vm_state    ${server.vmState ?? "?"}`,
    `  media       ${server.mediaIds.length > 0 ? server.mediaIds.join(", ") : "(none attached)"}`,
  ];
}
