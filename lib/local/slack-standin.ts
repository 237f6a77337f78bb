/**
 * A Slack Web API stand-in on loopback: the methods bm calls, answered as Slack answers them,
 * with the channel's messages and threads kept so that people and tests can read them.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export interface StoredMessage {
  ts: string;
  channel: string;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
  replies: StoredMessage[];
  edits: number;
}

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
}

export interface SlackStandInOptions {
  /** The bot token that authenticates; other tokens get `invalid_auth`. */
  botToken: string;
  /** Members of user groups, by group id. */
  groups?: Record<string, string[]>;
}

export class SlackStandIn {
  url = "";
  /** The Web API base URL to give as SLACK_API_URL. */
  apiUrl = "";
  readonly calls: SlackCall[] = [];
  readonly channels = new Map<string, StoredMessage[]>();
  /** Messages only one user saw. */
  readonly ephemerals: Array<{ channel: string; user: string; text: string; at: number }> = [];
  /** Modals opened, with the trigger that opened them. */
  readonly views: Array<{ triggerId: string; view: Record<string, unknown> }> = [];
  private readonly limits: Array<{ method: string; left: number; retryAfterS: number }> = [];
  private seq = 0;
  private readonly server = createServer(async (req, res) => {
    const body = await read(req);
    const url = new URL(req.url ?? "/", this.url);
    if (req.method === "GET" && url.pathname === "/_standin/history") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(this.channels.get(url.searchParams.get("channel") ?? "") ?? []));
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
    this.calls.push({ method, args, token });
    const limit = this.limits.find((l) => l.method === method && l.left > 0);
    if (limit) {
      limit.left--;
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(limit.retryAfterS),
      });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return;
    }
    const answer =
      token === this.options.botToken
        ? this.answer(method, args)
        : { ok: false, error: "invalid_auth" };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
  });

  constructor(private readonly options: SlackStandInOptions) {}

  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.apiUrl = `${this.url}/api/`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Answers the next `times` calls of `method` with 429 and a Retry-After. */
  rateLimit(method: string, times = 1, retryAfterS = 1): void {
    this.limits.push({ method, left: times, retryAfterS });
  }

  /** The top-level messages of a channel, each with its thread. */
  history(channel: string): StoredMessage[] {
    return this.channels.get(channel) ?? [];
  }

  callsOf(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
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
          team_id: "T0LOCAL",
          user_id: "U0BM",
          bot_id: "B0BM",
        };
      case "chat.postMessage": {
        if (!channel) return { ok: false, error: "channel_not_found" };
        const message: StoredMessage = {
          ts: this.nextTs(),
          channel,
          text: String(args.text ?? ""),
          replies: [],
          edits: 0,
        };
        if (args.blocks) message.blocks = args.blocks as unknown[];
        const threadTs = args.thread_ts ? String(args.thread_ts) : undefined;
        if (threadTs) {
          const parent = this.find(channel, threadTs);
          if (!parent) return { ok: false, error: "thread_not_found" };
          message.threadTs = threadTs;
          parent.replies.push(message);
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
        const message = this.find(channel, String(args.ts));
        if (!message) return { ok: false, error: "message_not_found" };
        message.text = String(args.text ?? message.text);
        if (args.blocks) message.blocks = args.blocks as unknown[];
        message.edits++;
        return { ok: true, channel, ts: message.ts, text: message.text };
      }
      case "chat.getPermalink": {
        const ts = String(args.message_ts ?? "");
        if (!this.find(channel, ts)) return { ok: false, error: "message_not_found" };
        return {
          ok: true,
          channel,
          permalink: `https://local.slack.test/archives/${channel}/p${ts.replace(".", "")}`,
        };
      }
      case "chat.postEphemeral": {
        if (!channel || !args.user) return { ok: false, error: "channel_not_found" };
        this.ephemerals.push({
          channel,
          user: String(args.user),
          text: String(args.text ?? ""),
          at: Date.now(),
        });
        return { ok: true, message_ts: this.nextTs() };
      }
      case "views.open": {
        const view =
          typeof args.view === "string"
            ? (JSON.parse(args.view) as Record<string, unknown>)
            : (args.view as Record<string, unknown>);
        if (!args.trigger_id || !view) return { ok: false, error: "invalid_arguments" };
        this.views.push({ triggerId: String(args.trigger_id), view });
        return { ok: true, view: { id: `V${this.views.length}`, ...view } };
      }
      case "usergroups.users.list": {
        const users = this.options.groups?.[String(args.usergroup)];
        return users ? { ok: true, users } : { ok: false, error: "no_such_subteam" };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
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

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

/** Slack takes form-encoded or JSON arguments; `blocks` in a form is a JSON string. */
function parseArgs(body: string, contentType: string): Record<string, unknown> {
  if (contentType.includes("application/json"))
    return body ? (JSON.parse(body) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = Object.fromEntries(new URLSearchParams(body));
  for (const key of ["blocks", "attachments", "view"]) {
    if (typeof args[key] === "string") {
      try {
        args[key] = JSON.parse(args[key] as string);
      } catch {
        // keep as sent
      }
    }
  }
  return args;
}
