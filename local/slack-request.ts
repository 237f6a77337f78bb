/**
 * Requests as Slack sends them: a slash command's form body, signed with the app's signing
 * secret (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`).
 */
import { createHmac, randomBytes } from "node:crypto";

export interface SlashFields {
  teamId: string;
  channelId: string;
  userId: string;
  /** As the person typed it; encoded here as Slack encodes it. */
  text: string;
  /** Where bm's delayed answers go: one the Slack stand-in made (`/_local/response-url`). */
  responseUrl: string;
  command?: string;
  triggerId?: string;
}

/** Slack sends a slash command's text with `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;`. */
export function slackEncode(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A slash command's body, with every field Slack sends. */
export function slashCommandBody(fields: SlashFields): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: fields.teamId,
    team_domain: "local",
    channel_id: fields.channelId,
    channel_name: "local",
    user_id: fields.userId,
    user_name: fields.userId.toLowerCase(),
    command: fields.command ?? "/bm",
    text: slackEncode(fields.text),
    api_app_id: "A0LOCALBM",
    is_enterprise_install: "false",
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId ?? newTriggerId(),
  }).toString();
}

/**
 * How far from now Slack dates a request, either way: a request dated further is refused (Slack's
 * rule for verifying requests; Bolt checks only the past).
 */
export const SLACK_CLOCK_SKEW_S = 5 * 60;

/**
 * The headers Slack puts on a request with this body. Slack sends a request as it is made, so the
 * stand-in refuses to date one more than 5 minutes from now: a test that needs such a request
 * forges it with {@link slackHeadersAt}.
 */
export function slackHeaders(
  signingSecret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  if (Math.abs(timestamp - Date.now() / 1000) > SLACK_CLOCK_SKEW_S)
    throw new Error("Slack never sends a request dated more than 5 minutes from now");
  return slackHeadersAt(signingSecret, body, timestamp);
}

/**
 * Headers signed for any timestamp, as someone who holds the signing secret (or replays a
 * request) could make them: never what Slack sends.
 */
export function slackHeadersAt(
  signingSecret: string,
  body: string,
  timestamp: number,
): Record<string, string> {
  const signature = createHmac("sha256", signingSecret)
    .update(`v0:${timestamp}:${body}`)
    .digest("hex");
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": `v0=${signature}`,
    "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
  };
}

/** A trigger id of Slack's shape: each interaction has a new one. */
function newTriggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString("hex")}`;
}

/** The fields every interaction payload has: who, in which team, from which app. */
function interaction(type: string, teamId: string, userId: string) {
  return {
    type,
    team: { id: teamId, domain: "local" },
    user: {
      id: userId,
      username: userId.toLowerCase(),
      name: userId.toLowerCase(),
      team_id: teamId,
    },
    api_app_id: "A0LOCALBM",
    token: "deprecated-verification-token",
    trigger_id: newTriggerId(),
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** Interactions arrive as a form with one field, `payload`, holding the JSON. */
function asForm(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A click on a button of a bm message, as a `block_actions` interaction payload. */
export function blockActionsBody(fields: {
  teamId: string;
  channelId: string;
  userId: string;
  messageTs: string;
  actionId: string;
  value: string;
  responseUrl: string;
  /** The button's block (`bm_approval` unless told). */
  blockId?: string;
  /** A click on an ephemeral message: Slack then sends no `message`, and says so in `container`. */
  ephemeral?: boolean;
}): string {
  const ephemeral = fields.ephemeral === true;
  return asForm({
    ...interaction("block_actions", fields.teamId, fields.userId),
    container: {
      type: "message",
      message_ts: fields.messageTs,
      channel_id: fields.channelId,
      is_ephemeral: ephemeral,
    },
    channel: { id: fields.channelId, name: "local" },
    ...(ephemeral ? {} : { message: { type: "message", ts: fields.messageTs, text: "" } }),
    state: { values: {} },
    response_url: fields.responseUrl,
    actions: [
      {
        type: "button",
        block_id: fields.blockId ?? "bm_approval",
        action_id: fields.actionId,
        value: fields.value,
        text: { type: "plain_text", text: fields.actionId },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  });
}

/** The reject modal submitted, as a `view_submission` interaction payload. */
export function rejectSubmissionBody(fields: {
  teamId: string;
  userId: string;
  operationId: string;
  reason: string;
}): string {
  return asForm({
    ...interaction("view_submission", fields.teamId, fields.userId),
    view: {
      id: "V0LOCAL",
      type: "modal",
      callback_id: "bm_reject_reason",
      private_metadata: fields.operationId,
      state: { values: { reason: { reason: { type: "plain_text_input", value: fields.reason } } } },
      hash: "0.local",
    },
    response_urls: [],
  });
}

/** What Slack sends, as JSON, to check the Events API's request URL: answered with `challenge`. */
export function urlVerificationBody(challenge: string): string {
  return JSON.stringify({
    token: "deprecated-verification-token",
    challenge,
    type: "url_verification",
  });
}

let events = 0;

/** A new event id of Slack's shape (`Ev…`): each event has its own, kept by its retries. */
export function newEventId(): string {
  events++;
  return `Ev${Date.now().toString(36).toUpperCase()}${String(events).padStart(4, "0")}`;
}

/**
 * An `app_home_opened` event in Slack's `event_callback` envelope: the user opened the app's Home
 * tab (or its Messages tab, `tab: "messages"`). `view` is there once a Home was published.
 */
export function appHomeOpenedBody(fields: {
  teamId: string;
  userId: string;
  eventId?: string;
  tab?: "home" | "messages";
  view?: Record<string, unknown>;
}): string {
  const now = Date.now();
  return JSON.stringify({
    token: "deprecated-verification-token",
    team_id: fields.teamId,
    context_team_id: fields.teamId,
    api_app_id: "A0LOCALBM",
    event: {
      type: "app_home_opened",
      user: fields.userId,
      channel: `D${fields.userId.slice(1)}`,
      tab: fields.tab ?? "home",
      event_ts: `${Math.floor(now / 1000)}.${String(now % 1000).padStart(6, "0")}`,
      ...(fields.view ? { view: fields.view } : {}),
    },
    type: "event_callback",
    event_id: fields.eventId ?? newEventId(),
    event_time: Math.floor(now / 1000),
    authorizations: [
      { team_id: fields.teamId, user_id: "U0BM", is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  });
}

/** The headers of an Events API request: JSON, signed as every request, and a retry's count. */
export function eventHeaders(
  signingSecret: string,
  body: string,
  retry?: { num: number; reason: string },
): Record<string, string> {
  return {
    ...slackHeaders(signingSecret, body),
    "content-type": "application/json",
    ...(retry
      ? { "x-slack-retry-num": String(retry.num), "x-slack-retry-reason": retry.reason }
      : {}),
  };
}

/**
 * A click on a button of the user's Home tab, as a `block_actions` payload: from a view of type
 * `home` (its `container` says so), with no channel, no message and no response_url.
 */
export function homeActionsBody(fields: {
  teamId: string;
  userId: string;
  actionId: string;
  value: string;
  blockId: string;
}): string {
  const viewId = `VH${fields.userId}`;
  return asForm({
    ...interaction("block_actions", fields.teamId, fields.userId),
    container: { type: "view", view_id: viewId },
    view: { id: viewId, type: "home", blocks: [], private_metadata: "", callback_id: "" },
    state: { values: {} },
    actions: [
      {
        type: "button",
        block_id: fields.blockId,
        action_id: fields.actionId,
        value: fields.value,
        text: { type: "plain_text", text: fields.actionId },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  });
}
