/**
 * The doctor's Slack checks: the token works and has every scope bm uses, bm is in every channel
 * of the policy, every user group of the policy exists and is enabled.
 */
import type { Policy } from "../policy/policy";
import { plural } from "../util/plural";
import type { Line, SlackAnswer, SlackProbe, SlackRefusal } from "./ports";
import { explain, fail, ok, within } from "./words";

/**
 * The bot scopes bm uses, as `infra/slack-app-manifest.yml` asks for them
 * (test/integration/slack-manifest.test.ts holds the two equal).
 */
export const BOT_SCOPES: readonly string[] = [
  "commands",
  "chat:write",
  "usergroups:read",
  "users:read",
  "channels:read",
  "groups:read",
];

/** How to give the app scopes it lacks. */
const reinstall = (what: "it" | "them") =>
  `add ${what} to the app (OAuth & Permissions, or update the app from infra/slack-app-manifest.yml) and reinstall it to the workspace`;

/** What {@link ask} makes of a call that got no answer from Slack (its `detail` says why). */
const NO_ANSWER = "no answer";

/** Slack's refusal of the token itself, and what to do about it. */
function refusal({ code, needed, detail }: SlackRefusal, secretId: string): string {
  if (code === NO_ANSWER) return `Slack did not answer: ${detail}`;
  if (code === "missing_scope") return `the token lacks ${needed ?? "a scope"}: ${reinstall("it")}`;
  if (
    ["invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"].includes(
      code,
    )
  )
    return `Slack refused the bot token (${code}): reinstall the app to the workspace and put its bot token (xoxb-…) in the secret ${secretId}`;
  return `Slack answered ${code}`;
}

/** Slack's answer, or what went wrong asking, as a refusal. */
async function ask<T>(ms: number, work: () => Promise<SlackAnswer<T>>): Promise<SlackAnswer<T>> {
  try {
    return await within(ms, work());
  } catch (error) {
    return { ok: false, code: NO_ANSWER, detail: explain(error) };
  }
}

/** The token, its workspace and its scopes: the lines, and whether the token works. */
export async function checkToken(
  slack: SlackProbe,
  token: string,
  context: { secretId: string; policy: Policy | undefined; timeoutMs: number },
): Promise<{ lines: Line[]; works: boolean }> {
  const answer = await ask(context.timeoutMs, () => slack.whoAmI(token));
  if (!answer.ok)
    return {
      lines: [fail("Slack token", refusal(answer, context.secretId))],
      works: false,
    };
  const { teamId, userId, botId, scopes } = answer.value;
  const teams = context.policy?.teamIds;
  const lines = [
    teams && !teams.includes(teamId)
      ? fail(
          "Slack token",
          `the token is of workspace ${teamId}, which the policy's team_ids (${teams.join(", ")}) does not name: add it there, or install the app in the right workspace`,
        )
      : ok("Slack token", `works: bot ${botId} (user ${userId}) in workspace ${teamId}`),
  ];
  if (!scopes) {
    lines.push(fail("Slack scopes", "Slack did not name the token's scopes (x-oauth-scopes)"));
    return { lines, works: true };
  }
  const missing = BOT_SCOPES.filter((s) => !scopes.includes(s));
  lines.push(
    missing.length === 0
      ? ok("Slack scopes", `the token has all ${BOT_SCOPES.length} that bm uses`)
      : fail(
          "Slack scopes",
          `the token lacks ${missing.join(", ")}: ${reinstall(missing.length === 1 ? "it" : "them")}`,
        ),
  );
  return { lines, works: true };
}

/** The channels of the policy, its audit channel included, in the policy's order. */
export function policyChannels(policy: Policy): string[] {
  const ids = Object.keys(policy.channels);
  return policy.auditChannel && !ids.includes(policy.auditChannel)
    ? [...ids, policy.auditChannel]
    : ids;
}

/** One line per channel of the policy: bm is a member, not archived. */
export async function checkChannels(
  slack: SlackProbe,
  token: string,
  policy: Policy,
  context: { secretId: string; timeoutMs: number },
): Promise<Line[]> {
  return Promise.all(
    policyChannels(policy).map(async (id) => {
      const name = `channel ${id}`;
      const answer = await ask(context.timeoutMs, () => slack.channel(token, id));
      if (!answer.ok) {
        if (answer.code === "channel_not_found")
          return fail(
            name,
            "Slack shows bm no such channel: check the id in the policy (channel details, at the bottom); a private channel bm is not in is hidden from it: invite it with `/invite @bm`",
          );
        return fail(name, `not checked: ${refusal(answer, context.secretId)}`);
      }
      if (answer.value.archived)
        return fail(name, "archived: unarchive it, or take it out of the policy");
      return answer.value.member
        ? ok(name, "bm is a member")
        : fail(name, "bm is not a member: invite it with `/invite @bm`");
    }),
  );
}

/** Every user group id (S…) the policy names, in the order it names them. */
export function policyGroups(policy: Policy): string[] {
  const ids = Object.values(policy.channels).flatMap((c) => [...c.requesters, ...c.approvers]);
  return [...new Set(ids.filter((id) => id.startsWith("S")))];
}

/** One line per user group of the policy: it exists, and is enabled. */
export async function checkGroups(
  slack: SlackProbe,
  token: string,
  policy: Policy,
  context: { secretId: string; timeoutMs: number },
): Promise<Line[]> {
  const wanted = policyGroups(policy);
  if (wanted.length === 0) return [];
  const answer = await ask(context.timeoutMs, () => slack.userGroups(token));
  if (!answer.ok) {
    const why = `not checked: ${refusal(answer, context.secretId)}`;
    return wanted.map((id) => fail(`user group ${id}`, why));
  }
  const groups = new Map(answer.value.map((g) => [g.id, g]));
  return wanted.map((id) => {
    const group = groups.get(id);
    const name = `user group ${id}`;
    if (!group)
      return fail(
        name,
        `Slack has no such user group among its ${plural(groups.size, "group")}: check the id in the policy (the group's page in Slack, "Copy group ID")`,
      );
    return group.disabled
      ? fail(name, "disabled: it grants nothing; enable it in Slack, or take it out of the policy")
      : ok(name, "exists");
  });
}
