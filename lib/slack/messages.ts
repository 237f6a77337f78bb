/**
 * What bm says in Slack about an operation: pure builders from an operation to message text and
 * Block Kit. Every value goes through {@link md}: escaped once, fitted after escaping.
 */
import type { ModalView } from "@slack/types";
import type { Seal } from "../audit/seal";
import { statusMeaning } from "../ecl/errors";
import { MEDIA_NOT_LISTED } from "../ecl/server";
import { isTerminal, type Operation, type State, stateWords } from "../operations/operation";
import { formatElapsed } from "../util/elapsed";
import { plural } from "../util/plural";
import { LIMITS } from "./block-kit-limits";
import { button, type Confirm, context, fields, message, section } from "./blocks";
import type { SlackMessage } from "./chat";
import {
  channel,
  clip,
  code,
  date,
  join,
  listOf,
  type Mrkdwn,
  md,
  principal,
  user,
} from "./mrkdwn";
import { slackFix } from "./slack-error";

/** Each state as the card's header says it: its emoji, and its words (the notification's text). */
const LABEL: Record<State, [emoji: string, words: string]> = {
  requested: [":inbox_tray:", "Requested"],
  awaiting_approval: [":raised_hand:", "Awaiting approval"],
  approved: [":white_check_mark:", "Approved"],
  waiting_for_idle: [":hourglass_flowing_sand:", "Waiting for the server to be idle"],
  executing: [":arrow_forward:", "Sending the detach to ECL"],
  detaching: [":arrows_counterclockwise:", "Detaching"],
  done: [":white_check_mark:", "Done"],
  noop: [":information_source:", "Nothing to do"],
  failed: [":x:", "Failed"],
  timed_out: [":warning:", "Timed out"],
  rejected: [":no_entry:", "Rejected"],
  expired: [":clock3:", "Expired"],
  cancelled: [":heavy_multiplication_x:", "Cancelled"],
};

/**
 * The card's header. Needing no approval, `approved` is only bm going ahead (its audit event says
 * "none needed"): nobody approved, so the card says what bm is doing, not "Approved".
 */
function labelOf(op: Operation): [emoji: string, words: string] {
  return LABEL[op.state === "approved" && op.approvalsRequired === 0 ? "executing" : op.state];
}

/**
 * How long a detach took, from what it names: the POST bm sent (ECL may take seconds to answer
 * it); for an operation recorded before bm kept that, ECL's acceptance; else the request.
 */
function since(op: Operation, now: Date): Mrkdwn {
  const after = (iso: string) => formatElapsed(now.getTime() - Date.parse(iso));
  if (op.detachSentAt) return md`${after(op.detachSentAt)} after bm sent it to ECL`;
  if (op.detachStartedAt) return md`${after(op.detachStartedAt)} after ECL accepted it`;
  return md`${after(op.createdAt)} after it was requested`;
}

/** How many names a list on a card shows before "… and N more". */
const SHOWN = 10;

/** `web01` (`c880…`), or the name as typed while it is not resolved. */
function serverLabel(op: Operation): Mrkdwn {
  if (!op.serverId) return code(op.serverRef);
  return md`${code(op.serverName || op.serverRef)} (${code(op.serverId)})`;
}

/** How much of a reason the notification text carries: what is needed comes after it. */
const REASON_IN_TEXT = 300;

/**
 * The message's top-level text, which Slack shows in notifications and mobile pushes and screen
 * readers read: who asks to detach what from which server, why, and, while it waits, what it
 * needs from whom. "<@U1> asks to detach image … from web01: INC-1 — needs 1 approval from
 * <!subteam^S1> (op-…)"; once decided, its state first: "Done: <@U1> asked to detach …".
 */
function notification(op: Operation, words: string): Mrkdwn {
  const server = op.serverName || op.serverRef;
  const why = op.reason ? clip(md`${op.reason}`, REASON_IN_TEXT) : md`no reason given`;
  if (op.state !== "awaiting_approval")
    return md`${words}: ${user(op.requester)} asked to detach image ${op.imageId} from ${server}: ${why} (${op.id})`;
  return md`${user(op.requester)} asks to detach image ${op.imageId} from ${server}: ${why} — needs ${needed(op)} (${op.id})`;
}

