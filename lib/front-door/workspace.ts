/**
 * One workspace: bm acts only for the Slack teams its policy names. Slack Connect lets people of
 * other organisations use an app in a shared channel, so the request's team is not enough: the
 * clicker's own team (`user.team_id`) must be one of them too.
 */
import type { Policy } from "../policy/policy";
import { md } from "../slack/mrkdwn";
import type { Who } from "./payloads";

export const FOREIGN_TEAM = md`bm serves only its own Slack workspace: it takes no request or click from another workspace or organisation, so nothing was done.`;

/**
 * True when `who` is of the workspace the policy serves: the request's team and the user's own
 * team among `team_ids` (the user's may be the Grid organisation itself), and, when the policy
 * names an organisation, the request's organisation that one. An organisation the request does
 * not name is not known to be the policy's, so it is refused.
 */
export function isServed(policy: Pick<Policy, "teamIds" | "enterpriseId">, who: Who): boolean {
  const teams = new Set(policy.teamIds);
  if (!teams.has(who.teamId)) return false;
  const userServed =
    who.userTeamId === undefined ||
    teams.has(who.userTeamId) ||
    who.userTeamId === policy.enterpriseId;
  if (!userServed) return false;
  return policy.enterpriseId === undefined || who.enterpriseId === policy.enterpriseId;
}

/** What a refusal for another workspace keeps in the audit trail. */
export function foreignFacts(who: Who): Record<string, string> {
  return {
    team: who.teamId,
    ...(who.userTeamId !== undefined ? { userTeam: who.userTeamId } : {}),
    ...(who.enterpriseId !== undefined ? { enterprise: who.enterpriseId } : {}),
  };
}
