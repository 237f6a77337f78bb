/**
 * The Slack secret: the app's signing secret and bot token, and optionally the bot's ids, which
 * spare Bolt an `auth.test` call.
 */

import * as v from "valibot";
import { BmError } from "../errors";
import { isJsonObject } from "../secrets/secret-source";

export interface SlackSecret {
  signingSecret: string;
  botToken: string;
  botId: string | undefined;
  botUserId: string | undefined;
}

export class SlackSecretError extends BmError {
  readonly passing = false;
  /** For the deployer, in the cold start's log; a user sees its name only. */
  readonly forUsers = false;
  override readonly name = "SlackSecretError";
}

const text = (field: string) =>
  v.pipe(v.string(`${field} must be a string`), v.nonEmpty(`${field} must not be empty`));
const Schema = v.object({
  signing_secret: text("signing_secret"),
  bot_token: v.pipe(
    text("bot_token"),
    v.startsWith("xoxb-", "bot_token must be a bot token (xoxb-…)"),
  ),
  bot_id: v.optional(text("bot_id")),
  bot_user_id: v.optional(text("bot_user_id")),
});

/** @throws SlackSecretError naming each missing or wrong field, never a value. */
export function parseSlackSecret(secretId: string, value: unknown): SlackSecret {
  if (!isJsonObject(value))
    throw new SlackSecretError(
      `Slack secret "${secretId}" is invalid: the secret must be a JSON object`,
    );
  const result = v.safeParse(Schema, value);
  if (!result.success) {
    const problems = result.issues.map((i) =>
      i.input === undefined ? `${v.getDotPath(i)} is missing` : i.message,
    );
    throw new SlackSecretError(`Slack secret "${secretId}" is invalid: ${problems.join("; ")}`);
  }
  const s = result.output;
  return {
    signingSecret: s.signing_secret,
    botToken: s.bot_token,
    botId: s.bot_id,
    botUserId: s.bot_user_id,
  };
}
