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

/** What bm records of a server each time it reads one: the parent message shows it. */
export interface ObservedState {
  /** "None" when idle, whatever form ECL gave it in (see {@link isIdle}); else ECL's own word. */
  taskState: string;
  powerState?: string;
  /** The read had no `media_attachments`: bm cannot tell whether the image is attached. */
  mediaUnknown: boolean;
}

/** The state bm records of a server it has just read. The one place it is built. */
export function observedState(server: Server): ObservedState {
  return {
    taskState: isIdle(server.taskState) ? "None" : String(server.taskState),
    ...(server.powerState ? { powerState: server.powerState } : {}),
    mediaUnknown: server.mediaIds === undefined,
  };
}

/**
 * How a detach of `imageId`, accepted by ECL at `acceptedAt` (epoch ms), is known to have
 * finished, or undefined while it is not: "media" when the server is idle and lists its media
 * without the image; "task_state" when ECL does not list media at all, so that an idle server is
 * all there is, and only once `graceMs` have passed since ECL accepted it (ECL may show its task
 * a moment late). Without `acceptedAt` (ECL never said it accepted), task_state proves nothing.
 */
export function detachFinished(
  server: Server,
  imageId: string,
  acceptedAt: number | undefined,
  now: number,
  graceMs: number,
): "media" | "task_state" | undefined {
  if (isDetached(server, imageId)) return "media";
  if (
    attachment(server, imageId) === "unknown" &&
    isIdle(server.taskState) &&
    acceptedAt !== undefined &&
    now - acceptedAt >= graceMs
  )
    return "task_state";
  return undefined;
}

/** The audit fact that says how a finished detach was judged, when not by its media. */
export function judgedBy(finished: "media" | "task_state"): { judgedBy?: string } {
  return finished === "task_state" ? { judgedBy: "task_state alone: ECL did not list media" } : {};
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
