/**
 * What `npm run slash` and `npm run click` share: the local signing secret, and watching.
 */
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { watchThread } from "./watch-thread";

/** The signing secret of the local stack's sample Slack secret (or BM_SLACK_SIGNING_SECRET). */
export async function localSigningSecret(): Promise<string> {
  if (process.env.BM_SLACK_SIGNING_SECRET) return process.env.BM_SLACK_SIGNING_SECRET;
  const secrets = JSON.parse(
    await readFile(join(resolve(import.meta.dirname, ".."), "infra/local/secrets.json"), "utf8"),
  );
  return secrets["bm/slack"].signing_secret;
}

/** A response_url of the local Slack stand-in, as Slack puts one in each slash command and click. */
export async function localResponseUrl(
  frontDoorUrl: string,
  channel: string,
  user: string,
  /** For a click on a private message: its ts, so that the answer can replace it. */
  ephemeralTs?: string,
): Promise<string> {
  const base = new URL(frontDoorUrl).origin;
  const query = new URLSearchParams({
    channel,
    user,
    ...(ephemeralTs ? { ephemeral: ephemeralTs } : {}),
  });
  return (await (await fetch(`${base}/_local/response-url?${query}`)).json()) as string;
}

const started = Date.now();

/** A message only one user saw, as the local stack serves it. */
export interface PrivateMessage {
  ts: string;
  channel: string;
  text: string;
  blocks?: Array<Record<string, unknown>>;
  at: number;
  edits: number;
}

/** What `user` sees privately, oldest first. */
export async function privateMessages(
  frontDoorUrl: string,
  user: string,
): Promise<PrivateMessage[]> {
  const base = new URL(frontDoorUrl).origin;
  const query = new URLSearchParams({ user });
  return ((await (await fetch(`${base}/_local/ephemerals?${query}`)).json()) ??
    []) as PrivateMessage[];
}

/** Waits (up to `timeoutMs`) for a private message to `user` that `wanted` accepts. */
export async function nextPrivate(
  frontDoorUrl: string,
  user: string,
  wanted: (m: PrivateMessage) => boolean,
  timeoutMs = 10_000,
): Promise<PrivateMessage | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const found = (await privateMessages(frontDoorUrl, user)).find(wanted);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

/**
 * Prints a private message as a person reads it, each of its buttons with the command that
 * clicks it; returns the operation it names, if any.
 */
export function printPrivate(message: PrivateMessage, user: string): string | undefined {
  console.log(`(only ${user} sees this)`);
  const blocks = message.blocks ?? [];
  if (blocks.length === 0) console.log(message.text);
  let n = 0;
  for (const block of blocks) {
    const text =
      (block.text as { text?: string } | undefined)?.text ??
      ((block.elements as Array<{ text?: string }> | undefined) ?? []).map((e) => e.text).join(" ");
    const button = block.accessory as { text?: { text?: string }; value?: string } | undefined;
    if (!button) {
      console.log(text);
      continue;
    }
    n++;
    console.log(`  [${n}] ${text.replace(/\n/g, "\n      ")}`);
    console.log(`      [${button.text?.text}] → npm run click -- ${button.value} --user ${user}`);
  }
  console.log("");
  return /`(op-[a-z0-9]{10})`/.exec(message.text)?.[1];
}

/**
 * Prints the messages only `user` saw since this command started, then (for an operation) the
 * card and thread as they change, and exits with 0 when it ended well or rests awaiting approval.
 */
export async function watchAndReport(
  frontDoorUrl: string,
  operationId: string | undefined,
  user: string,
): Promise<never> {
  const base = new URL(frontDoorUrl).origin;
  if (!operationId) {
    // The worker answers /bm status a moment later; clicks are answered at once.
    await new Promise((r) => setTimeout(r, 1500));
    const list = (await (await fetch(`${base}/_local/ephemerals?user=${user}`)).json()) as Array<{
      text: string;
      at: number;
    }> | null;
    for (const e of (list ?? []).filter((e) => e.at >= started))
      console.log(`(only ${user} sees this) ${e.text}\n`);
    process.exit(0);
  }
  const op = await watchThread(base, operationId, (line) => console.log(line), undefined, {
    user,
    since: started,
  });
  console.log(
    op ? `${operationId} is ${op.state.replace(/_/g, " ")}` : `${operationId} was not found`,
  );
  process.exit(
    op && ["done", "noop", "awaiting_approval", "rejected", "cancelled"].includes(op.state) ? 0 : 1,
  );
}
