/**
 * A Slack Web API stand-in on loopback, as strict as Slack: the methods bm calls, answered and
 * refused as Slack answers and refuses them (Block Kit limits, channel membership, trigger ids
 * that expire after 3 s, response_urls good for 30 minutes and 5 posts), with the channels'
 * messages and threads kept so that people and tests can read them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkMessage, checkView, type Refusal } from "../../lib/slack/block-kit-limits";
import { type EarlyCall, type RateRefusal, SlackRateLimits } from "./slack-rate";

export interface StoredMessage {
  ts: string;
  channel: string;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
  /**
   * A thread reply also sent to the channel (`reply_broadcast`): Slack lists it in the channel's
   * history too, where everyone sees it without opening the thread.
   */
  broadcast?: boolean;
  replies: StoredMessage[];
  edits: number;
}

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  /** Slack's error code when it refused the call. */
  error?: string;
  /** When it was made (epoch ms). */
  at?: number;
}

/**
 * A channel as the stand-in knows it: whether the bot is a member, whether it is archived, and
 * whether it is private (Slack then hides it from a bot that is not in it: `channel_not_found`).
 */
export interface StandInChannel {
  member: boolean;
  archived?: boolean;
  private?: boolean;
}

/**
 * The bot scopes a token of bm's app has when it was installed from
 * `infra/slack-app-manifest.yml` (test/integration/slack-manifest.test.ts holds them equal).
 */
export const MANIFEST_SCOPES: readonly string[] = [
  "commands",
  "chat:write",
  "usergroups:read",
  "users:read",
  "channels:read",
  "groups:read",
];

/**
 * The bot scope each method the stand-in answers needs, as Slack's method reference says; null:
 * none. `conversations.info` needs the scope of the channel's kind (`channels:read` for a
 * public channel, `groups:read` for a private one), decided where it is answered.
 */
export const METHOD_SCOPES: Readonly<Record<string, string | null>> = {
  "auth.test": null,
  "chat.postMessage": "chat:write",
  "chat.update": "chat:write",
  "chat.delete": "chat:write",
  "chat.postEphemeral": "chat:write",
  "chat.getPermalink": null,
  "views.open": null,
  "views.update": null,
  // No scope: the Home tab must be enabled in the app's settings instead (`not_enabled`).
  "views.publish": null,
  "users.info": "users:read",
  "usergroups.users.list": "usergroups:read",
  "usergroups.list": "usergroups:read",
  "conversations.info": null,
};

export interface SlackStandInOptions {
  /** The bot token that authenticates; other tokens get `invalid_auth`. */
  botToken: string;
  /** Members of user groups, by group id; any other id is `no_such_subteam`. */
  groups?: Record<string, string[]>;
  /** Groups of `groups` an admin disabled (see `disabledGroups` on the stand-in). */
  disabledGroups?: readonly string[];
  /** The workspace's channels; any other channel id is `channel_not_found`. */
  channels: Record<string, StandInChannel>;
  /** The token's bot scopes ({@link MANIFEST_SCOPES} unless told; see `scopes` on the stand-in). */
  scopes?: readonly string[];
  /** Slack's rate limits (./slack-rate.ts), on unless false; see `limitRates` on the stand-in. */
  rateLimits?: boolean;
  /** The clock of the rate limits (epoch ms; `Date.now` unless told), for tests that move it. */
  now?: () => number;
}

/**
 * What `users.info` says of a user beyond their id: set for guests (`is_restricted`, and
 * `is_ultra_restricted` for a single-channel guest), people of another organisation through
 * Slack Connect (`is_stranger`, with their own `team_id`) and deactivated accounts (`deleted`).
 * Any other user id is a full member of the stand-in's workspace.
 */
export interface StandInPerson {
  team_id?: string;
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  is_stranger?: boolean;
  deleted?: boolean;
}

/** The stand-in's own workspace, as `auth.test` names it. */
export const STAND_IN_TEAM = "T0LOCAL";

/** What one user saw that nobody else did: an ephemeral message or a response_url answer. */
export interface Ephemeral {
  /** Its message ts, as a click on one of its buttons names it (`container.message_ts`). */
  ts: string;
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  at: number;
  via: "chat.postEphemeral" | "response_url";
  /** How many times a response_url replaced it. */
  edits: number;
  /** Deleted through a response_url (`delete_original`): Slack no longer shows it. */
  deleted?: boolean;
}

