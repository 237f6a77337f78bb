/**
 * The front door's work for `/bm`: parse, authorize, record, enqueue, and the words of the ack.
 * No ECL call and no tenant secret: it must answer Slack well inside 3 s.
 */

import { type AuditEvent, newOperation, operationIdFor, transition } from "../operations/operation";
import type { AuditLog, OperationStore, WorkQueue } from "../operations/ports";
import { decideRequest, groupsIn, isListed } from "../policy/decide";
import type { Policy } from "../policy/policy";
import { parseCommand, USAGE } from "../slack/parse-command";

export interface FrontDoorDeps {
  policy: Policy;
  store: OperationStore;
  audit: AuditLog;
  queue: WorkQueue;
  /** Members of a Slack user group (cached). */
  groupMembers(groupId: string): Promise<string[]>;
  now: () => Date;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
}

/** The fields of a slash command that bm reads. */
export interface SlashCommand {
  teamId: string;
  channelId: string;
  userId: string;
  text: string;
  triggerId: string;
}

/** Handles `/bm …` and returns the ephemeral answer. Never throws for a user's mistake. */
export async function handleSlashCommand(
  deps: FrontDoorDeps,
  command: SlashCommand,
): Promise<string> {
  const parsed = parseCommand(command.text);
  if (parsed.kind === "help")
    return `*bm* detaches virtual media from ECL bare-metal servers.\n${USAGE}`;
  if (parsed.kind === "invalid") return `${parsed.message}\n${USAGE}`;

  const id = operationIdFor(command.teamId, command.triggerId);
  const actor = { teamId: command.teamId, userId: command.userId };
  const refuse = async (reason: string, message: string) => {
    const event: AuditEvent = {
      operationId: id,
      seq: 0,
      at: deps.now().toISOString(),
      action: `refused:${reason}`,
      actor,
      facts: { channel: command.channelId, server: parsed.server, image: parsed.image },
    };
    await deps.audit.append(event);
    deps.log.info("refused", { operationId: id, reason });
    return message;
  };

  const groups = await memberships(deps, command);
  if (groups === "unknown") {
    return refuse(
      "group_lookup_failed",
      "bm could not check your user groups with Slack just now, so it cannot tell whether you may request here. Try again in a minute.",
    );
  }
  const decision = decideRequest(deps.policy, command.channelId, command.userId, groups);
  if (!decision.allowed) return refuse(decision.reason, decision.message);
  if (decision.channel.approvals > 0) {
    return refuse(
      "approvals_unavailable",
      `This channel needs ${decision.channel.approvals} approval(s) for a detach, and approvals are not available in this version of bm yet. Nothing was done. Use a channel whose policy needs none (an incident channel).`,
    );
  }

  const op = newOperation(
    {
      id,
      teamId: command.teamId,
      channelId: command.channelId,
      requester: command.userId,
      tenant: decision.channel.tenant,
      secretId: decision.secretId,
      approvalsRequired: decision.channel.approvals,
      serverRef: parsed.server,
      imageId: parsed.image,
      reason: parsed.reason,
    },
    deps.now(),
  );
  const created = await deps.store.create(op);
  const current = created.created ? op : created.existing;
  // The audit event is written beside the enqueue, not after it: both are needed, neither waits
  // for the other. A lost append is repaired by the worker, which re-appends the latest event.
  const audited = created.created
    ? deps.audit.append(op.lastEvent).catch((error: unknown) => {
        deps.log.warn("audit append failed; the worker repairs it", {
          operationId: id,
          error: (error as Error).name,
        });
      })
    : undefined;
  if (current.state === "requested") {
    // Sent again for a repeated delivery too: the worker moves an operation once, whatever it receives.
    try {
      await deps.queue.send({ kind: "prepare", operationId: id });
    } catch (error) {
      await audited;
      deps.log.warn("could not enqueue", { operationId: id, error: (error as Error).name });
      const failed = transition(current, "failed", actor, deps.now(), {
        outcome: "bm could not queue the request; nothing was done.",
      });
      if (await deps.store.save(current, failed)) await deps.audit.append(failed.lastEvent);
      return `bm could not queue \`${id}\` just now, so nothing was done. Try again in a minute.`;
    }
  }
  await audited;
  if (!created.created) {
    return `This request is already recorded as \`${id}\` (${current.state.replace(/_/g, " ")}).`;
  }
  deps.log.info("requested", { operationId: id });
  return `Recorded \`${id}\`: detach image \`${parsed.image}\` from \`${parsed.server}\`. bm will check the server and post progress in this channel.`;
}

/**
 * The user groups among the channel's requesters that the user belongs to. Slack is asked only
 * when the user is not allowed without groups; "unknown" when Slack could not answer.
 */
async function memberships(
  deps: FrontDoorDeps,
  command: SlashCommand,
): Promise<Set<string> | "unknown"> {
  const channel = Object.hasOwn(deps.policy.channels, command.channelId)
    ? deps.policy.channels[command.channelId]
    : undefined;
  if (!channel || isListed(channel.requesters, command.userId, new Set())) return new Set();
  const groups = new Set<string>();
  try {
    for (const group of groupsIn(channel.requesters)) {
      if ((await deps.groupMembers(group)).includes(command.userId)) groups.add(group);
    }
  } catch (error) {
    deps.log.warn("user group lookup failed", { error: (error as Error).name });
    return "unknown";
  }
  return groups;
}
