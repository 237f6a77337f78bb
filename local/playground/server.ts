/**
 * The playground: a Slack-like page on the local stack's front door port (`/`), to try bm end to
 * end without a Slack workspace. Everything the page does goes through the real front door,
 * signed as Slack signs: slash commands, button clicks, the reject modal's submission. What it
 * shows is the Slack stand-in's state (channels, threads, ephemerals, open modals), pushed to
 * the page as server-sent events when it changes. Only for `npm start`: no Lambda imports it.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import * as v from "valibot";
import type { Operation } from "../../lib/operations/operation";
import type { Policy } from "../../lib/policy/policy";
import { ACTIONS } from "../../lib/slack/messages";
import { FORMS_TEXT } from "../../lib/slack/parse-command";
import { SAMPLE } from "../ecl-simulator/sample";
import type { EclSimulator } from "../ecl-simulator/server";
import {
  appHomeOpenedBody,
  blockActionsBody,
  eventHeaders,
  homeActionsBody,
  rejectSubmissionBody,
  slackHeaders,
  slashCommandBody,
} from "../slack-request";
import type { SlackStandIn } from "../stand-ins/slack";
import { newToken, type Refusal, refusal } from "./guard";

/** The people of the local workspace, and the groups each is in. */
export const PLAYGROUND_USERS = [
  { id: "U0LOCALUSER", name: "riley (requester)" },
  { id: "U0OPERATOR", name: "olu (operator)" },
  { id: "U0APPROVER1", name: "ana (approver)" },
  { id: "U0APPROVER2", name: "ben (approver)" },
  { id: "U0NOBODY", name: "nia (no rights)" },
] as const;

export interface PlaygroundDeps {
  slack: SlackStandIn;
  policy: Policy;
  groups: Record<string, string[]>;
  signingSecret: string;
  /** The ECL simulator, for the "behind the scenes" panel; absent with a real ECL. */
  ecl: EclSimulator | undefined;
  /** An operation and its audit trail, for the panel. */
  operation(id: string): Promise<{ op: Operation; audit: unknown[] } | undefined>;
  /** Sends a signed request to the front door, as API Gateway would; returns its answer. */
  frontDoor(
    body: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }>;
}

