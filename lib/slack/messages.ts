/**
 * What bm says in Slack: pure builders from an operation to message text and Block Kit.
 */

import type { Operation, State } from "../operations/operation";
import { formatElapsed } from "../util/elapsed";

const LABEL: Record<State, string> = {
  requested: ":inbox_tray: Requested",
  awaiting_approval: ":raised_hand: Awaiting approval",
  approved: ":white_check_mark: Approved",
  waiting_for_idle: ":hourglass_flowing_sand: Waiting for the server to be idle",
  executing: ":arrow_forward: Sending the detach to ECL",
  detaching: ":arrows_counterclockwise: Detaching",
  done: ":white_check_mark: Done",
  noop: ":information_source: Nothing to do",
  failed: ":x: Failed",
  timed_out: ":warning: Timed out",
  rejected: ":no_entry: Rejected",
  expired: ":clock3: Expired",
  cancelled: ":heavy_multiplication_x: Cancelled",
};

/** `web01` (`c880…`), or the name as typed while it is not resolved. */
function serverLabel(op: Operation): string {
  if (!op.serverId) return `\`${op.serverRef}\``;
  return `\`${op.serverName || op.serverRef}\` (\`${op.serverId}\`)`;
}

/** The parent message of an operation: who, what, why, the server's state, and where it stands. */
export function parentMessage(op: Operation): { text: string; blocks: unknown[] } {
  const state =
    op.taskState === undefined
      ? "unknown"
      : `task_state ${op.taskState}${op.powerState ? `, power ${op.powerState}` : ""}`;
  const fields = [
    `*Requested by*\n<@${op.requester}>`,
    `*Server*\n${serverLabel(op)}`,
    `*Image*\n\`${op.imageId}\``,
    `*Server state*\n${state}`,
    `*Reason*\n${op.reason ? escapeMrkdwn(op.reason) : "_none given_"}`,
    `*Approval*\n${op.approvalsRequired === 0 ? "none needed in this channel" : `${op.approvalsRequired} needed`}`,
  ];
  const text = `Media detach ${op.id}: ${LABEL[op.state].replace(/^:[a-z_0-9]+: /, "")}: image ${op.imageId} from ${op.serverName || op.serverRef}`;
  return {
    text,
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: `*Media detach* \`${op.id}\` · ${LABEL[op.state]}` },
      },
      { type: "section", fields: fields.map((f) => ({ type: "mrkdwn", text: f })) },
      ...(op.outcome
        ? [{ type: "section", text: { type: "mrkdwn", text: escapeMrkdwn(op.outcome) } }]
        : []),
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: `Tenant \`${op.tenant}\` · requested ${op.createdAt.replace(/\.\d+Z$/, "Z")}`,
          },
        ],
      },
    ],
  };
}

/** The thread reply for the state an operation has just entered, if that state has one. */
export function threadNotice(op: Operation, now: Date, idleWaitS: number): string | undefined {
  const server = op.serverName || op.serverRef;
  switch (op.state) {
    case "waiting_for_idle":
      return `:hourglass_flowing_sand: \`${server}\` is busy (task_state ${op.taskState}). ECL accepts a detach only when task_state is None, so bm will try again until it is idle, for up to ${formatElapsed(idleWaitS * 1000)}.`;
    case "detaching":
      return `:arrows_counterclockwise: ECL accepted the detach${op.detachRequestId ? ` (request id \`${op.detachRequestId}\`)` : ""}. bm will say here when \`${server}\` has settled.`;
    case "done": {
      const since = op.detachStartedAt ?? op.createdAt;
      return `:white_check_mark: <@${op.requester}> done: image \`${op.imageId}\` is detached from \`${server}\` and the server is idle, ${formatElapsed(now.getTime() - Date.parse(since))} after ECL accepted it.`;
    }
    case "noop":
      return `:information_source: Nothing to do: ${escapeMrkdwn(op.outcome ?? "the image is not attached")}`;
    case "failed":
      return `:x: <@${op.requester}> the detach failed: ${escapeMrkdwn(op.outcome ?? "unknown error")}`;
    case "timed_out":
      return `:warning: <@${op.requester}> \`${server}\` has not settled: ${escapeMrkdwn(op.outcome ?? "")} bm has stopped watching; check the server in the ECL console.`;
    default:
      return undefined;
  }
}

/** Slack's three control characters in mrkdwn, escaped so user text cannot mention or link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
