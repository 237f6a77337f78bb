/**
 * The front door's work for `/bm …`: parse, authorize, and do or hand over, with the words of
 * the answer. No ECL call and no tenant secret: it must answer Slack well inside 3 s.
 */

import type { Facts } from "../operations/operation";
import { auditRead, readIdFor, standaloneEvent } from "../operations/standalone-event";
import { GROUPS_UNKNOWN, NOT_BOUND } from "../policy/decide";
import { channelPolicy, mayLook, rolesHere, type Sight, visibleTo } from "../policy/permissions";
import type { Roles } from "../policy/roles";
import { LIMITS } from "../slack/block-kit-limits";
import { code, fitMrkdwn, join, type Mrkdwn, md } from "../slack/mrkdwn";
import { example, parseCommand, type Subcommand, USAGE } from "../slack/parse-command";
import { READ_AUDIT_MARGIN_MS, WORK_MS } from "./budget";
import { decideOnRequest } from "./decide-on-request";
import { type FrontDoorDeps, refuse } from "./deps";
import { type HistoryShown, history } from "./history";
import { requestDetach } from "./request-detach";
import { requestFleet } from "./request-fleet";

/** The fields of a slash command that bm reads. */
export interface SlashCommand {
  teamId: string;
  channelId: string;
  userId: string;
  /** What the person typed: decoded from Slack's `&amp;`, `&lt;`, `&gt;` on the way in. */
  text: string;
  triggerId: string;
  /** Where delayed answers go (valid 30 minutes, 5 posts), when Slack gave a usable one. */
  responseUrl?: string;
}

/**
 * Handles `/bm …` and returns the ephemeral answer, as mrkdwn fitted to Slack's limits. Never
 * throws for a user's mistake. `workBy` (epoch ms): when the work must be done (budget.ts); the
 * audit of a read is waited for until a little before it, never past it.
 */
export async function handleSlashCommand(
  deps: FrontDoorDeps,
  command: SlashCommand,
  workBy = Date.now() + WORK_MS,
): Promise<string> {
  return fitMrkdwn(await answer(deps, command, workBy), LIMITS.sectionText);
}

async function answer(deps: FrontDoorDeps, command: SlashCommand, workBy: number): Promise<Mrkdwn> {
  const parsed = parseCommand(command.text);
  if (parsed.kind === "invalid") return md`${parsed.message}\n${USAGE}`;
  if (parsed.kind === "detach") return requestDetach(deps, { ...command, ...parsed });
  if (parsed.kind === "fleet") return requestFleet(deps, { ...command, ...parsed });
  if (parsed.kind === "cancel") {
    const answer = await decideOnRequest(deps, {
      teamId: command.teamId,
      userId: command.userId,
      operationId: parsed.operationId,
      action: "cancel",
      channelId: command.channelId,
    });
    return answer.text ?? md``;
  }

  if (parsed.kind === "help") return help(await rolesHere(deps, command.channelId, command.userId));
  const refusal = (reason: string, message: Mrkdwn) =>
    refuse(
      deps,
      {
        operationId: `channel-${command.channelId}`,
        teamId: command.teamId,
        userId: command.userId,
        reason,
        facts: { command: parsed.kind },
      },
      message,
    );
  // Status, media and history are for the channel's requesters and approvers. What a history may show
  // is worked out beside it (the same user groups, each asked once): one round of Slack calls.
  const bound = channelPolicy(deps.policy, command.channelId);
  const sight =
    parsed.kind === "history" && bound ? visibleTo(deps, bound.tenant, command.userId) : undefined;
  const may = await mayLook(deps, command.channelId, command.userId);
  if (!may.ok) return refusal(may.reason, may.message);
  const channel = may.channel;
  const tenant = deps.policy.tenants[channel.tenant];
  // Status and media read ECL: the worker answers, through the response_url.
  const asked = {
    teamId: command.teamId,
    channelId: command.channelId,
    userId: command.userId,
    tenant: channel.tenant,
    secretId: tenant?.secret as string,
    ...(command.responseUrl ? { responseUrl: command.responseUrl } : {}),
    readId: readIdFor(command.teamId, command.triggerId),
  };
  if (parsed.kind === "status") {
    await deps.queue.send({ kind: "status", request: { ...asked, target: parsed.target } });
    return md`Looking up ${code(parsed.target)} in ECL; the answer will appear here in a moment, for you only.`;
  }
  if (parsed.kind === "media") {
    const target = parsed.target;
    await deps.queue.send({
      kind: "media",
      request: target === undefined ? asked : { ...asked, target },
    });
    const which = target === undefined ? md`the servers` : md`${code(target)}`;
    return md`Looking up the media attached to ${which} in ECL; the answer will appear here in a moment, for you only.`;
  }
  const shown = await history(
    deps.store,
    await (sight as Promise<Sight>),
    channel.tenant,
    parsed.server,
  );
  // Answered whether or not its audit event is written (auditRead says why).
  await auditRead(
    deps,
    standaloneEvent(
      {
        operationId: readIdFor(command.teamId, command.triggerId),
        actor: { teamId: command.teamId, userId: command.userId },
        action: "viewed:history",
        facts: historyFacts(command.channelId, channel.tenant, parsed.server, shown),
      },
      deps.now(),
    ),
    workBy - READ_AUDIT_MARGIN_MS,
  );
  return shown.answer;
}

/** What the audit keeps of a history: where, which tenant, the filter, how many shown and left out. */
export function historyFacts(
  channel: string,
  tenant: string,
  server: string | undefined,
  shown: Pick<HistoryShown, "shown" | "unseen">,
): Facts {
  return {
    channel,
    tenant,
    ...(server === undefined ? {} : { server }),
    shown: shown.shown,
    hidden: shown.unseen.hidden,
    unchecked: shown.unseen.unchecked,
  };
}

/** Only what the caller may do in this channel, each with an example. */
function help(roles: Roles | "unbound" | "unknown"): Mrkdwn {
  const head = md`*bm* detaches virtual media from ECL bare-metal servers.`;
  if (roles === "unbound") return md`${head}\n${NOT_BOUND.message}`;
  if (roles === "unknown") return md`${head}\n${GROUPS_UNKNOWN}`;
  const allowed: Subcommand[] = [];
  if (roles.requester) allowed.push("detach", "cancel");
  if (roles.requester || roles.approver) allowed.push("status", "media", "history");
  allowed.push("help");
  const approving = roles.approver
    ? "\nYou approve or reject requests with the buttons on bm's messages in this channel."
    : "";
  const nothing =
    allowed.length === 1 ? "\nYou are neither a requester nor an approver in this channel." : "";
  return md`${head}\n${join(allowed.map(example), "\n")}${approving}${nothing}`;
}
