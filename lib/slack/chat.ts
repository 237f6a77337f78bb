/**
 * The Slack calls bm makes, behind a small port, and its adapter over Slack's WebClient (the
 * client Bolt itself uses). Every failure leaves the adapter as a {@link SlackApiError}: passing
 * or permanent, with Slack's error code.
 */
import type { HomeView, KnownBlock, View } from "@slack/types";
import type { ChatPostMessageArguments, WebClient } from "@slack/web-api";
import { type HostPatterns, isAllowedHost, NO_HOSTS } from "../net/endpoint-rule";
import { type PacedCall, UNPACED } from "./paced-call";
import { groupRefusalScope, SlackApiError, slackApiError } from "./slack-error";

/** The Slack method that lists a user group's members. */
const GROUP_METHOD = "usergroups.users.list";

declare const built: unique symbol;

/**
 * A message for Slack. Only {@link message} in `blocks.ts` makes one, from escaped mrkdwn fitted
 * to Slack's limits: the type keeps any other text from reaching Slack.
 */
export type SlackMessage = { readonly text: string; readonly blocks?: KnownBlock[] } & {
  readonly [built]: true;
};

export interface Chat {
  /**
   * Posts a message, in a thread when `threadTs` is given; with `broadcast`, a thread reply is
   * shown in the channel too (`reply_broadcast`). Returns its ts.
   */
  post(
    channel: string,
    message: SlackMessage,
    threadTs?: string,
    options?: { broadcast?: boolean },
  ): Promise<string>;
  update(channel: string, ts: string, message: SlackMessage): Promise<void>;
  /** Deletes one of bm's own messages. */
  remove(channel: string, ts: string): Promise<void>;
  permalink(channel: string, ts: string): Promise<string | undefined>;
  /**
   * The user ids of a user group. bm never sends `include_disabled`: a disabled group grants
   * nothing (Slack is taken to answer `no_such_subteam` for it: docs/testing.md).
   */
  groupMembers(groupId: string): Promise<string[]>;
  /** Who a user is to the workspace (`users.info`): a member, a guest, or from elsewhere. */
  person(userId: string): Promise<Person>;
  /** A message only `user` sees, in `channel` (the bot must be a member). */
  ephemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  /**
   * A message only the person who ran a slash command (or clicked) sees, through the
   * `response_url` Slack gave with it: works in channels the bot is not in, for 30 minutes and
   * 5 posts. With `replace`, the message replaces the one clicked (a click's response_url);
   * `timeoutMs` shortens the adapter's timeout (the front door's budget).
   */
  respond(
    responseUrl: string,
    message: SlackMessage,
    options?: { replace?: boolean; timeoutMs?: number },
  ): Promise<void>;
  /**
   * Opens a modal for the click that gave `triggerId` (valid for 3 s). Returns the view's id and
   * hash, which {@link Chat.updateView} names.
   */
  openView(triggerId: string, view: View): Promise<OpenedView>;
  /** Replaces a modal bm opened; with `hash`, only if nothing else replaced it meanwhile. */
  updateView(viewId: string, view: View, hash?: string): Promise<void>;
  /**
   * Publishes `user`'s Home tab (`views.publish`, Tier 4: one call per person), replacing the
   * one they had.
   */
  publishHome(user: string, view: HomeView): Promise<void>;
}

/** A modal as Slack answered its opening: its id, and the hash of its state. */
export interface OpenedView {
  id: string;
  hash?: string;
}

/**
 * What bm reads of a user (`users.info`, scope `users:read`): their own team, and whether they
 * are a guest (`is_restricted`, `is_ultra_restricted`), from another organisation through Slack
 * Connect (`is_stranger`), or deactivated (`deleted`). A user Slack does not know
 * (`user_not_found`) is none of the workspace's members.
 */