/** "1 approval from <!subteam^S1>", "1 more approval from …" once some have approved. */
function needed(op: Operation): Mrkdwn {
  const given = op.approvals?.length ?? 0;
  const left = Math.max(1, op.approvalsRequired - given);
  const from =
    op.approvers.length > 0 ? listOf(op.approvers.map(principal), SHOWN) : md`the approvers`;
  const count =
    given > 0 ? plural(left, "more approval", "more approvals") : plural(left, "approval");
  return md`${count} from ${from}`;
}

/**
 * What a button of the card does, to which detach, as a screen reader says it instead of its
 * text ("Approve" alone, on every card): "Approve detaching <image> from web01 (op-…)", within
 * Slack's 75 characters: the image by its first 8 characters, or, for a long server name, the
 * operation and the server alone.
 */
export function buttonLabel(verb: string, op: Operation): string {
  const server = op.serverName || op.serverRef;
  const full = `${verb} detaching ${op.imageId} from ${server} (${op.id})`;
  if (full.length <= LIMITS.accessibilityLabel) return full;
  const short = `${verb} detaching ${op.imageId.slice(0, 8)}… from ${server} (${op.id})`;
  if (short.length <= LIMITS.accessibilityLabel) return short;
  return `${verb} ${op.id}: detaching from ${server}`;
}

/**
 * Approve (with its confirmation) and Reject, for a request awaiting approval: on its card and on
 * an approver's Home tab alike, so that both ask the same and are answered by the same listeners.
 */
export function decisionButtons(op: Operation) {
  return [
    button("Approve", ACTIONS.approve, op.id, {
      label: buttonLabel("Approve", op),
      style: "primary",
      confirm: approveDialog(op),
    }),
    // Reject asks for a reason in a modal: that is its confirmation.
    button("Reject", ACTIONS.reject, op.id, { label: buttonLabel("Reject", op), style: "danger" }),
  ];
}

/** Approve cannot be undone: Slack asks once more before the click is sent. */
function approveDialog(op: Operation): Confirm {
  const server = op.serverName || op.serverRef;
  return {
    title: "Approve this detach?",
    text: `Once ${plural(op.approvalsRequired, "approval")} ${op.approvalsRequired === 1 ? "is" : "are"} given, bm detaches image ${op.imageId} from ${server} (${op.id}) at once. A detach cannot be undone.`,
    confirm: "Approve",
    deny: "Back",
    style: "primary",
  };
}

/** Cancel ends the request for everyone: asked once more. */
export function cancelDialog(op: Operation): Confirm {
  return {
    title: "Cancel this request?",
    text: `Nothing is sent to ECL, and nobody can approve ${op.id} afterwards: the requester would have to ask again.`,
    confirm: "Cancel the request",
    deny: "Keep it",
    style: "danger",
  };
}

/** The action ids of the card's buttons; each button's value is the operation id. */
export const ACTIONS = {
  approve: "bm_approve",
  reject: "bm_reject",
  cancel: "bm_cancel",
  recheck: "bm_recheck",
} as const;

/** The Re-check button of a timed-out detach: anyone who may request in the channel may click. */
function recheckActions(op: Operation) {
  return {
    type: "actions" as const,
    block_id: "bm_recheck",
    elements: [button("Re-check", ACTIONS.recheck, op.id, { label: buttonLabel("Re-check", op) })],
  };
}

/** What the card says about approval: needed from whom and until when, who approved, who said no. */
export function approvalLines(op: Operation): Mrkdwn[] {
  if (op.approvalsRequired === 0) return [md`none needed in this channel`];
  const from =
    op.approvers.length > 0 ? listOf(op.approvers.map(principal), SHOWN) : md`the approvers`;
  // The approvers are mentioned (a group pinged) only while they are asked: on the card as it is
  // posted, and kept in its edits while it waits (a first approval of two counted). Once decided,
  // the card names no one to ask, so its later edits mention nobody.
  const lines = [
    op.state === "awaiting_approval"
      ? md`${op.approvalsRequired} needed from ${from}`
      : md`${op.approvalsRequired} needed`,
  ];
  const approvals = op.approvals ?? [];
  for (const a of approvals.slice(0, SHOWN))
    lines.push(md`:white_check_mark: ${user(a.userId)} approved, ${date(a.at)}`);
  if (approvals.length > SHOWN) lines.push(md`… and ${approvals.length - SHOWN} more approvals`);
  if (op.state === "awaiting_approval" && op.requestExpiresAt)
    lines.push(md`expires ${date(op.requestExpiresAt)}`);
  if (op.rejectedBy)
    lines.push(md`:no_entry: ${user(op.rejectedBy)} rejected: ${op.rejectReason ?? ""}`);
  if (op.cancelledBy) lines.push(md`cancelled by ${user(op.cancelledBy)}`);
  return lines;
}

