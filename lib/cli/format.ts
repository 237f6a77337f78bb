/**
 * Text for the terminal.
 */
import type { Option } from "../choices/choice";
import { isIdle, type Server } from "../ecl/server";
import { formatElapsed } from "../util/elapsed";
import { plural } from "../util/plural";

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

/** The images a server shows, in a few words. */
export function mediaWords(media: string[] | undefined): string {
  if (media === undefined) return "media not listed";
  if (media.length === 0) return "no image attached";
  return `${plural(media.length, "image")} attached: ${media.join(", ")}`;
}

/** A close name's line: its server's id and images, or how many servers share it. */
export function optionLine(option: Option): string {
  if (!option.seen) return `  ${option.name}  (${option.servers ?? 0} servers have this name)`;
  return `  ${option.name}  ${option.seen.id}  ${mediaWords(option.seen.media)}`;
}

/** The time since the start, at the head of a progress line: "[   4.2s]". */
export function stamp(elapsedMs: number): string {
  return `[${formatElapsed(elapsedMs).padStart(7)}]`;
}