/** The message a click was on: a response_url from that click can replace or delete it. */
export type ClickedMessage = { ephemeralTs: string } | { channelTs: string };

/** A fault for the next `times` calls of a method. */
interface Fault {
  method: string;
  left: number;
  status: number;
  error: string;
  retryAfterS?: number;
}

/** How long Slack honours a trigger id, and a response_url. */
export const TRIGGER_TTL_MS = 3000;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
export const RESPONSE_URL_POSTS = 5;

export class SlackStandIn {
  url = "";
  /** The Web API base URL to give as SLACK_API_URL. */
  apiUrl = "";
  readonly calls: SlackCall[] = [];
  readonly channels = new Map<string, StoredMessage[]>();
  /** Messages only one user saw. */
  readonly ephemerals: Ephemeral[] = [];
  /** Messages deleted, by channel and ts. */
  readonly deleted: Array<{ channel: string; ts: string }> = [];
  /** Modals opened, with the trigger that opened them. */
  /** Modals opened (views.open); the playground marks them closed, or with Slack's field errors. */
  readonly views: Array<{
    triggerId: string;
    view: Record<string, unknown>;
    /** Slack's id of the view (`views.open` answers it), which `views.update` names. */
    id: string;
    /** Changes with each update: a `views.update` with an older one is `hash_conflict`. */
    hash: string;
    /** How many times `views.update` replaced it. */
    updates: number;
    closed?: boolean;
    errors?: Record<string, string> | undefined;
  }> = [];
  /**
   * User groups an admin disabled (Slack keeps a disabled group and its members). Add or delete
   * ids to disable or enable one while the stand-in runs.
   */
  readonly disabledGroups: Set<string>;
  /**
   * The bot token's scopes: Slack names them in the `x-oauth-scopes` header of every answer to
   * the token, and refuses a method whose scope is not among them (`missing_scope`). Add or
   * delete scopes while the stand-in runs, as reinstalling the app would.
   */
  readonly scopes: Set<string>;
  /**
   * Each user's Home tab as bm last published it (views.publish), as Slack keeps it: the
   * playground shows it, tests read it.
   */
  readonly homes = new Map<
    string,
    { view: Record<string, unknown>; published: number; hash: string }
  >();
  /** Whether the app's Home tab is enabled (the manifest's `app_home.home_tab_enabled`). */
  homeTabEnabled = true;
  private readonly faults: Fault[] = [];
  /** Slack's rate limits, the Retry-Afters given and the calls made before they had passed. */
  private readonly rates: SlackRateLimits;
  /** Who users are, beyond full members (setPerson). */
  private readonly people = new Map<string, StandInPerson>();
  private readonly delays: Array<{ method: string; left: number; ms: number }> = [];
  private readonly hooks = new Map<
    string,
    { channel: string; user: string; createdAt: number; posts: number; clicked?: ClickedMessage }
  >();
  private readonly hanging = new Set<ServerResponse>();
  private seq = 0;
  private readonly server = createServer(async (req, res) => {
    const body = await read(req);
    const url = new URL(req.url ?? "/", this.url);
    if (req.method === "GET" && url.pathname === "/_standin/history") {
      reply(res, 200, this.channels.get(url.searchParams.get("channel") ?? "") ?? []);
      return;
    }
    if (url.pathname.startsWith("/hooks/")) {
      this.respond(res, url.pathname.slice("/hooks/".length), body);
      return;
    }
    const method = url.pathname.replace(/^\/api\//, "");
    const args = parseArgs(body, String(req.headers["content-type"] ?? ""));
    const auth = String(req.headers.authorization ?? "");
    const token = auth.startsWith("Bearer ")
      ? auth.slice(7)
      : typeof args.token === "string"
        ? args.token
        : undefined;
    const call: SlackCall = { method, args, token, at: Date.now() };
    this.calls.push(call);
    const slow = this.delays.find((d) => d.method === method && d.left > 0);
    if (slow) {
      // Slow but answered: Slack on a bad day, inside the caller's timeout or not.
      slow.left--;
      await new Promise((resolve) => setTimeout(resolve, slow.ms));
    }
    const authed = token === this.options.botToken;
    // Slack counts per app per workspace: the token's team. A call with no valid token has none.
    const channel = typeof args.channel === "string" ? args.channel : undefined;
    if (authed) this.rates.watch(STAND_IN_TEAM, method, channel, args);
    const fault = this.faults.find((f) => f.method === method && f.left > 0);
    if (fault) {
      fault.left--;
      call.error = fault.error;
      if (fault.status === 0) {
        // A hang: no answer until the caller gives up (or the stand-in closes).
        this.hanging.add(res);
        return;
      }
      if (fault.retryAfterS !== undefined && authed)
        this.rates.gave(STAND_IN_TEAM, method, undefined, fault.retryAfterS);
      res.writeHead(fault.status, {
        "content-type": "application/json",
        ...(fault.retryAfterS !== undefined ? { "retry-after": String(fault.retryAfterS) } : {}),
      });
      res.end(JSON.stringify({ ok: false, error: fault.error }));
      return;
    }
    const limited = authed ? this.rates.take(STAND_IN_TEAM, method, channel) : undefined;
    if (limited) {
      call.error = "ratelimited";
      reply(
        res,
        429,
        { ok: false, error: "ratelimited" },
        { "retry-after": String(limited.retryAfterS) },
      );
      return;
    }
    const answer = authed
      ? (this.missingScope(method, args) ?? this.answer(method, args))
      : { ok: false, error: token ? "invalid_auth" : "not_authed" };
    if (answer.ok === false) call.error = String(answer.error);
    // Slack names the token's scopes on each answer to it, and the scope the method accepts.
    const needed = typeof answer.needed === "string" ? answer.needed : METHOD_SCOPES[method];
    reply(res, 200, answer, {
      ...(authed ? { "x-oauth-scopes": [...this.scopes].join(",") } : {}),
      ...(authed && needed ? { "x-accepted-oauth-scopes": needed } : {}),
    });
  });

  constructor(private readonly options: SlackStandInOptions) {
    this.disabledGroups = new Set(options.disabledGroups ?? []);
    this.scopes = new Set(options.scopes ?? MANIFEST_SCOPES);
    this.rates = new SlackRateLimits(options.now ?? Date.now, options.rateLimits !== false);
  }

  /**
   * Turns Slack's rate limits on or off (the playground's switch); early calls are counted
   * either way.
   */
  limitRates(on: boolean): void {
    this.rates.enabled = on;
  }

  /** Whether Slack's rate limits are on. */
  get ratesLimited(): boolean {
    return this.rates.enabled;
  }

  /** Every call made before a Retry-After the stand-in gave for it had passed, oldest first. */
  earlyCalls(): readonly EarlyCall[] {
    return this.rates.early;
  }

  /** Every 429 the rate limits gave (faults armed with `rateLimit` are not among them). */
  rateRefusals(): readonly RateRefusal[] {
    return this.rates.refused;
  }

  /**
   * Slack's refusal of a method the token has not the scope for: `missing_scope`, with the scope
   * `needed` and those `provided`. Undefined when the token may call it.
   */
  private missingScope(
    method: string,
    args: Record<string, unknown>,
  ): Record<string, unknown> | undefined {
    let needed = METHOD_SCOPES[method];
    if (method === "conversations.info") {
      const known = this.options.channels[String(args.channel ?? "")];
      // A channel the token cannot see is not found, whatever its scopes (answered below).
      if (!known || (known.private && !known.member)) return undefined;
      needed = known.private ? "groups:read" : "channels:read";
    }
    if (!needed || this.scopes.has(needed)) return undefined;
    return { ok: false, error: "missing_scope", needed, provided: [...this.scopes].join(",") };
  }

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.apiUrl = `${this.url}/api/`;
    return this;
  }

