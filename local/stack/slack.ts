/**
 * Slack for the local stack: the stand-in, with the policy's channels and its audit channel (the
 * bot a member of each but those it was never invited to) and the user groups.
 */
import type { Policy } from "../../lib/policy/policy";
import { SlackStandIn, type StandInChannel } from "../stand-ins/slack";
import type { Env } from "./aws";
import type { Closers } from "./closers";

export async function startSlack(
  closers: Closers,
  env: Env,
  options: {
    policy: Policy;
    botToken: string;
    groups: Record<string, string[]>;
    disabledGroups: string[];
    botNotIn: string[];
    rateLimits: boolean;
  },
): Promise<SlackStandIn> {
  const notIn = new Set(options.botNotIn);
  const channels: Record<string, StandInChannel> = {};
  const ids = [...Object.keys(options.policy.channels), options.policy.auditChannel ?? []].flat();
  for (const id of ids) channels[id] = { member: !notIn.has(id) };
  const slack = await new SlackStandIn({
    botToken: options.botToken,
    channels,
    groups: options.groups,
    disabledGroups: options.disabledGroups,
    rateLimits: options.rateLimits,
  }).start();
  closers.last(() => slack.close());
  env.SLACK_API_URL = slack.apiUrl;
  return slack;
}
