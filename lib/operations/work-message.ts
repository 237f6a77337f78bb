/**
 * What the worker is asked to do: the messages of the work queue, their type and their schema
 * side by side, so that a kind added to one is in the other. Every body the worker receives is
 * read through the schema; a body it does not describe is not bm's.
 */
import * as v from "valibot";

const id = v.pipe(v.string(), v.nonEmpty());

/** A `/bm status` to answer: the worker reads ECL, then tells the user. */
const StatusRequestSchema = v.object({
  teamId: id,
  channelId: id,
  userId: id,
  /** A server name or id, or an operation id. */
  target: id,
  tenant: id,
  secretId: id,
  /** The slash command's response_url: the answer goes there, so it works where bm is not invited. */
  responseUrl: v.optional(v.string()),
  /**
   * The id the read is audited under when it names no operation (readIdFor); absent from a
   * message an older front door queued.
   */
  readId: v.optional(id),
});

/** A `/bm media` to answer: the same fields as a status, its target optional (all the tenant's media). */
const MediaRequestSchema = v.object({
  ...StatusRequestSchema.entries,
  /** An image id or a server name or id; absent: every server with media attached. */
  target: v.optional(id),
});

export const WorkMessageSchema = v.variant("kind", [
  /**
   * An operation to prepare, execute, or announce (post what it owes Slack). `reread`: the how
   * many-th reading of a server to learn the fate of a detach POST that got no answer.
   */
  v.object({
    kind: v.picklist(["prepare", "execute", "announce"]),
    operationId: id,
    reread: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(20))),
  }),
  v.object({ kind: v.literal("status"), request: StatusRequestSchema }),
  v.object({ kind: v.literal("media"), request: MediaRequestSchema }),
  /** Someone clicked Re-check on a timed-out detach: read the server again, answer them. */
  v.object({ kind: v.literal("recheck"), operationId: id, userId: id }),
  /** A detach that names its server by name, or no image: read ECL, then start it or offer a choice. */
  v.object({ kind: v.literal("lookup"), choiceId: id }),
]);

export type WorkMessage = v.InferOutput<typeof WorkMessageSchema>;
export type StatusRequest = v.InferOutput<typeof StatusRequestSchema>;
export type MediaRequest = v.InferOutput<typeof MediaRequestSchema>;

/** Reads a queue message body; undefined for anything that is not a bm work message. */
export function parseWorkMessage(body: string): WorkMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Not JSON: `parsed` stays undefined, which the schema refuses.
  }
  const read = v.safeParse(WorkMessageSchema, parsed);
  return read.success ? read.output : undefined;
}