const ASSETS: Record<string, string> = {
  "/": "index.html",
  "/playground.js": "app.js",
  "/playground.css": "app.css",
};
/** Where the page's token goes: the page reads it from here for every call it makes. */
const TOKEN_SLOT = '<meta name="bm-playground-token" content="">';
/** The page is the playground's alone: never framed by another page, never cached (its token is this run's). */
const PAGE_HEADERS = {
  "cache-control": "no-store",
  "content-security-policy": "frame-ancestors 'none'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};
/** What a call of the page may send: JSON, an object of strings, not large. */
const INPUT = v.record(v.string(), v.string());
const MAX_BODY = 64 * 1024;
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/**
 * Handles a playground request; false when the path is not the playground's. It answers only its
 * own page, which it serves with a token made for this run (./guard.ts says what it refuses).
 */
export function playground(deps: PlaygroundDeps) {
  const dir = import.meta.dirname;
  const token = newToken();
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, refused: Refusal) => {
    res.writeHead(refused.status, { "content-type": "text/plain; charset=utf-8" });
    res.end(`${refused.text}\n`);
  };
  /** Trigger ids of the clicks made here, to find the modal each one opened. */
  const triggers = new Map<string, string>();

  const state = (user: string) => ({
    usage: FORMS_TEXT,
    users: PLAYGROUND_USERS.map((u) => ({
      ...u,
      groups: Object.entries(deps.groups)
        .filter(([, members]) => members.includes(u.id))
        .map(([group]) => group),
    })),
    channels: Object.entries(deps.policy.channels).map(([id, c]) => ({
      id,
      tenant: c.tenant,
      approvals: c.approvals,
      requesters: c.requesters,
      approvers: c.approvers,
      member: deps.slack.isMember(id),
      messages: deps.slack.history(id),
      ephemerals: deps.slack.ephemeralsOf(id, user),
      // What Slack refused of bm in this channel, as Slack answered it.
      refusals: deps.slack.calls
        .filter((c) => c.error && c.args.channel === id && c.method.startsWith("chat."))
        .map((c) => ({ method: c.method, error: c.error, at: c.at ?? 0 })),
    })),
    modal: openModal(user),
    // The user's Home tab as bm last published it (views.publish), or none yet.
    home: deps.slack.homes.get(user)?.view ?? null,
    ecl: deps.ecl && {
      servers: deps.ecl.model.serversOf(SAMPLE.tenantId).map((s) => ({
        id: s.id,
        name: s.name,
        taskState: s.taskState,
        powerState: s.powerState,
        media: s.media,
      })),
      faults: {
        // Armed for the next action; it unticks itself once an action met it.
        race409: deps.ecl.model.race409Armed !== undefined,
        slowEcl: Boolean(deps.ecl.model.unkind.slowActionMs),
        // Slack's tiers and posts per channel (local/stand-ins/slack-rate.ts): on till unticked.
        slackRateLimits: deps.slack.ratesLimited,
      },
      // What Slack refused for its rate, and the calls bm made before a Retry-After had passed.
      slackRates: {
        refused: deps.slack.rateRefusals().length,
        early: deps.slack.earlyCalls().map((c) => ({ method: c.method, at: c.at })),
      },
      // The last race met, to say which action it was; and the flag's mode, which is not the switch's.
      lastRace: deps.ecl.model.races.at(-1),
      race409EachServer: deps.ecl.model.unkind.race409Ms,
    },
  });

  const openModal = (user: string) => {
    const view = [...deps.slack.views]
      .reverse()
      .find((v) => triggers.get(v.triggerId) === user && !v.closed);
    return view
      ? { id: view.triggerId, view: view.view, errors: view.errors, updates: view.updates }
      : undefined;
  };

  /** The call's JSON object of strings; undefined for anything else (answered 400). */
  const body = (req: IncomingMessage) =>
    new Promise<Record<string, string> | undefined>((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      req.on("end", () => {
        if (size > MAX_BODY) return resolve(undefined);
        try {
          const parsed = v.safeParse(INPUT, JSON.parse(Buffer.concat(chunks).toString("utf8")));
          resolve(parsed.success ? parsed.output : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });

  const send = (form: string) => deps.frontDoor(form, slackHeaders(deps.signingSecret, form));

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/favicon.ico" && (req.method === "GET" || req.method === "HEAD")) {
      // The page names an icon of its own (none); a browser may ask all the same: no content.
      req.resume();
      res.writeHead(204, { "cache-control": "max-age=86400" }).end();
      return true;
    }
    const asset = ASSETS[url.pathname];
    if (!asset && !url.pathname.startsWith("/_playground/")) return false;
    const method = req.method ?? "GET";
    const refused = refusal(
      { method, path: url.pathname, headers: req.headers, port: req.socket.localPort },
      token,
    );
    // Only a POST's body is read: any other is drained, so that the connection can be used again.
    if (refused || method !== "POST") req.resume();
    if (refused) {
      refuse(res, refused);
      return true;
    }
    if (method !== "GET" && (asset || method !== "POST")) {
      res.writeHead(405, { allow: asset ? "GET" : "GET, POST" }).end();
      return true;
    }
    if (asset) {
      const text = await readFile(join(dir, asset), "utf8");
      const type = TYPES[asset.split(".").at(-1) as string] as string;
      res.writeHead(200, { "content-type": type, ...PAGE_HEADERS });
      res.end(asset === "index.html" ? text.replace(TOKEN_SLOT, tokenTag(token)) : text);
      return true;
    }
    if (req.method === "GET" && url.pathname === "/_playground/state") {
      json(res, 200, state(url.searchParams.get("user") ?? PLAYGROUND_USERS[0].id));
      return true;
    }
    if (req.method === "GET" && url.pathname === "/_playground/events") {
      // A change of the stand-in (any call, refused ones too) is one event; the page reloads its state.
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      let seen = -1;
      const tick = setInterval(() => {
        const now =
          deps.slack.calls.length + deps.slack.ephemerals.length + (deps.ecl?.requests.length ?? 0);
        if (now !== seen) {
          seen = now;
          res.write(`data: ${now}\n\n`);
        }
      }, 150);
      // The answer's close, not the request's: a request closes once its (empty) body is read.
      res.on("close", () => clearInterval(tick));
      return true;
    }
    if (req.method === "GET" && url.pathname === "/_playground/operation") {
      json(res, 200, (await deps.operation(url.searchParams.get("id") ?? "")) ?? null);
      return true;
    }
    if (method !== "POST") return notFound(res);
    const input = await body(req);
    if (!input) {
      json(res, 400, { error: "a JSON object of strings, at most 64 KiB" });
      return true;
    }
    const user = input.user ?? PLAYGROUND_USERS[0].id;
    const channel = input.channel ?? "C0INCIDENT";
    if (url.pathname === "/_playground/slash") {
      const answer = await send(
        slashCommandBody({
          teamId: "T0LOCAL",
          channelId: channel,
          userId: user,
          text: (input.text ?? "").replace(/^\/bm\s*/, ""),
          responseUrl: deps.slack.newResponseUrl(channel, user),
        }),
      );
      // The command's own answer is ephemeral: Slack shows it to the user alone.
      const text =
        answer.status === 200
          ? ((JSON.parse(answer.body || "{}") as { text?: string }).text ?? "")
          : "";
      deps.slack.addEphemeral(channel, user, text || `/bm failed (HTTP ${answer.status})`);
      json(res, 200, { status: answer.status });
      return true;
    }
    if (url.pathname === "/_playground/home") {
      // The Home tab opened: Slack sends app_home_opened, signed, as an Events API callback.
      const event = appHomeOpenedBody({ teamId: "T0LOCAL", userId: user });
      const answer = await deps.frontDoor(event, eventHeaders(deps.signingSecret, event));
      json(res, 200, { status: answer.status });
      return true;
    }
    if (url.pathname === "/_playground/click" && input.home === "true") {
      const action = (ACTIONS as Record<string, string>)[input.action ?? ""] ?? input.action ?? "";
      const form = homeActionsBody({
        teamId: "T0LOCAL",
        userId: user,
        actionId: action,
        value: input.value ?? "",
        blockId: input.block ?? "",
      });
      const trigger = new URLSearchParams(form).get("payload");
      triggers.set(trigger ? (JSON.parse(trigger) as { trigger_id: string }).trigger_id : "", user);
      const answer = await send(form);
      json(res, 200, { status: answer.status });
      return true;
    }
    if (url.pathname === "/_playground/click") {
      const action = (ACTIONS as Record<string, string>)[input.action ?? ""] ?? input.action ?? "";
      // A click on a private message: Slack's response_url for it can replace that message.
      const ephemeral = input.ephemeral === "true";
      const form = blockActionsBody({
        teamId: "T0LOCAL",
        channelId: channel,
        userId: user,
        messageTs: input.ts ?? "",
        actionId: action,
        value: input.value ?? "",
        ...(input.block ? { blockId: input.block } : {}),
        ephemeral,
        responseUrl: deps.slack.newResponseUrl(
          channel,
          user,
          Date.now(),
          ephemeral && input.ts ? { ephemeralTs: input.ts } : undefined,
        ),
      });
      const trigger = new URLSearchParams(form).get("payload");
      const triggerId = trigger ? (JSON.parse(trigger) as { trigger_id: string }).trigger_id : "";
      triggers.set(triggerId, user);
      const answer = await send(form);
      json(res, 200, { status: answer.status });
      return true;
    }
    if (url.pathname === "/_playground/submit") {
      const view = deps.slack.views.find((v) => v.triggerId === input.modal);
      if (!view) {
        json(res, 404, { error: "no such modal" });
        return true;
      }
      const answer = await send(
        rejectSubmissionBody({
          teamId: "T0LOCAL",
          userId: user,
          operationId: String(view.view.private_metadata ?? ""),
          reason: input.reason ?? "",
        }),
      );
      const result = answer.body
        ? (JSON.parse(answer.body) as { response_action?: string; errors?: Record<string, string> })
        : {};
      if (result.response_action === "errors") view.errors = result.errors;
      else view.closed = true;
      json(res, 200, { status: answer.status, errors: result.errors });
      return true;
    }
    if (url.pathname === "/_playground/fault" && deps.ecl) {
      // The trainer's switches: what bm does when ECL or Slack misbehave.
      const model = deps.ecl.model;
      const on = input.on === "true";
      // One race for the next action on any server, each time the switch is ticked.
      if (input.fault === "race409") {
        if (on) model.armRace409(3000);
        else model.disarmRace409();
      }
      if (input.fault === "slowEcl")
        model.unkind = {
          ...model.unkind,
          slowActionMs: on ? 8000 : undefined,
        } as typeof model.unkind;
      if (input.fault === "busy" && input.server) model.setBusy(input.server, "REBOOTING", 20_000);
      if (input.fault === "slackRateLimits") deps.slack.limitRates(on);
      json(res, 200, {});
      return true;
    }
    if (url.pathname === "/_playground/attach" && deps.ecl && input.server) {
      // Attach the sample image again, so a detach can be replayed.
      const server = deps.ecl.model.server(input.server);
      if (server && !server.media.includes(SAMPLE.image)) server.media.push(SAMPLE.image);
      json(res, 200, {});
      return true;
    }
    if (url.pathname === "/_playground/close") {
      const view = deps.slack.views.find((v) => v.triggerId === input.modal);
      if (view) view.closed = true;
      json(res, 200, {});
      return true;
    }
    return notFound(res);
  };
}

function notFound(res: ServerResponse): true {
  res
    .writeHead(404, { "content-type": "application/json" })
    .end(JSON.stringify({ error: "no such call" }));
  return true;
}

/** The page's slot, with this run's token in it. */
function tokenTag(token: string): string {
  return TOKEN_SLOT.replace('content=""', `content="${token}"`);
}