  close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Answers the next `times` calls of `method` with 429 and a Retry-After, whatever the limits
   * say; a call before that Retry-After has passed is an early call, as with the limits'.
   */
  rateLimit(method: string, times = 1, retryAfterS = 1): void {
    this.faults.push({ method, left: times, status: 429, error: "ratelimited", retryAfterS });
  }

  /** Answers the next `times` calls of `method` with an HTTP 5xx, as Slack does in an outage. */
  serverError(method: string, times = 1, status = 503): void {
    this.faults.push({ method, left: times, status, error: "service_unavailable" });
  }

  /** Answers the next `times` calls of `method` (a Web API method) after `ms`, as usual. */
  slow(method: string, ms: number, times = 1): void {
    this.delays.push({ method, left: times, ms });
  }

  /** Never answers the next `times` calls of `method` (nothing is posted). */
  hang(method: string, times = 1): void {
    this.faults.push({ method, left: times, status: 0, error: "no_response" });
  }

  /** Answers the next `times` calls of `method` with `ok: false` and this error code. */
  refuse(method: string, error: string, times = 1): void {
    this.faults.push({ method, left: times, status: 200, error });
  }

  /** True when the bot is a member of the channel. */
  isMember(id: string): boolean {
    return this.options.channels[id]?.member === true;
  }

