/**
 * What bm says in Slack about a fleet request (`/bm detach --all`): one card for all its
 * targets, its progress in counts, its thread notices. Pure; every value through {@link md}.
 * A target posts nothing of its own: its state reaches this card through the fleet's tally.
 */
import { countsOf, countsWords, fleetTargets, unknownsWords } from "../operations/fleet";
import type { Fleet, Operation, State } from "../operations/operation";
import { plural } from "../util/plural";
import { button, type Confirm, context, fields, message, section } from "./blocks";
import type { SlackMessage } from "./chat";
import { ACTIONS, approvalActions, approvalLines, threadNotice } from "./messages";
import { clip, code, date, join, listOf, type Mrkdwn, md, user } from "./mrkdwn";

/** How many targets the card names before "and N more". */
export const TARGETS_SHOWN = 10;

/**
 * Each state as the card's header says it. A fleet is never waiting for idle, executing or
 * timed out itself (its targets are): those read as what it is doing, or how it ended.
 */
const LABEL: Record<State, [emoji: string, words: string]> = {
  requested: [":inbox_tray:", "Requested"],
  awaiting_approval: [":raised_hand:", "Awaiting approval"],
  approved: [":white_check_mark:", "Approved"],
  waiting_for_idle: [":arrows_counterclockwise:", "Detaching"],
  executing: [":arrows_counterclockwise:", "Detaching"],
  detaching: [":arrows_counterclockwise:", "Detaching"],
  done: [":white_check_mark:", "Done"],
  noop: [":information_source:", "Nothing to do"],
  failed: [":x:", "Finished, not all done"],
  timed_out: [":x:", "Finished, not all done"],
  rejected: [":no_entry:", "Rejected"],
  expired: [":clock3:", "Expired"],
  cancelled: [":heavy_multiplication_x:", "Cancelled"],
};

function labelOf(op: Operation): [string, string] {
  if (op.state === "approved" && op.approvalsRequired === 0) return [":arrow_forward:", "Starting"];
  // Failed before it had targets (its list, the policy in force): it failed, plainly.
  if (op.state === "failed" && fleetTargets(op).length === 0) return [":x:", "Failed"];
  return LABEL[op.state];
}

/** Which servers: "every server that has it", or those whose name starts with the prefix. */
function which(op: Operation): Mrkdwn {
  const match = op.fleet?.match;
  return match === undefined
    ? md`every server of tenant ${code(op.tenant)} that has it`
    : md`the servers of tenant ${code(op.tenant)} whose name starts with ${code(match)}`;
}

/** The targets: their count, the first ones by name, and how many more. */
function targetsLine(op: Operation): Mrkdwn {
  const targets = fleetTargets(op);
  if (op.state === "requested") return md`_listed when bm reads the tenant's servers_`;
  if (targets.length === 0) return md`none`;
  const names = listOf(
    targets.map((t) => code(t.serverName)),
    TARGETS_SHOWN,
  );
  // With targets, it is a fleet.
  const unknown = unknownsWords((op.fleet as Fleet).unknowns);
  return md`${plural(targets.length, "server")}: ${names}${unknown ? md`\n${unknown}` : ""}`;
}

/** True while some targets have not been sent and may still be cancelled. */
export function restCancellable(op: Operation): boolean {
  return (
    op.state === "detaching" &&
    op.fleet?.cancelRest === undefined &&
    countsOf(op).queued + countsOf(op).waiting > 0
  );
}

/** "Cancel the rest" asks once more: what was sent finishes. */
function cancelRestDialog(op: Operation): Confirm {
  return {
    title: "Cancel the rest?",
    text: `bm sends no more detaches for ${op.id}; those already sent to ECL finish and are reported.`,
    confirm: "Cancel the rest",
    deny: "Keep going",
    style: "danger",
  };
}

/** The fleet request's card: who, which image, which servers, where it stands, its buttons. */
export function fleetCard(op: Operation): SlackMessage {
  const [emoji, words] = labelOf(op);
  const total = fleetTargets(op).length;
  const why = op.reason ? clip(md`${op.reason}`, 300) : md`no reason given`;
  const text =
    op.state === "awaiting_approval"
      ? md`${user(op.requester)} asks to detach image ${op.imageId} from ${plural(total, "server")}: ${why} — needs approval (${op.id})`
      : md`${words}: ${user(op.requester)} asked to detach image ${op.imageId} from ${which(op)}: ${why} (${op.id})`;
  const progress =
    total > 0 && !["requested", "awaiting_approval"].includes(op.state)
      ? [md`*Progress*\n${countsWords(countsOf(op), total)}`]
      : [];
  const actions =
    op.state === "awaiting_approval"
      ? [approvalActions(op)]
      : restCancellable(op)
        ? [
            {
              type: "actions" as const,
              block_id: "bm_fleet",
              elements: [
                button("Cancel the rest", ACTIONS.cancel, op.id, {
                  label: `Cancel the rest of ${op.id}`,
                  confirm: cancelRestDialog(op),
                }),
              ],
            },
          ]
        : [];
  return message(text, [
    section(md`*Media detach, many servers* ${code(op.id)} · ${emoji} ${words}`),
    fields([
      md`*Requested by*\n${user(op.requester)}`,
      md`*Image*\n${code(op.imageId)}`,
      md`*Servers*\n${which(op)}`,
      md`*Targets*\n${targetsLine(op)}`,
      md`*Reason*\n${op.reason ? op.reason : md`_none given_`}`,
      md`*Approval*\n${join(approvalLines(op), "\n")}`,
      ...progress,
    ]),
    ...(op.fleet?.cancelRest
      ? [
          section(
            md`${user(op.fleet.cancelRest.by)} cancelled the rest, ${date(op.fleet.cancelRest.at)}: what was sent finishes.`,
          ),
        ]
      : []),
    ...(op.outcome ? [section(md`${op.outcome}`)] : []),
    ...actions,
    context([
      md`Tenant ${code(op.tenant)} · requested ${date(op.createdAt)} · one operation a server, each with its own audit trail`,
    ]),
  ]);
}

/**
 * The thread reply of a fleet request's new state: its end with the full outcome, mentioning the
 * requester once; else as a single request's (approved, rejected, expired, cancelled before it
 * started; nothing while it runs: the card says it).
 */
export function fleetNotice(op: Operation, now: Date, idleWaitS: number): SlackMessage | undefined {
  const requester = user(op.requester);
  const outcome = op.outcome ?? "";
  if (op.state === "done") return message(md`:white_check_mark: ${requester} done: ${outcome}.`);
  if (op.state === "failed" && fleetTargets(op).length > 0)
    return message(md`:x: ${requester} finished, not all done: ${outcome}.`);
  if (op.state === "cancelled" && op.fleet?.cancelRest)
    return message(md`:heavy_multiplication_x: ${requester} the rest was cancelled: ${outcome}.`);
  return threadNotice(op, now, idleWaitS);
}

/** One coalesced progress notice: "12 of 30 done, 10 in flight, 8 queued". */
export function progressNotice(op: Operation): SlackMessage {
  return message(
    md`:arrows_counterclockwise: ${countsWords(countsOf(op), fleetTargets(op).length)}`,
  );
}
