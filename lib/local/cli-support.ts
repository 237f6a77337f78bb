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
    await readFile(join(resolve(import.meta.dirname, "../.."), "infra/local/secrets.json"), "utf8"),
  );
  return secrets["bm/slack"].signing_secret;
}

/** A response_url of the local Slack stand-in, as Slack puts one in each slash command and click. */
export async function localResponseUrl(
  frontDoorUrl: string,
  channel: string,
  user: string,
): Promise<string> {
  const base = new URL(frontDoorUrl).origin;
  const query = new URLSearchParams({ channel, user });
  return (await (await fetch(`${base}/_local/response-url?${query}`)).json()) as string;
}

const started = Date.now();

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
