/**
 * Requests as Slack sends them: a slash command's form body, signed with the app's signing
 * secret (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`).
 */
import { createHmac, randomBytes } from "node:crypto";

export interface SlashFields {
  teamId: string;
  channelId: string;
  userId: string;
  text: string;
  command?: string;
  triggerId?: string;
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
    text: fields.text,
    api_app_id: "A0LOCALBM",
    is_enterprise_install: "false",
    response_url: "https://hooks.slack.com/commands/T0LOCAL/1/local",
    trigger_id:
      fields.triggerId ??
      `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(16).toString("hex")}`,
  }).toString();
}

/** The headers Slack puts on a request with this body. */
export function slackHeaders(
  signingSecret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
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
