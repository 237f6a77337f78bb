/**
 * The Slack calls bm makes, behind a small port, and its adapter over Slack's WebClient (the
 * client Bolt itself uses).
 */
import type { WebClient } from "@slack/web-api";

export interface SlackMessage {
  text: string;
  blocks?: unknown[];
}

export interface Chat {
  /** Posts a message, in a thread when `threadTs` is given. Returns its ts. */
  post(channel: string, message: SlackMessage, threadTs?: string): Promise<string>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  permalink(channel: string, ts: string): Promise<string | undefined>;
  /** The user ids of a user group. */
  groupMembers(groupId: string): Promise<string[]>;
  /** A message only `user` sees, in `channel`. */
  ephemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  /** Opens a modal for the click that gave `triggerId` (valid for 3 s). */
  openView(triggerId: string, view: object): Promise<void>;
}

/** A Chat over a WebClient; `token` is passed per call, so one client serves any token. */
export function webClientChat(client: WebClient, token: string): Chat {
  return {
    async post(channel, message, threadTs) {
      const result = await client.chat.postMessage({
        token,
        channel,
        ...content(message),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
      });
      if (!result.ts) throw new Error("chat.postMessage answered without a ts");
      return result.ts;
    },
    async update(channel, ts, message) {
      await client.chat.update({
        token,
        channel,
        ts,
        ...content(message),
      });
    },
    async permalink(channel, ts) {
      const result = await client.chat.getPermalink({ token, channel, message_ts: ts });
      return result.permalink;
    },
    async groupMembers(groupId) {
      const result = await client.usergroups.users.list({ token, usergroup: groupId });
      return result.users ?? [];
    },
    async ephemeral(channel, user, message) {
      await client.chat.postEphemeral({
        token,
        channel,
        user,
        ...content(message),
      });
    },
    async openView(triggerId, view) {
      await client.views.open({ token, trigger_id: triggerId, view: view as never });
    },
  };
}

/** A message's text, and its blocks when it has some. */
function content(message: SlackMessage): { text: string; blocks?: never } {
  return message.blocks
    ? { text: message.text, blocks: message.blocks as never }
    : { text: message.text };
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
