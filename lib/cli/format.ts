/**
 * Text for the terminal.
 */
import { isIdle, type Server } from "../ecl/server";

/** task_state as sent, and whether bm reads it as idle. */
export function formatTaskState(taskState: Server["taskState"]): string {
  const shown = taskState === undefined ? "(absent)" : String(taskState);
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
    `  media       ${
      server.mediaIds === undefined
        ? "(not listed: ECL left media_attachments out)"
        : server.mediaIds.length > 0
          ? server.mediaIds.join(", ")
          : "(none attached)"
    }`,
  ];
}
