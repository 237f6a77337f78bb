/**
 * The Slack calls bm makes, behind a small port, and its adapter over Slack's WebClient (the
 * client Bolt itself uses). Every failure leaves the adapter as a {@link SlackApiError}: passing
 * or permanent, with Slack's error code.
 */
import type { KnownBlock, View } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { type HostPatterns, isAllowedHost, NO_HOSTS } from "../net/endpoint-rule";
import { SlackApiError, slackApiError } from "./slack-error";

declare const built: unique symbol;

/**
 * A message for Slack. Only {@link message} in `blocks.ts` makes one, from escaped mrkdwn fitted
 * to Slack's limits: the type keeps any other text from reaching Slack.
 */
export type SlackMessage = { readonly text: string; readonly blocks?: KnownBlock[] } & {
  readonly [built]: true;
};

export interface Chat {
  /** Posts a message, in a thread when `threadTs` is given. Returns its ts. */
  post(channel: string, message: SlackMessage, threadTs?: string): Promise<string>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** Deletes one of bm's own messages. */
  remove(channel: string, ts: string): Promise<void>;
  permalink(channel: string, ts: string): Promise<string | undefined>;
  /** The user ids of a user group. */
  groupMembers(groupId: string): Promise<string[]>;
  /** A message only `user` sees, in `channel` (the bot must be a member). */
  ephemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  /**
   * A message only the person who ran a slash command (or clicked) sees, through the
   * `response_url` Slack gave with it: works in channels the bot is not in, for 30 minutes and
   * 5 posts. With `replace`, the message replaces the one clicked (a click's response_url).
   */
  respond(
    responseUrl: string,
    message: SlackMessage,
    options?: { replace?: boolean },
  ): Promise<void>;
  /** Opens a modal for the click that gave `triggerId` (valid for 3 s). */
  openView(triggerId: string, view: View): Promise<void>;
}

/**
 * True for a response_url bm may post to: Slack's own hooks (`https://hooks.slack.com/…`, on its
 * default port), or one on a host of `allow` (BM_SLACK_URL_ALLOW: the local stack's stand-in on
 * 127.0.0.1), over http or https. Anything else in a payload is ignored rather than fetched.
 */
export function isResponseUrl(url: unknown, allow: HostPatterns = NO_HOSTS): url is string {
  if (typeof url !== "string") return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username !== "" || parsed.password !== "") return false;
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return false;
  if (isAllowedHost(allow, parsed.hostname)) return true;
  return parsed.protocol === "https:" && parsed.host === "hooks.slack.com";
}

/** A Chat over a WebClient; `token` is passed per call, so one client serves any token. */
export function webClientChat(
  client: WebClient,
  token: string,
  respondTimeoutMs = 5000,
  /** Told of every failed call, with Slack's error code (a metric). */
  onError: (code: string) => void = () => {},
  /** Hosts besides hooks.slack.com whose response_urls are posted to (BM_SLACK_URL_ALLOW). */
  responseUrlAllow: HostPatterns = NO_HOSTS,
): Chat {
  const call = async <T>(method: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const failure = slackApiError(method, error);
      onError(failure.code);
      throw failure;
    }
  };
  return {
    post: (channel, message, threadTs) =>
      call("chat.postMessage", async () => {
        const result = await client.chat.postMessage({
          token,
          channel,
          ...content(message),
          ...(threadTs ? { thread_ts: threadTs } : {}),
          unfurl_links: false,
        });
        if (!result.ts) throw new SlackApiError("chat.postMessage", "no_ts", "passing");
        return result.ts;
      }),
    update: (channel, ts, message) =>
      call("chat.update", async () => {
        await client.chat.update({ token, channel, ts, ...content(message) });
      }),
    remove: (channel, ts) =>
      call("chat.delete", async () => {
        await client.chat.delete({ token, channel, ts });
      }),
    permalink: (channel, ts) =>
      call("chat.getPermalink", async () => {
        const result = await client.chat.getPermalink({ token, channel, message_ts: ts });
        return result.permalink;
      }),
    groupMembers: (groupId) =>
      call("usergroups.users.list", async () => {
        const result = await client.usergroups.users.list({ token, usergroup: groupId });
        return result.users ?? [];
      }),
    ephemeral: (channel, user, message) =>
      call("chat.postEphemeral", async () => {
        await client.chat.postEphemeral({ token, channel, user, ...content(message) });
      }),
    respond: (responseUrl, message, options) =>
      call("response_url", async () => {
        if (!isResponseUrl(responseUrl, responseUrlAllow))
          throw new SlackApiError("response_url", "invalid_url", "permanent");
        const response = await fetch(responseUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            response_type: "ephemeral",
            replace_original: options?.replace === true,
            ...message,
          }),
          signal: AbortSignal.timeout(respondTimeoutMs),
        });
        if (response.ok) return;
        // Slack's hooks answer an error code as the body (`expired_url`, `invalid_blocks`).
        const said = (await response.text().catch(() => "")).trim();
        const code = /^[a-z_]{1,40}$/.test(said) ? said : `http_${response.status}`;
        const passing = response.status >= 500 || response.status === 429;
        throw new SlackApiError("response_url", code, passing ? "passing" : "permanent");
      }),
    openView: (triggerId, view) =>
      call("views.open", async () => {
        await client.views.open({ token, trigger_id: triggerId, view });
      }),
  };
}

/** A message's text, and its blocks when it has some. */
function content(message: SlackMessage): { text: string; blocks?: KnownBlock[] } {
  return message.blocks ? { text: message.text, blocks: message.blocks } : { text: message.text };
}

/**
 * Group members, kept a few minutes per container so that a busy channel does not ask Slack for
 * every command; concurrent lookups of one group share one call.
 */
export function cachedGroupMembers(
  lookup: (groupId: string) => Promise<string[]>,
  ttlMs = 5 * 60_000,
  now = Date.now,
) {
  const cache = new Map<string, { members: Promise<string[]>; at: number }>();
  return (groupId: string): Promise<string[]> => {
    const held = cache.get(groupId);
    if (held && now() - held.at < ttlMs) return held.members;
    const members = lookup(groupId);
    cache.set(groupId, { members, at: now() });
    members.catch(() => cache.delete(groupId));
    return members;
  };
}
