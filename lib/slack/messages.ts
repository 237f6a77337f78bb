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

/** A policy principal as Slack shows it: a user, a user group, or anyone. */
export function principal(id: string): string {
  if (id === "*") return "anyone";
  return id.startsWith("S") ? `<!subteam^${id}>` : `<@${id}>`;
}

/** `2026-11-26 10:03 UTC` */
function when(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** The action ids of the card's buttons; each button's value is the operation id. */
export const ACTIONS = { approve: "bm_approve", reject: "bm_reject", cancel: "bm_cancel" } as const;

/** What the card says about approval: needed from whom and until when, who approved, who said no. */
function approvalLines(op: Operation): string[] {
  if (op.approvalsRequired === 0) return ["none needed in this channel"];
  const lines = [
    `${op.approvalsRequired} needed from ${op.approvers.map(principal).join(", ") || "the approvers"}`,
  ];
  for (const a of op.approvals ?? [])
    lines.push(`:white_check_mark: <@${a.userId}> approved, ${when(a.at)}`);
  if (op.state === "awaiting_approval" && op.requestExpiresAt)
    lines.push(`expires ${when(op.requestExpiresAt)}`);
  if (op.rejectedBy)
    lines.push(`:no_entry: <@${op.rejectedBy}> rejected: ${escapeMrkdwn(op.rejectReason ?? "")}`);
  if (op.cancelledBy) lines.push(`cancelled by <@${op.cancelledBy}>`);
  return lines;
}

/**
 * The parent message of an operation: who, what, why, the server's state, and where it stands.
 * While it awaits approval it is the approval card, with Approve, Reject and Cancel buttons.
 */
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
    `*Approval*\n${approvalLines(op).join("\n")}`,
  ];
  const text = `Media detach ${op.id}: ${LABEL[op.state].replace(/^:[a-z_0-9]+: /, "")}: image ${op.imageId} from ${op.serverName || op.serverRef}`;
  const button = (label: string, actionId: string, style?: "primary" | "danger") => ({
    type: "button",
    text: { type: "plain_text", text: label },
    action_id: actionId,
    value: op.id,
    ...(style ? { style } : {}),
  });
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
      ...(op.state === "awaiting_approval"
        ? [
            {
              type: "actions",
              block_id: "bm_approval",
              elements: [
                button("Approve", ACTIONS.approve, "primary"),
                button("Reject", ACTIONS.reject, "danger"),
                button("Cancel", ACTIONS.cancel),
              ],
            },
          ]
        : []),
      {
        type: "context",
        elements: [
          { type: "mrkdwn", text: `Tenant \`${op.tenant}\` · requested ${when(op.createdAt)}` },
        ],
      },
    ],
  };
}

/** The thread reply for the state an operation has just entered, if that state has one. */
export function threadNotice(op: Operation, now: Date, idleWaitS: number): string | undefined {
  const server = op.serverName || op.serverRef;
  if (op.lastEvent.action === "approval") {
    const last = op.approvals?.at(-1);
    return `:white_check_mark: <@${last?.userId}> approved (${op.approvals?.length ?? 0} of ${op.approvalsRequired}).`;
  }
  switch (op.state) {
    case "approved":
      return op.approvalsRequired > 0
        ? `:white_check_mark: Approved by ${(op.approvals ?? []).map((a) => `<@${a.userId}>`).join(", ")}. bm goes on with the detach.`
        : undefined;
    case "rejected":
      return `:no_entry: <@${op.requester}> <@${op.rejectedBy}> rejected the request: ${escapeMrkdwn(op.rejectReason ?? "")}. Nothing was sent to ECL.`;
    case "cancelled":
      return `:heavy_multiplication_x: <@${op.cancelledBy}> cancelled the request. Nothing was sent to ECL.`;
    case "expired":
      return `:clock3: <@${op.requester}> nobody approved within ${op.requestTtlMinutes} min, so the request has expired. Nothing was sent to ECL.`;
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

/** The modal that asks a rejecting approver why. */
export const REJECT_VIEW = {
  callbackId: "bm_reject_reason",
  block: "reason",
  action: "reason",
} as const;

export function rejectModal(operationId: string): object {
  return {
    type: "modal",
    callback_id: REJECT_VIEW.callbackId,
    private_metadata: operationId,
    title: { type: "plain_text", text: "Reject the request" },
    submit: { type: "plain_text", text: "Reject" },
    close: { type: "plain_text", text: "Back" },
    blocks: [
      {
        type: "section",
        text: {
          type: "mrkdwn",
          text: `Rejecting \`${operationId}\`. The requester and the channel will see your reason.`,
        },
      },
      {
        type: "input",
        block_id: REJECT_VIEW.block,
        label: { type: "plain_text", text: "Reason" },
        element: {
          type: "plain_text_input",
          action_id: REJECT_VIEW.action,
          multiline: true,
          min_length: 1,
          max_length: 500,
        },
      },
    ],
  };
}