/**
 * The parent message of an operation: who, what, why, the server's state, and where it stands.
 * While it awaits approval it is the approval card, with Approve, Reject and Cancel buttons.
 */
export function parentMessage(op: Operation): SlackMessage {
  const media = op.mediaUnknown ? md`, media not listed by ECL` : "";
  const state =
    op.taskState === undefined
      ? md`unknown`
      : op.powerState
        ? md`task_state ${op.taskState}, power ${op.powerState}${media}`
        : md`task_state ${op.taskState}${media}`;
  const [emoji, words] = labelOf(op);
  return message(notification(op, words), [
    section(md`*Media detach* ${code(op.id)} · ${emoji} ${words}`),
    fields([
      md`*Requested by*\n${user(op.requester)}`,
      md`*Server*\n${serverLabel(op)}`,
      md`*Image*\n${code(op.imageId)}`,
      md`*Server state*\n${state}`,
      md`*Reason*\n${op.reason ? op.reason : md`_none given_`}`,
      md`*Approval*\n${join(approvalLines(op), "\n")}`,
    ]),
    ...(op.outcome ? [section(outcomeOf(op, op.outcome))] : []),
    ...(op.state === "detaching" ? [section(accepted(op))] : []),
    ...(op.state === "awaiting_approval" ? [approvalActions(op)] : []),
    ...(op.state === "timed_out" ? [recheckActions(op)] : []),
    context([
      md`Tenant ${code(op.tenant)} · requested ${date(op.createdAt)}${op.detachRequestId ? md` · ECL request id ${code(op.detachRequestId)}` : ""}`,
    ]),
  ]);
}

/**
 * What the card says while ECL works: that ECL took the detach, when, and that the thread will
 * say when the server has settled. Said on the card, which is updated at this moment anyway, not
 * in a thread reply of its own: one Slack post fewer per detach in a channel that takes about
 * one a second.
 */
function accepted(op: Operation): Mrkdwn {
  const when = op.detachStartedAt ? md` ${date(op.detachStartedAt)}` : "";
  const server = code(op.serverName || op.serverRef);
  return md`:arrows_counterclockwise: ECL accepted the detach${when}. bm says in the thread when ${server} has settled.${op.mediaUnknown ? md` ${MEDIA_NOT_LISTED}, so it judges completion by task_state alone.` : ""}`;
}

/**
 * How it ended, in a sentence: the outcome as bm wrote it; for a request whose image another
 * detach removed first, that one's id and a link to its channel (which no plain outcome can
 * carry: it is escaped).
 */
function outcomeOf(op: Operation, outcome: string): Mrkdwn {
  const first = op.detachedFirst;
  if (first)
    return md`${code(first.by)} (in ${channel(first.channelId)}) detached this image first; this request cannot send a second detach. Nothing was sent to ECL.`;
  return md`${outcome}`;
}

/** The thread reply for the state an operation has just entered, if that state has one. */
export function threadNotice(
  op: Operation,
  now: Date,
  idleWaitS: number,
): SlackMessage | undefined {
  const said = noticeText(op, now, idleWaitS);
  if (!said) return undefined;
  // A timed-out detach is often a slow one: the notice carries Re-check too.
  return op.state === "timed_out"
    ? message(said, [section(said), recheckActions(op)])
    : message(said);
}

/**
 * Whether the thread notice of the state the operation is in is shown in the channel as well
 * (`reply_broadcast`): a detach that failed or timed out needs people who never open the thread.
 */
export function broadcasts(op: Operation): boolean {
  return op.state === "failed" || op.state === "timed_out";
}

