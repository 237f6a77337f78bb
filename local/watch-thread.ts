/**
 * For `npm run slash` and `npm run click`: prints an operation's parent message and thread, as a
 * person in the channel sees them, each time they change, until the operation ends or rests.
 */
import { isTerminal, type Operation } from "../lib/operations/operation";
import type { StoredMessage } from "./stand-ins/slack";

/** A message as a person reads it: its blocks' text (buttons included), or its text. */
export function renderMessage(message: StoredMessage): string {
  type Block = {
    type: string;
    text?: { text: string };
    fields?: Array<{ text: string }>;
    elements?: Array<{ text: { text: string } | string }>;
  };
  const blocks = (message.blocks ?? []) as Block[];
  if (blocks.length === 0) return message.text;
  return blocks
    .map((b) => {
      if (b.type === "actions")
        return (b.elements ?? [])
          .map((e) => `[ ${typeof e.text === "string" ? e.text : e.text.text} ]`)
          .join(" ");
      const elements = (b.elements ?? []).map((e) =>
        typeof e.text === "string" ? e.text : e.text.text,
      );
      return [b.text?.text, ...(b.fields ?? []).map((f) => f.text.replace("\n", ": ")), ...elements]
        .filter(Boolean)
        .join("\n");
    })
    .join("\n");
}

/**
 * Polls the local stack (`/_local/…` on the front door's port) and prints what changes. Returns
 * the operation as it ended, or as it rests (waiting for approvals with everything posted).
 */
export async function watchThread(
  base: string,
  operationId: string,
  out: (line: string) => void,
  timeoutMs = 20 * 60_000,
  privately?: { user: string; since: number },
): Promise<Operation | undefined> {
  const get = async <T>(path: string): Promise<T> =>
    (await (await fetch(`${base}${path}`)).json()) as T;
  const shown = new Map<string, string>();
  const started = Date.now();
  let quiet = 0;
  let seen = 0;
  for (;;) {
    // What bm told this user alone (through the response_url, say) since the command.
    if (privately) {
      const list =
        (await get<Array<{ text: string; at: number }> | null>(
          `/_local/ephemerals?user=${privately.user}`,
        )) ?? [];
      const fresh = list.filter((e) => e.at >= privately.since);
      for (const e of fresh.slice(seen)) out(`(only ${privately.user} sees this) ${e.text}\n`);
      seen = fresh.length;
    }
    const op = await get<Operation | null>(`/_local/operations/${operationId}`);
    const parent = op?.parentTs
      ? (await get<StoredMessage[]>(`/_local/history?channel=${op.channelId}`)).find(
          (m) => m.ts === op.parentTs,
        )
      : undefined;
    let changed = false;
    for (const message of parent ? [parent, ...parent.replies] : []) {
      const rendered = renderMessage(message);
      if (shown.get(message.ts) === rendered) continue;
      const what =
        message === parent
          ? shown.has(message.ts)
            ? "parent message updated"
            : "parent message"
          : "thread reply";
      out(
        `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${what} in #${op?.channelId}:\n${rendered.replace(/^/gm, "    ")}\n`,
      );
      shown.set(message.ts, rendered);
      changed = true;
    }
    const posted = !!op && (op.noticedSeq ?? 0) >= op.seq;
    if (op && posted && isTerminal(op.state)) return op;
    // Waiting for people: once everything is posted and nothing moves for a while, stop watching.
    quiet = changed || !posted ? 0 : quiet + 1;
    if (op?.state === "awaiting_approval" && quiet >= 4) return op;
    if (Date.now() - started > timeoutMs) return op ?? undefined;
    await new Promise((r) => setTimeout(r, 500));
  }
}
