/**
 * `npm run slash -- "detach web01 <image-id> [reason]" [--user U…] [--channel C…]`: sends a slash
 * command to the local front door, signed exactly as Slack signs it, then prints the channel's
 * parent message and thread as they change, until the operation ends.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { slackHeaders, slashCommandBody } from "../lib/local/slack-request";
import type { StoredMessage } from "../lib/local/slack-standin";
import { isTerminal, type Operation } from "../lib/operations/operation";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: "string", default: "U0LOCALUSER" },
    channel: { type: "string", default: "C0INCIDENT" },
    team: { type: "string", default: "T0LOCAL" },
    url: {
      type: "string",
      default: `http://127.0.0.1:${process.env.BM_PORT ?? 3000}/slack/events`,
    },
    "no-watch": { type: "boolean", default: false },
  },
});
const text = positionals.join(" ");
const secrets = JSON.parse(
  await readFile(join(import.meta.dirname, "../infra/local/secrets.json"), "utf8"),
);
const signingSecret: string =
  process.env.BM_SLACK_SIGNING_SECRET ?? secrets["bm/slack"].signing_secret;

const body = slashCommandBody({
  teamId: values.team,
  channelId: values.channel,
  userId: values.user,
  text,
});
console.log(`→ /bm ${text}   (as ${values.user} in ${values.channel})`);
let response: Response;
try {
  response = await fetch(values.url, {
    method: "POST",
    headers: slackHeaders(signingSecret, body),
    body,
  });
} catch {
  console.error(
    `Nothing answers at ${values.url}: start the local stack first with \`npm start\`.`,
  );
  process.exit(1);
}
const answer = await response.text();
const said = answer ? (JSON.parse(answer) as { text?: string }).text : "";
console.log(`← ${response.status} (only you can see this) ${said ?? ""}\n`);

const id = /`(op-[a-z0-9]{10})`/.exec(said ?? "")?.[1];
if (!id || values["no-watch"]) process.exit(response.ok ? 0 : 1);

const base = new URL(values.url).origin;
const get = async <T>(path: string): Promise<T> =>
  (await (await fetch(`${base}${path}`)).json()) as T;
const shown = new Map<string, string>();
const started = Date.now();
for (;;) {
  const op = await get<Operation | null>(`/_local/operations/${id}`);
  const parent = op?.parentTs
    ? (await get<StoredMessage[]>(`/_local/history?channel=${values.channel}`)).find(
        (m) => m.ts === op.parentTs,
      )
    : undefined;
  if (parent) {
    for (const message of [parent, ...parent.replies]) {
      const rendered = render(message);
      if (shown.get(message.ts) === rendered) continue;
      const what =
        message === parent
          ? shown.has(message.ts)
            ? "parent message updated"
            : "parent message"
          : "thread reply";
      console.log(
        `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${what} in #${values.channel}:\n${indent(rendered)}\n`,
      );
      shown.set(message.ts, rendered);
    }
  }
  if (op && isTerminal(op.state) && (op.noticedSeq ?? 0) >= op.seq) {
    console.log(`${id} ended: ${op.state}`);
    process.exit(op.state === "done" || op.state === "noop" ? 0 : 1);
  }
  if (Date.now() - started > 20 * 60_000) {
    console.log(`${id} is still ${op?.state}; stopped watching.`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 500));
}

/** A message as a person reads it: its blocks' text, or its text. */
function render(message: StoredMessage): string {
  const blocks = (message.blocks ?? []) as Array<{
    text?: { text: string };
    fields?: Array<{ text: string }>;
    elements?: Array<{ text: string }>;
  }>;
  if (blocks.length === 0) return message.text;
  return blocks
    .map((b) =>
      [
        b.text?.text,
        ...(b.fields ?? []).map((f) => f.text.replace("\n", ": ")),
        ...(b.elements ?? []).map((e) => e.text),
      ]
        .filter(Boolean)
        .join("\n"),
    )
    .join("\n");
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}