  /**
   * A message Slack shows one user only, not posted by bm: the answer to a slash command, which
   * Slack shows as ephemeral (the playground puts it in the channel as Slack would).
   */
  addEphemeral(channel: string, user: string, text: string): void {
    this.ephemerals.push({
      ts: this.nextTs(),
      channel,
      user,
      text,
      at: Date.now(),
      via: "response_url",
      edits: 0,
    });
  }

  /** Says who a user is, as `users.info` will answer (undefined: a full member again). */
  setPerson(userId: string, person: StandInPerson | undefined): void {
    if (person) this.people.set(userId, person);
    else this.people.delete(userId);
  }

  /** Adds a channel, or changes the bot's membership of one. */
  setChannel(id: string, channel: StandInChannel): void {
    this.options.channels[id] = channel;
  }

  /**
   * A response_url for one slash command or click by `user` in `channel`, as Slack puts in the
   * payload: good for 30 minutes and 5 posts. `createdAt` dates it (for tests of expiry); a
   * click's names the message clicked, which `replace_original` and `delete_original` act on.
   */
  newResponseUrl(
    channel: string,
    user: string,
    createdAt = Date.now(),
    clicked?: ClickedMessage,
  ): string {
    const id = `T0LOCAL/${++this.seq}/${Math.random().toString(36).slice(2, 12)}`;
    this.hooks.set(id, { channel, user, createdAt, posts: 0, ...(clicked ? { clicked } : {}) });
    return `${this.url}/hooks/${id}`;
  }

  /** What `user` sees in `channel` that nobody else does, oldest first, deleted ones left out. */
  ephemeralsOf(channel: string, user: string): Ephemeral[] {
    return this.ephemerals.filter((e) => e.channel === channel && e.user === user && !e.deleted);
  }