export interface Person {
  teamId: string;
  guest: boolean;
  external: boolean;
  deleted: boolean;
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

/**
 * A message's permalink as Slack builds it, from the workspace's URL (`auth.test`'s `url`,
 * `https://<team>.slack.com/`) and the message's channel and ts without its dot:
 * `https://<team>.slack.com/archives/C0123/p1700000000123456`. Undefined when the URL is not an
 * https URL ending in a slash (then Slack is asked: `chat.getPermalink`).
 */
export function permalinkOf(workspaceUrl: string, channel: string, ts: string): string | undefined {
  if (!/^https:\/\/[^/?#\s]+\/$/.test(workspaceUrl)) return undefined;
  if (!/^[A-Z0-9]+$/.test(channel) || !/^\d+\.\d+$/.test(ts)) return undefined;
  return `${workspaceUrl}archives/${channel}/p${ts.replace(".", "")}`;
}

/**
 * A Chat over a WebClient; `token` is passed per call, so one client serves any token. Each Web
 * API call waits for its turn through `pace` (paced-call.ts; the response_url is no Web API
 * method and is not paced). A permalink is built from the workspace's URL, asked once per Chat
 * (`auth.test`), rather than asked for each card.
 */
export function webClientChat(
  client: WebClient,
  token: string,
  respondTimeoutMs = 5000,
  /** Told of every failed call, with Slack's error code (a metric). */
  onError: (code: string) => void = () => {},
  /** Hosts besides hooks.slack.com whose response_urls are posted to (BM_SLACK_URL_ALLOW). */
  responseUrlAllow: HostPatterns = NO_HOSTS,
  pace: PacedCall = UNPACED,
): Chat {
  const attempt = async <T>(method: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const failure = slackApiError(method, error);
      onError(failure.code);
      throw failure;
    }
  };
  const call = <T>(method: string, run: () => Promise<T>, channel?: string): Promise<T> =>
    pace(method, channel, () => attempt(method, run));
  // Asked once: a failure is forgotten, so the next permalink asks again.
  let workspaceUrl: Promise<string | undefined> | undefined;
  const workspace = (): Promise<string | undefined> => {
    workspaceUrl ??= call("auth.test", async () => (await client.auth.test({ token })).url);
    workspaceUrl.catch(() => {
      workspaceUrl = undefined;
    });
    return workspaceUrl;
  };
  return {
    post: (channel, message, threadTs, options) =>
      call(
        "chat.postMessage",
        async () => {
          // The Web API's types join a thread and its broadcast in a union the spread cannot name.
          const result = await client.chat.postMessage({
            token,
            channel,
            ...content(message),
            ...(threadTs ? { thread_ts: threadTs } : {}),
            ...(threadTs && options?.broadcast ? { reply_broadcast: true } : {}),
            unfurl_links: false,
          } as ChatPostMessageArguments);
          if (!result.ts) throw new SlackApiError("chat.postMessage", "no_ts", "passing");
          return result.ts;
        },
        channel,
      ),
    update: (channel, ts, message) =>
      call("chat.update", async () => {
        await client.chat.update({ token, channel, ts, ...content(message) });
      }),
    remove: (channel, ts) =>
      call("chat.delete", async () => {
        await client.chat.delete({ token, channel, ts });
      }),
    permalink: async (channel, ts) => {
      const url = await workspace().catch(() => undefined);
      const built = url === undefined ? undefined : permalinkOf(url, channel, ts);
      if (built) return built;
      return call("chat.getPermalink", async () => {
        const result = await client.chat.getPermalink({ token, channel, message_ts: ts });
        return result.permalink;
      });
    },
    groupMembers: (groupId) =>
      call(GROUP_METHOD, async () => {
        const result = await client.usergroups.users.list({ token, usergroup: groupId });
        return result.users ?? [];
      }),
    person: (userId) =>
      call("users.info", async () => {
        const result = await client.users.info({ token, user: userId }).catch((error: unknown) => {
          if ((error as { data?: { error?: unknown } }).data?.error === "user_not_found")
            return undefined;
          throw error;
        });
        const user = result?.user;
        if (!user) return { teamId: "", guest: false, external: true, deleted: true };
        return {
          teamId: user.team_id ?? "",
          guest: user.is_restricted === true || user.is_ultra_restricted === true,
          external: user.is_stranger === true,
          deleted: user.deleted === true,
        };
      }),
    ephemeral: (channel, user, message) =>
      call("chat.postEphemeral", async () => {
        await client.chat.postEphemeral({ token, channel, user, ...content(message) });
      }),
    respond: (responseUrl, message, options) =>
      attempt("response_url", async () => {
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
          signal: AbortSignal.timeout(Math.min(respondTimeoutMs, options?.timeoutMs ?? Infinity)),
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
        const result = await client.views.open({ token, trigger_id: triggerId, view });
        if (!result.view?.id) throw new SlackApiError("views.open", "no_view_id", "passing");
        return { id: result.view.id, ...(result.view.hash ? { hash: result.view.hash } : {}) };
      }),
    updateView: (viewId, view, hash) =>
      call("views.update", async () => {
        await client.views.update({ token, view_id: viewId, view, ...(hash ? { hash } : {}) });
      }),
    publishHome: (user, view) =>
      call("views.publish", async () => {
        await client.views.publish({ token, user_id: user, view });
      }),
  };
}

/** A message's text, and its blocks when it has some. */
function content(message: SlackMessage): { text: string; blocks?: KnownBlock[] } {
  return message.blocks ? { text: message.text, blocks: message.blocks } : { text: message.text };
}

/** How long a group's members are kept per container: a removed member may act this long. */
export const GROUP_MEMBERS_TTL_MS = 5 * 60_000;
/**
 * How long a group Slack refused for good is remembered per container, and not asked again: a
 * policy fixed, or a group enabled again, is seen within this time.
 */
export const BROKEN_GROUP_TTL_MS = 10 * 60_000;

/** A user group Slack refused for good, remembered for {@link BROKEN_GROUP_TTL_MS}. */
export interface BrokenGroup {
  /** The group's id, as the policy names it. */
  group: string;
  /** Slack's error code: `no_such_subteam` (deleted, disabled, never there), `missing_scope`, … */
  code: string;
  /**
   * `group`: this group alone; `app`: every lookup (the token, its scopes, the workspace's plan),
   * so no other group is asked either ({@link groupRefusalScope}).
   */
  scope: "group" | "app";
  /** When Slack said so (epoch ms). */
  at: number;
}

/** Group members by group id, cached; what it found broken, for the doctor check. */
export interface GroupMembers {
  /**
   * The user ids of a group. @throws a {@link SlackApiError}: passing when Slack could not say
   * for now, permanent when it refused for good (a remembered refusal is thrown again without a
   * call).
   */
  (groupId: string): Promise<string[]>;
  /** The groups Slack refused for good within the memory, with Slack's codes. */
  brokenGroups(): BrokenGroup[];
}

/**
 * Group members, kept {@link GROUP_MEMBERS_TTL_MS} per container so that a busy channel does not
 * ask Slack (a Tier 2 method, on the 3-second path) for every command; concurrent lookups of one
 * group share one call. A passing failure is forgotten at once, so the next lookup asks again. A
 * permanent one is remembered for {@link BROKEN_GROUP_TTL_MS} and logged once, with the group and
 * Slack's code: for the group alone, or for every group when it is about the app.
 */
export function cachedGroupMembers(
  lookup: (groupId: string) => Promise<string[]>,
  ttlMs = GROUP_MEMBERS_TTL_MS,
  options: {
    /** Where a refusal for good is logged (once). */
    log?: { warn(message: string, extra?: object): void };
    brokenTtlMs?: number;
    now?: () => number;
  } = {},
): GroupMembers {
  const { log = { warn: () => {} }, brokenTtlMs = BROKEN_GROUP_TTL_MS, now = Date.now } = options;
  const cache = new Map<string, { members: Promise<string[]>; at: number }>();
  const broken = new Map<string, BrokenGroup>();
  let app: BrokenGroup | undefined;
  const fresh = (entry: BrokenGroup | undefined) =>
    entry && now() - entry.at < brokenTtlMs ? entry : undefined;

  const remember = (group: string, error: unknown) => {
    if (!(error instanceof SlackApiError) || error.passing) return;
    const scope = groupRefusalScope(error.code);
    // A wave of lookups that met one app-wide refusal is logged once.
    if (scope === "app" && fresh(app)) return;
    const entry: BrokenGroup = { group, code: error.code, scope, at: now() };
    if (scope === "app") app = entry;
    else broken.set(group, entry);
    log.warn(scope === "app" ? "user groups cannot be read" : "user group cannot be read", {
      group,
      code: error.code,
      scope,
      rememberedForS: brokenTtlMs / 1000,
    });
  };

  const members = (groupId: string): Promise<string[]> => {
    const refused = fresh(app) ?? fresh(broken.get(groupId));
    if (refused) return Promise.reject(new SlackApiError(GROUP_METHOD, refused.code, "permanent"));
    const held = cache.get(groupId);
    if (held && now() - held.at < ttlMs) return held.members;
    const asked = lookup(groupId);
    cache.set(groupId, { members: asked, at: now() });
    asked.catch((error) => {
      cache.delete(groupId);
      remember(groupId, error);
    });
    return asked;
  };
  const brokenGroups = (): BrokenGroup[] =>
    [app, ...broken.values()].flatMap((entry) => {
      const kept = fresh(entry);
      return kept ? [{ ...kept }] : [];
    });
  return Object.assign(members, { brokenGroups });
}

/**
 * Who each user is, kept ten minutes per container (a guest made a member, or the reverse, is
 * seen within that time); concurrent lookups of one user share one call, and a failed one is
 * not kept.
 */
export function cachedPeople(
  lookup: (userId: string) => Promise<Person>,
  ttlMs = 10 * 60_000,
  now = Date.now,
): (userId: string) => Promise<Person> {
  return keptFor(lookup, ttlMs, now);
}

/** A lookup's answers kept `ttlMs` from when each was asked; failures are not kept. */
export function keptFor<T>(
  lookup: (key: string) => Promise<T>,
  ttlMs: number,
  now: () => number,
): (key: string) => Promise<T> {
  const cache = new Map<string, { value: Promise<T>; at: number }>();
  return (key) => {
    const held = cache.get(key);
    if (held && now() - held.at < ttlMs) return held.value;
    const value = lookup(key);
    cache.set(key, { value, at: now() });
    value.catch(() => cache.delete(key));
    return value;
  };
}
