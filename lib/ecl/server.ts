/**
 * The parts of an ECL bare-metal server that bm reads, taken leniently from the API's JSON.
 */

/** A server as bm sees it. */
export interface Server {
  id: string;
  name: string;
  status: string | undefined;
  powerState: string | undefined;
  /** The raw task_state, which ECL sends as the string "None" when idle; see {@link isIdle}. */
  taskState: string | null | undefined;
  vmState: string | undefined;
  /**
   * Ids of the images attached as virtual media; undefined when ECL left `media_attachments`
   * out, which tells nothing about what is attached.
   */
  mediaIds: string[] | undefined;
}

/** What a server object says about one image: attached, not attached, or nothing at all. */
export type Attachment = "attached" | "absent" | "unknown";

/**
 * True when a task_state means no task is running. ECL sends the *string* "None" (a Python
 * `None` printed into JSON); other OpenStack APIs send null or omit the field. All mean idle.
 */
export function isIdle(taskState: string | null | undefined): boolean {
  return taskState === undefined || taskState === null || taskState.toLowerCase() === "none";
}

/** Whether the image is attached to the server, compared without regard to case. */
export function attachment(server: Server, imageId: string): Attachment {
  if (server.mediaIds === undefined) return "unknown";
  const wanted = imageId.toLowerCase();
  return server.mediaIds.some((id) => id.toLowerCase() === wanted) ? "attached" : "absent";
}

/**
 * True when a detach of this image has surely finished: the server is idle and lists its media
 * without the image. Whether task_state changes at all during a detach is undocumented, so both
 * are watched; a server that does not list its media is never read as detached.
 */
export function isDetached(server: Server, imageId: string): boolean {
  return isIdle(server.taskState) && attachment(server, imageId) === "absent";
}

/** What bm says when ECL leaves `media_attachments` out. */
export const MEDIA_NOT_LISTED =
  "ECL did not list media for this server; bm cannot tell whether the image is attached";

/**
 * Reads one server object of Show Server or List Servers (detail).
 * @throws TypeError when it has no string `id`.
 */
export function toServer(raw: unknown): Server {
  const obj = record(raw);
  const id = obj.id;
  if (typeof id !== "string") throw new TypeError("ECL sent a server without an id");
  const taskState = obj["OS-EXT-STS:task_state"];
  // Absent (or not a list) is unknown, never "nothing attached".
  const media = Array.isArray(obj.media_attachments) ? obj.media_attachments : undefined;
  return {
    id,
    name: typeof obj.name === "string" ? obj.name : "",
    status: text(obj.status),
    powerState: text(obj["OS-EXT-STS:power_state"]),
    taskState: taskState === null ? null : text(taskState),
    vmState: text(obj["OS-EXT-STS:vm_state"]),
    mediaIds: media?.flatMap((m) => {
      const id = record(record(m).image).id;
      return typeof id === "string" ? [id] : [];
    }),
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