function noticeText(op: Operation, now: Date, idleWaitS: number): Mrkdwn | undefined {
  const server = code(op.serverName || op.serverRef);
  const requester = user(op.requester);
  // A re-check that found nothing new answers the clicker alone; the thread stays as it was.
  if (op.lastEvent.action === "recheck") return undefined;
  if (op.lastEvent.action === "approval") {
    const last = op.approvals?.at(-1);
    return md`:white_check_mark: ${last ? user(last.userId) : md`someone`} approved (${op.approvals?.length ?? 0} of ${op.approvalsRequired}).`;
  }
  switch (op.state) {
    case "approved":
      return op.approvalsRequired > 0
        ? md`:white_check_mark: Approved by ${listOf(
            (op.approvals ?? []).map((a) => user(a.userId)),
            SHOWN,
          )}. bm goes on with the detach.`
        : undefined;
    case "rejected":
      return md`:no_entry: ${requester} ${op.rejectedBy ? user(op.rejectedBy) : md`an approver`} rejected the request: ${op.rejectReason ?? ""}. Nothing was sent to ECL.`;
    case "cancelled":
      return md`:heavy_multiplication_x: ${op.cancelledBy ? user(op.cancelledBy) : requester} cancelled the request. Nothing was sent to ECL.`;
    case "expired":
      return md`:clock3: ${requester} nobody approved within ${op.requestTtlMinutes} min, so the request has expired. Nothing was sent to ECL.`;
    case "waiting_for_idle":
      if (op.lastEvent.facts.auditNotWritten)
        return md`:hourglass_flowing_sand: bm could not write the audit trail, so it has not sent the detach; it tries again shortly.`;
      if (op.lastEvent.from === "executing")
        // Said once: a server that keeps refusing does not fill the thread.
        return (op.busyRefusals ?? 1) > 1 ? undefined : refusalNotice(op, server, idleWaitS);
      return md`:hourglass_flowing_sand: ${server} is busy (task_state ${op.taskState ?? "unknown"}). ECL accepts a detach only when task_state is None, so bm will try again until it is idle, for up to ${formatElapsed(idleWaitS * 1000)}.`;
    case "done": {
      const after = since(op, now);
      const by = op.lastEvent.from === "timed_out" ? user(op.lastEvent.actor.userId) : undefined;
      if (by)
        return md`:white_check_mark: ${requester} done after all: ${by}'s re-check found image ${code(op.imageId)} detached from ${server} and the server idle${op.mediaUnknown ? md` (by task_state alone: ECL did not list media for this server)` : ""}, ${after}.`;
      if (op.mediaUnknown)
        return md`:white_check_mark: ${requester} done: ${server} is idle again after the detach of image ${code(op.imageId)}, ${after}. ECL did not list media for this server, so bm judged completion by task_state alone and cannot confirm that the image is gone.`;
      return md`:white_check_mark: ${requester} done: image ${code(op.imageId)} is detached from ${server} and the server is idle, ${after}.`;
    }
    case "noop":
      return md`:information_source: ${requester} nothing to do: ${op.outcome ? outcomeOf(op, op.outcome) : "the image is not attached"}`;
    case "failed":
      return md`:x: ${requester} the detach failed: ${op.outcome ?? "unknown error"}`;
    case "timed_out":
      if (op.lastEvent.from === "executing")
        return md`:warning: ${requester} the outcome of the detach is unknown: ${op.outcome ?? ""}`;
      return md`:warning: ${requester} ${server} has not settled: ${op.outcome ?? ""} bm has stopped watching; check the server in the ECL console.`;
  }
  // requested, awaiting_approval, executing, detaching: the card says it all.
  return undefined;
}

/** ECL refused the detach before acting (409, 429, 503): what bm does about it, said once. */
function refusalNotice(op: Operation, server: Mrkdwn, idleWaitS: number): Mrkdwn {
  const status = Number(op.lastEvent.facts?.eclStatus ?? 409);
  const upTo = formatElapsed(idleWaitS * 1000);
  if (status === 409)
    return md`:hourglass_flowing_sand: ECL answered 409 (task_state not None): a task started on ${server} just before the detach reached it, and ECL took nothing. bm waits for the server to be idle and sends the detach again, for up to ${upTo} in all.`;
  const why = statusMeaning(status);
  const after = op.lastEvent.facts?.retryAfterS;
  const wait = after === undefined ? md`a moment` : md`the ${String(after)} s it asked for`;
  return md`:hourglass_flowing_sand: ECL answered ${String(status)} (${why}) and took nothing. bm waits ${wait} and sends the detach again, for up to ${upTo} in all.`;
}

/**
 * What the requester is told through the slash command's response_url when the channel refuses
 * bm: what Slack said and how to fix it (with `slackError`, the first time), and where the
 * operation stands or how it ended.
 */