  /** The top-level messages of a channel, each with its thread. */
  history(channel: string): StoredMessage[] {
    return this.channels.get(channel) ?? [];
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** A response_url post: Slack's hooks answer `ok`, or an error code as the body. */
  private respond(res: ServerResponse, id: string, body: string): void {
    const hook = this.hooks.get(id);
    const call: SlackCall = { method: "response_url", args: {}, token: undefined, at: Date.now() };
    this.calls.push(call);
    const refuse = (status: number, error: string) => {
      call.error = error;
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(error);
    };
    // Faults armed for "response_url": Slack's hooks answer an error code as plain text.
    const fault = this.faults.find((f) => f.method === "response_url" && f.left > 0);
    if (fault) {
      fault.left--;
      call.error = fault.error;
      if (fault.status === 0) {
        this.hanging.add(res);
        return;
      }
      refuse(fault.status === 200 ? 404 : fault.status, fault.error);
      return;
    }
    const stale = !hook
      ? "invalid_url"
      : Date.now() - hook.createdAt > RESPONSE_URL_TTL_MS
        ? "expired_url"
        : hook.posts >= RESPONSE_URL_POSTS
          ? "used_url"
          : undefined;
    if (!hook || stale) {
      refuse(404, stale ?? "invalid_url");
      return;
    }
    let args: Record<string, unknown>;
    try {
      args = JSON.parse(body) as Record<string, unknown>;
    } catch {
      refuse(400, "invalid_payload");
      return;
    }
    call.args = args;
    // A click's response_url acts on the message clicked: deleted, or replaced in place.
    const clicked = hook.clicked;
    if (args.delete_original === true && clicked) {
      hook.posts++;
      if ("ephemeralTs" in clicked) {
        const shown = this.ephemerals.find((e) => e.ts === clicked.ephemeralTs);
        if (shown) shown.deleted = true;
      } else {
        this.channels.set(
          hook.channel,
          this.history(hook.channel).filter((m) => m.ts !== clicked.channelTs),
        );
        this.deleted.push({ channel: hook.channel, ts: clicked.channelTs });
      }
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
      return;
    }
    const refusal = checkMessage(args);
    if (refusal) {
      refuse(400, refusal.error);
      return;
    }
    hook.posts++;
    const message = { text: String(args.text ?? ""), ...blocksOf(args) };
    if (args.replace_original === true && clicked) {
      const shown =
        "ephemeralTs" in clicked
          ? this.ephemerals.find((e) => e.ts === clicked.ephemeralTs && !e.deleted)
          : this.find(hook.channel, clicked.channelTs);
      if (shown) {
        shown.text = message.text;
        if (message.blocks) shown.blocks = message.blocks;
        else delete shown.blocks;
        shown.edits++;
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("ok");
        return;
      }
    }
    if (args.response_type === "in_channel") {
      this.channels.set(hook.channel, [
        ...this.history(hook.channel),
        { ts: this.nextTs(), channel: hook.channel, replies: [], edits: 0, ...message },
      ]);
    } else {
      this.ephemerals.push({
        ts: this.nextTs(),
        channel: hook.channel,
        user: hook.user,
        ...message,
        at: Date.now(),
        via: "response_url",
        edits: 0,
      });
    }
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok");
  }

  private answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const channel = String(args.channel ?? "");
    switch (method) {
      case "auth.test":
        return {
          ok: true,
          url: "https://local.slack.test/",
          team: "local",
          user: "bm",
          team_id: STAND_IN_TEAM,
          user_id: "U0BM",
          bot_id: "B0BM",
        };
      case "chat.postMessage": {
        const refused = this.postable(channel, true) ?? refusal(checkMessage(args));
        if (refused) return refused;
        const message: StoredMessage = {
          ts: this.nextTs(),
          channel,
          text: String(args.text ?? ""),
          ...blocksOf(args),
          replies: [],
          edits: 0,
        };
        const threadTs = args.thread_ts ? String(args.thread_ts) : undefined;
        if (threadTs) {
          const parent = this.find(channel, threadTs);
          if (!parent) return { ok: false, error: "thread_not_found" };
          message.threadTs = threadTs;
          parent.replies.push(message);
          // Broadcast: in the thread, and in the channel as well (Slack ignores it outside one).
          if (isTrue(args.reply_broadcast)) {
            message.broadcast = true;
            this.channels.set(channel, [...this.history(channel), message]);
          }
        } else {
          this.channels.set(channel, [...this.history(channel), message]);
        }
        return {
          ok: true,
          channel,
          ts: message.ts,
          message: { text: message.text, ts: message.ts },
        };
      }
      case "chat.update": {
        const refused = this.postable(channel, true) ?? refusal(checkMessage(args));
        if (refused) return refused;
        const message = this.find(channel, String(args.ts));
        if (!message) return { ok: false, error: "message_not_found" };
        message.text = String(args.text ?? message.text);
        if (args.blocks) message.blocks = args.blocks as unknown[];
        message.edits++;
        return { ok: true, channel, ts: message.ts, text: message.text };
      }
      case "chat.delete": {
        const refused = this.postable(channel, true);
        if (refused) return refused;
        const ts = String(args.ts ?? "");
        const top = this.history(channel);
        const at = top.findIndex((m) => m.ts === ts);
        // A broadcast reply is in its thread and in the channel: deleted, it leaves both.
        const parent = top.find((m) => m.replies.some((r) => r.ts === ts));
        if (parent) parent.replies = parent.replies.filter((r) => r.ts !== ts);
        if (at < 0 && !parent) return { ok: false, error: "message_not_found" };
        if (at >= 0) top.splice(at, 1);
        this.deleted.push({ channel, ts });
        return { ok: true, channel, ts };
      }
      case "chat.getPermalink": {
        const refused = this.postable(channel, false);
        if (refused) return refused;
        const ts = String(args.message_ts ?? "");
        if (!this.find(channel, ts)) return { ok: false, error: "message_not_found" };
        return {
          ok: true,
          channel,
          permalink: `https://local.slack.test/archives/${channel}/p${ts.replace(".", "")}`,
        };
      }
      case "chat.postEphemeral": {
        if (!args.user) return { ok: false, error: "user_not_found" };
        const refused = this.postable(channel, true) ?? refusal(checkMessage(args));
        if (refused) return refused;
        const ts = this.nextTs();
        this.ephemerals.push({
          ts,
          channel,
          user: String(args.user),
          text: String(args.text ?? ""),
          ...blocksOf(args),
          at: Date.now(),
          via: "chat.postEphemeral",
          edits: 0,
        });
        return { ok: true, message_ts: ts };
      }
      case "views.open": {
        const view =
          typeof args.view === "string"
            ? (JSON.parse(args.view) as Record<string, unknown>)
            : (args.view as Record<string, unknown>);
        if (!args.trigger_id || !view) return { ok: false, error: "invalid_arguments" };
        const issued = Number(String(args.trigger_id).split(".")[0]);
        if (!Number.isFinite(issued) || issued <= 0)
          return { ok: false, error: "invalid_trigger_id" };
        // A trigger id opens one view, whatever the click (a card's, a private message's, the
        // Home tab's): Slack answers a second views.open with it `exchanged_trigger_id`.
        if (this.views.some((v) => v.triggerId === String(args.trigger_id)))
          return { ok: false, error: "exchanged_trigger_id" };
        if (Date.now() - issued > TRIGGER_TTL_MS) return { ok: false, error: "expired_trigger_id" };
        const refused = refusal(checkView(view));
        if (refused) return refused;
        const opened = {
          triggerId: String(args.trigger_id),
          view,
          id: `V0LOCAL${this.views.length + 1}`,
          hash: this.nextTs(),
          updates: 0,
        };
        this.views.push(opened);
        return { ok: true, view: { ...view, id: opened.id, hash: opened.hash } };
      }
      case "views.update": {
        // The view by the id views.open gave (bm sets no external_id); a hash, when given, must
        // be the view's latest, or another update came first. A view closed is gone.
        const view =
          typeof args.view === "string"
            ? (JSON.parse(args.view) as Record<string, unknown>)
            : (args.view as Record<string, unknown>);
        if (!view || (args.view_id === undefined && args.external_id === undefined))
          return { ok: false, error: "invalid_arguments" };
        const shown = this.views.find((v) => v.id === args.view_id && !v.closed);
        if (!shown) return { ok: false, error: "not_found" };
        if (args.hash !== undefined && args.hash !== shown.hash)
          return { ok: false, error: "hash_conflict" };
        const refused = refusal(checkView(view));
        if (refused) return refused;
        shown.view = view;
        shown.hash = this.nextTs();
        shown.updates++;
        shown.errors = undefined;
        return { ok: true, view: { ...view, id: shown.id, hash: shown.hash } };
      }
      case "views.publish": {
        // A Home tab of a user of the workspace: one Slack knows, neither deleted nor from
        // another organisation (Slack answers those `invalid_arguments`, "invalid `user_id`").
        const view =
          typeof args.view === "string"
            ? (JSON.parse(args.view) as Record<string, unknown>)
            : (args.view as Record<string, unknown>);
        if (!view) return { ok: false, error: "invalid_arguments" };
        const id = String(args.user_id ?? "");
        const known = this.people.get(id) ?? {};
        if (!/^[UW][A-Z0-9]{2,}$/.test(id) || known.deleted || known.is_stranger)
          return {
            ok: false,
            error: "invalid_arguments",
            response_metadata: { messages: ["invalid `user_id`"] },
          };
        if (view.type === "home" && !this.homeTabEnabled)
          return { ok: false, error: "not_enabled" };
        const refused = refusal(checkView(view, "home"));
        if (refused) return refused;
        if (JSON.stringify(view).length > 250_000) return { ok: false, error: "view_too_large" };
        // A hash, when given, must be the one the last publish answered (Slack's guard against
        // a race of two publishers); bm sends none, publishing the Home whole each time.
        const shownHome = this.homes.get(id);
        if (args.hash !== undefined && args.hash !== shownHome?.hash)
          return { ok: false, error: "hash_conflict" };
        const hash = this.nextTs();
        this.homes.set(id, { view, published: Date.now(), hash });
        return { ok: true, view: { id: `VH${id}`, team_id: STAND_IN_TEAM, ...view, hash } };
      }
      case "users.info": {
        // Slack's answer for an id that is no user's, or none at all.
        const id = String(args.user ?? "");
        if (!/^[UW][A-Z0-9]{2,}$/.test(id)) return { ok: false, error: "user_not_found" };
        const known = this.people.get(id) ?? {};
        return {
          ok: true,
          user: {
            id,
            team_id: known.team_id ?? STAND_IN_TEAM,
            name: id.toLowerCase(),
            deleted: known.deleted === true,
            is_bot: false,
            is_restricted: known.is_restricted === true,
            is_ultra_restricted: known.is_ultra_restricted === true,
            ...(known.is_stranger ? { is_stranger: true } : {}),
          },
        };
      }
      case "conversations.info": {
        // A private channel is hidden from a bot that is not in it: Slack says it is not found.
        const id = String(args.channel ?? "");
        const known = this.options.channels[id];
        if (!known || (known.private && !known.member))
          return { ok: false, error: "channel_not_found" };
        return {
          ok: true,
          channel: {
            id,
            name: id.toLowerCase(),
            is_channel: true,
            is_group: false,
            is_im: false,
            is_private: known.private === true,
            is_archived: known.archived === true,
            is_member: known.member,
          },
        };
      }
      case "usergroups.list": {
        // Every group of the workspace; a disabled one only with include_disabled, and then with
        // its date_delete set (0 for a group in use), as Slack lists them.
        const all = Object.entries(this.options.groups ?? {});
        const shown = isTrue(args.include_disabled)
          ? all
          : all.filter(([id]) => !this.disabledGroups.has(id));
        return {
          ok: true,
          usergroups: shown.map(([id, users]) => ({
            id,
            team_id: STAND_IN_TEAM,
            is_usergroup: true,
            name: id.toLowerCase(),
            handle: id.toLowerCase(),
            date_delete: this.disabledGroups.has(id) ? 1_700_000_000 : 0,
            user_count: users.length,
            ...(isTrue(args.include_users) ? { users } : {}),
          })),
        };
      }
      case "usergroups.users.list": {
        // Slack documents `no_such_subteam` for an id it has no group for. What it answers for a
        // disabled group is not documented: `include_disabled` "includes results for disabled
        // User Groups", so without it a disabled group is taken to be one Slack has not got
        // (`no_such_subteam`), and with it its members are listed. An assumption, said in
        // docs/testing.md; bm never sends `include_disabled`.
        const group = String(args.usergroup);
        const users = this.options.groups?.[group];
        const hidden = this.disabledGroups.has(group) && !isTrue(args.include_disabled);
        return users && !hidden ? { ok: true, users } : { ok: false, error: "no_such_subteam" };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  /** Whether the bot may write in `channel`, as Slack decides it; undefined when it may. */
  private postable(channel: string, writing: boolean): Record<string, unknown> | undefined {
    const known = channel ? this.options.channels[channel] : undefined;
    if (!known) return { ok: false, error: "channel_not_found" };
    if (writing && known.archived) return { ok: false, error: "is_archived" };
    if (writing && !known.member) return { ok: false, error: "not_in_channel" };
    return undefined;
  }

  private find(channel: string, ts: string): StoredMessage | undefined {
    for (const message of this.history(channel)) {
      if (message.ts === ts) return message;
      const reply = message.replies.find((r) => r.ts === ts);
      if (reply) return reply;
    }
    return undefined;
  }

  private nextTs(): string {
    this.seq++;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, "0")}`;
  }
}

/** Slack's answer to a refused message: the code, and for invalid_blocks the list of errors. */
function refusal(refused: Refusal | undefined): Record<string, unknown> | undefined {
  if (!refused) return undefined;
  return {
    ok: false,
    error: refused.error,
    ...(refused.errors
      ? { errors: refused.errors, response_metadata: { messages: refused.errors } }
      : {}),
  };
}

function blocksOf(args: Record<string, unknown>): { blocks?: unknown[] } {
  return Array.isArray(args.blocks) && args.blocks.length > 0 ? { blocks: args.blocks } : {};
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

/** Slack takes form-encoded or JSON arguments; `blocks` in a form is a JSON string. */
/** A boolean argument as the Web API takes it: `true` in JSON, `true` or `1` in a form. */
function isTrue(value: unknown): boolean {
  return value === true || value === 1 || value === "true" || value === "1";
}

function parseArgs(body: string, contentType: string): Record<string, unknown> {
  if (contentType.includes("application/json"))
    return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = Object.fromEntries(new URLSearchParams(body));
  for (const key of ["blocks", "attachments", "view"]) {
    if (typeof args[key] === "string") {
      try {
        args[key] = JSON.parse(args[key] as string);
      } catch {
        // keep as sent: the checks refuse it
      }
    }
  }
  return args;
}
