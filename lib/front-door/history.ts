/**
 * `/bm history [server]`: the last operations of the channel's tenant, from the table alone.
 */
import { isTerminal, type Operation, stateWords } from "../operations/operation";
import { code, join, link, listOf, type Mrkdwn, md, user } from "../slack/mrkdwn";
import { formatElapsed } from "../util/elapsed";

/** How much of a rejection reason a history line shows. */
const REASON_SHOWN = 80;

/** One line an operation: who asked, who decided, how it ended, how long it took, the thread. */
export function historyLine(op: Operation): Mrkdwn {
  const server = op.serverName || op.serverRef;
  const parts = [
    md`${code(op.id)} ${op.createdAt.slice(0, 16).replace("T", " ")}Z ${code(server)}`,
    md`requested by ${user(op.requester)}`,
  ];
  if (op.approvals?.length)
    parts.push(
      md`approved by ${listOf(
        op.approvals.map((a) => user(a.userId)),
        5,
      )}`,
    );
  if (op.rejectedBy) {
    const reason = op.rejectReason ?? "";
    const shown = reason.length > REASON_SHOWN ? `${reason.slice(0, REASON_SHOWN)}…` : reason;
    parts.push(md`rejected by ${user(op.rejectedBy)} ("${shown}")`);
  }
  if (op.cancelledBy) parts.push(md`cancelled by ${user(op.cancelledBy)}`);
  const took = op.finishedAt
    ? ` in ${formatElapsed(Date.parse(op.finishedAt) - Date.parse(op.createdAt))}`
    : "";
  parts.push(md`*${stateWords(op.state)}*${isTerminal(op.state) ? took : " (in progress)"}`);
  if (op.permalink) parts.push(link(op.permalink, "thread"));
  return md`• ${join(parts, " · ")}`;
}

/** True when the operation concerns this server, by name or id. */
export function concerns(op: Operation, server: string): boolean {
  const wanted = server.toLowerCase();
  return [op.serverRef, op.serverName, op.serverId].some((s) => s?.toLowerCase() === wanted);
}
