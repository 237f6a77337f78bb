/**
 * The payloads bm reads from Slack, checked at the edge with valibot: a slash command's form, a
 * click (`block_actions`) and the reject modal's submission (`view_submission`). A field given
 * twice (a form parser then gives a list), of the wrong type or missing makes the whole payload
 * unreadable: nothing of it is used, and nothing is recorded.
 */
import { parse as parseForm } from "node:querystring";
import * as v from "valibot";

const id = (pattern: RegExp) => v.pipe(v.string(), v.regex(pattern));
const TEAM = id(/^T[A-Z0-9]+$/);
const ENTERPRISE = id(/^E[A-Z0-9]+$/);
const USER = id(/^[UW][A-Z0-9]+$/);
const CHANNEL = id(/^[CGD][A-Z0-9]+$/);
const TRIGGER = v.pipe(v.string(), v.nonEmpty());

const SlashCommandSchema = v.object({
  command: v.string(),
  team_id: TEAM,
  // On Enterprise Grid only; Slack may send it empty elsewhere.
  enterprise_id: v.optional(v.union([v.literal(""), ENTERPRISE])),
  channel_id: CHANNEL,
  user_id: USER,
  text: v.optional(v.string(), ""),
  trigger_id: TRIGGER,
  response_url: v.optional(v.string()),
});

/** Who acts in an interaction: the workspace it came from, the user and the user's own team. */
const Interaction = {
  team: v.object({ id: TEAM }),
  // A user of another workspace (Slack Connect) has its own team here; on Grid, maybe the org's.
  user: v.object({ id: USER, team_id: v.union([TEAM, ENTERPRISE]) }),
  enterprise: v.nullish(v.object({ id: ENTERPRISE })),
};

const BlockActionsSchema = v.object({
  type: v.literal("block_actions"),
  ...Interaction,
  channel: v.nullish(v.object({ id: CHANNEL })),
  // A click on a Home tab comes from a view of type "home", with no channel and no response_url.
  view: v.nullish(v.object({ type: v.string() })),
  trigger_id: TRIGGER,
  response_url: v.optional(v.string()),
  actions: v.pipe(
    v.array(v.object({ action_id: v.string(), value: v.optional(v.string()) })),
    v.minLength(1),
  ),
});

const ViewSubmissionSchema = v.object({
  type: v.literal("view_submission"),
  ...Interaction,
  view: v.object({
    callback_id: v.string(),
    private_metadata: v.string(),
    state: v.object({
      values: v.record(
        v.string(),
        v.record(v.string(), v.object({ value: v.nullish(v.string()) })),
      ),
    }),
  }),
});

/** Who acts, and from where: what the workspace check reads. */
export interface Who {
  /** The workspace the request came from (a slash command's `team_id`, an interaction's `team.id`). */
  teamId: string;
  userId: string;
  /** The user's own team (interactions only: `user.team_id`). */
  userTeamId?: string;
  /** The Enterprise Grid organisation, when Slack names one. */
  enterpriseId?: string;
}

export interface SlashCommandPayload {
  who: Who;
  channelId: string;
  /** As Slack sent it (encoded). */
  text: string;
  triggerId: string;
  responseUrl?: string;
}

export interface ClickPayload {
  who: Who;
  /** The channel of the message clicked; "" for a click with none. */
  channelId: string;
  /** The first action's value: an operation id, or a choice's id and place. */
  value: string;
  triggerId: string;
  responseUrl?: string;
  /** Clicked on the clicker's Home tab, not on a message. */
  fromHome: boolean;
}

export interface SubmissionPayload {
  who: Who;
  callbackId: string;
  privateMetadata: string;
  /** The value of the input `action` in block `block`, or undefined. */
  value(block: string, action: string): string | undefined;
}

const enterprise = (id: string | undefined | null) => (id ? { enterpriseId: id } : {});

function interactionWho(
  body: v.InferOutput<typeof BlockActionsSchema | typeof ViewSubmissionSchema>,
): Who {
  return {
    teamId: body.team.id,
    userId: body.user.id,
    userTeamId: body.user.team_id,
    ...enterprise(body.enterprise?.id),
  };
}

