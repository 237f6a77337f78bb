/**
 * The Home tabs an operation's change shows in, published again: its requester's, and those of
 * its channel's approvers named by id or through a user group, among those who have opened their
 * Home, at most {@link REPUBLISH_CAP}. One `views.publish` each (Tier 4), through the Chat port,
 * which paces them. While nobody has opened a Home, a change costs one table read and no Slack
 * call: no group is listed for viewers who would see nothing.
 */
import type { Operation } from "../operations/operation";
import { channelPolicy } from "../policy/permissions";
import type { Chat } from "../slack/chat";
import { homeView } from "../slack/home";
import type { FrontDoorDeps, HomeOpeners } from "./deps";
import { homeContent } from "./open-home";

/** The most Home tabs one change publishes again. */
export const REPUBLISH_CAP = 20;

const GROUP = /^S[A-Z0-9]+$/;

/** Who may see the operation on their Home: its requester, and its channel's listed approvers. */
export async function viewersOf(
  deps: Pick<FrontDoorDeps, "policy" | "groupMembers">,
  op: Operation,
): Promise<string[]> {
  const approvers = channelPolicy(deps.policy, op.channelId)?.approvers ?? [];
  const groups = await Promise.all(
    approvers
      .filter((a) => GROUP.test(a))
      .map((g) => deps.groupMembers(g).catch(() => [] as string[])),
  );
  // The policy names approvers by id or group, never "*" (policy.ts refuses it).
  const users = approvers.filter((a) => !GROUP.test(a));
  return [...new Set([op.requester, ...users, ...groups.flat()])];
}

/**
 * Publishes again the Home of each viewer of `op` who has opened theirs. A failure is logged and
 * ends nothing: the Home is published afresh whenever it is opened.
 */
export function homeRepublisher(
  deps: Pick<FrontDoorDeps, "store" | "policy" | "groupMembers" | "person" | "log" | "now"> & {
    chat: Pick<Chat, "publishHome">;
    homes: HomeOpeners;
  },
): (op: Operation) => Promise<void> {
  return async (op) => {
    try {
      if (!(await deps.homes.anyone())) return;
      const viewers = (await viewersOf(deps, op)).slice(0, REPUBLISH_CAP);
      for (const userId of await deps.homes.among(viewers)) {
        const content = await homeContent(deps, { teamId: op.teamId, userId });
        await deps.chat.publishHome(userId, homeView(content));
      }
    } catch (error) {
      deps.log.warn("could not publish the Home tabs again", {
        operationId: op.id,
        error: (error as Error).name,
      });
    }
  };
}
