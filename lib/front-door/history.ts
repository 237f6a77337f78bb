/**
 * `/bm history [server]`: the last operations of the channel's tenant, from the table alone.
 */
import { isTerminal, type Operation } from "../operations/operation";
import { formatElapsed } from "../util/elapsed";

/** One line an operation: who asked, who decided, how it ended, how long it took, the thread. */
export function historyLine(op: Operation): string {
  const server = op.serverName || op.serverRef;
  const parts = [
    `\`${op.id}\` ${op.createdAt.slice(0, 16).replace("T", " ")}Z \`${server}\``,
    `requested by <@${op.requester}>`,
  ];
  if (op.approvals?.length)
    parts.push(`approved by ${op.approvals.map((a) => `<@${a.userId}>`).join(", ")}`);
  if (op.rejectedBy)
    parts.push(`rejected by <@${op.rejectedBy}> ("${(op.rejectReason ?? "").slice(0, 80)}")`);
  if (op.cancelledBy) parts.push(`cancelled by <@${op.cancelledBy}>`);
  const took = op.finishedAt
    ? ` in ${formatElapsed(Date.parse(op.finishedAt) - Date.parse(op.createdAt))}`
    : "";
  parts.push(`*${op.state.replace(/_/g, " ")}*${isTerminal(op.state) ? took : " (in progress)"}`);
  if (op.permalink) parts.push(`<${op.permalink}|thread>`);
  return `• ${parts.join(" · ")}`;
}

/** True when the operation concerns this server, by name or id. */
export function concerns(op: Operation, server: string): boolean {
  const wanted = server.toLowerCase();
  return [op.serverRef, op.serverName, op.serverId].some((s) => s?.toLowerCase() === wanted);
}
