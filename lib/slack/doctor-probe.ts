/**
 * The doctor's Slack reads (`npm run doctor`) over Slack's WebClient: `auth.test` (and the
 * token's scopes, which Slack names in the `x-oauth-scopes` header of every answer),
 * `conversations.info` and `usergroups.list`. Slack's refusals are answers here, not errors:
 * the doctor puts each in words.
 */
import type { WebClient } from "@slack/web-api";
import type { SlackAnswer, SlackProbe } from "../doctor/ports";

/** Slack's refusal as an answer: its code, and the scope it needed (`missing_scope`). */
function refused(error: unknown): { ok: false; code: string; needed?: string } {
  const data = (error as { data?: { error?: unknown; needed?: unknown } } | undefined)?.data;
  if (typeof data?.error !== "string") throw error;
  return typeof data.needed === "string"
    ? { ok: false, code: data.error, needed: data.needed }
    : { ok: false, code: data.error };
}

async function answer<T>(work: () => Promise<T>): Promise<SlackAnswer<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return refused(error);
  }
}

/** A {@link SlackProbe} over `client`; the token is passed per call. */
export function webClientProbe(client: WebClient): SlackProbe {
  return {
    whoAmI: (token) =>
      answer(async () => {
        const r = await client.auth.test({ token });
        return {
          teamId: String(r.team_id ?? ""),
          userId: String(r.user_id ?? ""),
          botId: String(r.bot_id ?? ""),
          scopes: r.response_metadata?.scopes,
        };
      }),
    channel: (token, id) =>
      answer(async () => {
        const c = (await client.conversations.info({ token, channel: id })).channel;
        return { member: c?.is_member === true, archived: c?.is_archived === true };
      }),
    userGroups: (token) =>
      answer(async () => {
        const r = await client.usergroups.list({ token, include_disabled: true });
        return (r.usergroups ?? []).map((g) => ({
          id: String(g.id ?? ""),
          // Slack dates a disabled group's deletion; a group in use has 0.
          disabled: Number(g.date_delete ?? 0) !== 0,
        }));
      }),
  };
}