/** A slash command's fields, or undefined when it is not one bm can read. */
export function slashCommandOf(body: unknown): SlashCommandPayload | undefined {
  const parsed = v.safeParse(SlashCommandSchema, body);
  if (!parsed.success) return undefined;
  const c = parsed.output;
  return {
    who: { teamId: c.team_id, userId: c.user_id, ...enterprise(c.enterprise_id) },
    channelId: c.channel_id,
    text: c.text,
    triggerId: c.trigger_id,
    ...(c.response_url !== undefined ? { responseUrl: c.response_url } : {}),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A Detach button of `/bm media`: `SERVER-ID IMAGE-ID`, both ids. */
const MediaDetachValueSchema = v.pipe(
  v.string(),
  v.transform((value) => value.split(" ")),
  v.strictTuple([v.pipe(v.string(), v.regex(UUID)), v.pipe(v.string(), v.regex(UUID))]),
);

/** The server and image of a `/bm media` Detach button's value; undefined for any other value. */
export function mediaDetachOf(value: string): { serverId: string; imageId: string } | undefined {
  const parsed = v.safeParse(MediaDetachValueSchema, value);
  if (!parsed.success) return undefined;
  const [serverId, imageId] = parsed.output;
  return { serverId, imageId };
}

/** The image of a `/bm media` "Detach from all N" button's value (its id); undefined for any other value. */
export function mediaDetachAllOf(value: string): string | undefined {
  return UUID.test(value) ? value : undefined;
}

/** A click's fields, or undefined when it is not one bm can read. */
export function clickOf(body: unknown): ClickPayload | undefined {
  const parsed = v.safeParse(BlockActionsSchema, body);
  if (!parsed.success) return undefined;
  const b = parsed.output;
  return {
    who: interactionWho(b),
    channelId: b.channel?.id ?? "",
    value: b.actions[0]?.value ?? "",
    triggerId: b.trigger_id,
    ...(b.response_url !== undefined ? { responseUrl: b.response_url } : {}),
    fromHome: b.view?.type === "home",
  };
}

const EventCallbackSchema = v.object({
  type: v.literal("event_callback"),
  team_id: TEAM,
  enterprise_id: v.nullish(v.union([v.literal(""), ENTERPRISE])),
  event_id: v.pipe(v.string(), v.regex(/^Ev[A-Za-z0-9]{1,64}$/)),
  event: v.object({ type: v.string() }),
});

const AppHomeOpenedSchema = v.object({
  type: v.literal("app_home_opened"),
  user: USER,
  tab: v.optional(v.picklist(["home", "messages"])),
});

/** An Events API callback: who it came from, its id (kept by Slack's retries) and its event. */
export interface EventCallback {
  who: Who;
  eventId: string;
  /** The event's type: `app_home_opened` is the one bm subscribes to. */
  type: string;
}

/** The Home tab (or Messages tab) opened by a user: `app_home_opened`. */
export interface HomeOpened extends EventCallback {
  tab: "home" | "messages";
}

/** An event callback's envelope, or undefined when it is not one bm can read. */
export function eventCallbackOf(body: unknown): EventCallback | undefined {
  const parsed = v.safeParse(EventCallbackSchema, body);
  if (!parsed.success) return undefined;
  const b = parsed.output;
  // The schema keeps only the event's type: its other fields are read by each event's own.
  const user = (body as { event: { user?: unknown } }).event.user;
  return {
    who: {
      teamId: b.team_id,
      userId: typeof user === "string" ? user : "",
      ...enterprise(b.enterprise_id),
    },
    eventId: b.event_id,
    type: b.event.type,
  };
}

/** An `app_home_opened` callback, or undefined when it is not one bm can read. */
export function homeOpenedOf(body: unknown): HomeOpened | undefined {
  const envelope = eventCallbackOf(body);
  const event = v.safeParse(AppHomeOpenedSchema, (body as { event?: unknown } | null)?.event);
  if (!envelope || !event.success) return undefined;
  return { ...envelope, tab: event.output.tab ?? "home" };
}

/** A modal's submission, or undefined when it is not one bm can read. */
export function submissionOf(body: unknown): SubmissionPayload | undefined {
  const parsed = v.safeParse(ViewSubmissionSchema, body);
  if (!parsed.success) return undefined;
  const b = parsed.output;
  return {
    who: interactionWho(b),
    callbackId: b.view.callback_id,
    privateMetadata: b.view.private_metadata,
    value: (block, action) => b.view.state.values[block]?.[action]?.value ?? undefined,
  };
}

/**
 * What a request's body is, read as Bolt reads it (a form, its `payload` field JSON): a slash
 * command or an interaction bm reads and can (`ok`), one it cannot (`unreadable`, and which
 * kind), or another request Bolt answers by itself (Slack's checks, kinds bm has no listener for).
 */
export function checkBody(
  rawBody: string,
  contentType: string | undefined,
): { ok: true } | { ok: false; kind: "command" | "interaction" | "event" } {
  if (contentType?.split(";")[0]?.trim() === "application/json") return checkEvent(rawBody);
  // As Bolt: only this content type is read as a form; any other body the listeners check.
  if (contentType !== "application/x-www-form-urlencoded") return { ok: true };
  const form = parseForm(rawBody);
  if ("payload" in form) {
    let payload: unknown;
    try {
      payload = typeof form.payload === "string" ? JSON.parse(form.payload) : undefined;
    } catch {
      // Not JSON: unreadable, below.
    }
    const type = (payload as { type?: unknown } | undefined)?.type;
    const readable =
      type === "block_actions"
        ? clickOf(payload) !== undefined
        : type === "view_submission"
          ? submissionOf(payload) !== undefined
          : typeof type === "string";
    return readable ? { ok: true } : { ok: false, kind: "interaction" };
  }
  if ("command" in form)
    return slashCommandOf(form) ? { ok: true } : { ok: false, kind: "command" };
  return { ok: true };
}

/**
 * An Events API body: Slack's URL check (Bolt answers its challenge), or an event callback whose
 * envelope bm reads, and, for the one event bm subscribes to, its fields.
 */
function checkEvent(rawBody: string): { ok: true } | { ok: false; kind: "event" } {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return { ok: false, kind: "event" };
  }
  const type = (body as { type?: unknown } | null)?.type;
  if (type === "url_verification")
    return typeof (body as { challenge?: unknown }).challenge === "string"
      ? { ok: true }
      : { ok: false, kind: "event" };
  const envelope = eventCallbackOf(body);
  if (!envelope) return { ok: false, kind: "event" };
  if (envelope.type === "app_home_opened" && !homeOpenedOf(body))
    return { ok: false, kind: "event" };
  return { ok: true };
}

/** How far from now Slack dates a request, either way (Slack's rule; Bolt checks only the past). */
export const CLOCK_SKEW_S = 5 * 60;

/**
 * True when a request's `X-Slack-Request-Timestamp` (seconds) is within 5 minutes of `nowMs`,
 * either way. A request dated later was not sent by Slack now: a forgery or a clock to distrust.
 */
export function isFreshTimestamp(header: string | undefined, nowMs: number): boolean {
  if (header === undefined || !/^\d{1,12}$/.test(header.trim())) return false;
  return Math.abs(Number(header) - nowMs / 1000) <= CLOCK_SKEW_S;
}