export function requesterNotice(
  op: Operation,
  now: Date,
  idleWaitS: number,
  slackError?: string,
): SlackMessage {
  const lines: Mrkdwn[] = [];
  if (slackError !== undefined)
    lines.push(
      md`:warning: bm could not post about ${code(op.id)} in ${channel(op.channelId)}: Slack answered ${code(slackError)}. ${slackFix(slackError)}`,
    );
  if (isTerminal(op.state))
    lines.push(noticeText(op, now, idleWaitS) ?? md`${code(op.id)} is ${stateWords(op.state)}.`);
  else
    lines.push(
      md`bm goes on with ${code(op.id)} (detach image ${code(op.imageId)} from ${code(op.serverName || op.serverRef)}) and will tell you here how it ends.`,
    );
  return message(join(lines, "\n"));
}

/** The modal that asks a rejecting approver why. */
export const REJECT_VIEW = {
  callbackId: "bm_reject_reason",
  /** The modal once it says why its clicker may not reject: nothing to submit. */
  refusedId: "bm_reject_refused",
  block: "reason",
  action: "reason",
} as const;

/** The longest rejection reason the modal takes. */
export const MAX_REJECT_REASON = 500;

/** How the reject modal's private_metadata marks a modal opened from the Home tab. */
const FROM_HOME = " home";

/**
 * The modal that asks why. Its private_metadata keeps the operation and, for a Reject clicked on
 * the Home tab, that it was (read back by {@link rejectOpenedFrom}): a modal has no channel, and
 * its submission's answer goes where the click was made.
 */
export function rejectModal(operationId: string, fromHome = false): ModalView {
  return {
    type: "modal",
    callback_id: REJECT_VIEW.callbackId,
    private_metadata: fromHome
      ? `${operationId.slice(0, LIMITS.privateMetadata - FROM_HOME.length)}${FROM_HOME}`
      : operationId.slice(0, LIMITS.privateMetadata),
    title: { type: "plain_text", text: "Reject the request" },
    submit: { type: "plain_text", text: "Reject" },
    close: { type: "plain_text", text: "Back" },
    blocks: [
      section(
        md`Rejecting ${code(operationId)}. The requester and the channel will see your reason.`,
      ),
      {
        type: "input",
        block_id: REJECT_VIEW.block,
        label: { type: "plain_text", text: "Reason" },
        element: {
          type: "plain_text_input",
          action_id: REJECT_VIEW.action,
          multiline: true,
          min_length: 1,
          max_length: MAX_REJECT_REASON,
        },
      },
    ],
  };
}

/** What a submitted reject modal's private_metadata says: the operation, and where it was opened. */
export function rejectOpenedFrom(privateMetadata: string): {
  operationId: string;
  fromHome: boolean;
} {
  const fromHome = privateMetadata.endsWith(FROM_HOME);
  return {
    operationId: fromHome ? privateMetadata.slice(0, -FROM_HOME.length) : privateMetadata,
    fromHome,
  };
}

/**
 * The reject modal turned into the refusal, for someone who may not reject (or a request that
 * can no longer be): the words alone, and Close.
 */
export function refusalModal(text: Mrkdwn): ModalView {
  return {
    type: "modal",
    callback_id: REJECT_VIEW.refusedId,
    title: { type: "plain_text", text: "Cannot reject" },
    close: { type: "plain_text", text: "Close" },
    blocks: [section(text)],
  };
}

/**
 * The day's audit seal, for the policy's audit channel: a copy of the seals' chain outside AWS.
 * ":lock: bm audit seal for 2026-12-01: 37 events. Seal #12 `<hash>`, chained to #11 `<16 hex>…`."
 */
export function sealMessage(seal: Seal): SlackMessage {
  const chain = seal.prev
    ? md`, chained to #${seal.seq - 1} ${code(`${seal.prev.slice(0, 16)}…`)}`
    : md`, the first of its chain`;
  return message(
    md`:lock: bm audit seal for ${seal.facts.day}: ${plural(seal.facts.count, "event")}. Seal #${seal.seq} ${code(seal.hash ?? "-")}${chain}. ${code("npm run audit -- --verify")} checks the trail against it.`,
  );
}

/** The card's row while it awaits approval: Approve, Reject (decisionButtons) and Cancel. */
export function approvalActions(op: Operation) {
  return {
    type: "actions" as const,
    block_id: "bm_approval",
    elements: [
      ...decisionButtons(op),
      button("Cancel", ACTIONS.cancel, op.id, {
        label: buttonLabel("Cancel", op),
        confirm: cancelDialog(op),
      }),
    ],
  };
}
