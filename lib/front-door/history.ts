/**
 * `/bm history [server]`: the last operations of the channel's tenant that the asker may see,
 * from the table alone.
 */
import { isTerminal, type Operation, stateWords } from "../operations/operation";
import type { OperationStore } from "../operations/ports";
import { type Sight, type Unseen, unseenOf, unseenWords } from "../policy/permissions";
import { fleetCountsWords, whatOf } from "../slack/fleet-words";
import { code, date, join, link, listOf, type Mrkdwn, md, user } from "../slack/mrkdwn";
import { formatElapsed } from "../util/elapsed";
import { plural } from "../util/plural";

/** How much of a rejection reason a history line shows. */
const REASON_SHOWN = 80;

/** One line an operation: who asked, who decided, how it ended, how long it took, the thread. */
export function historyLine(op: Operation): Mrkdwn {
  const parts = [md`${code(op.id)} ${date(op.createdAt)} ${whatOf(op)}`];
  if (op.parentId) parts.push(md`of fleet ${code(op.parentId)}`);
  parts.push(md`requested by ${user(op.requester)}`);
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
  if (op.fleet?.cancelRest) parts.push(md`rest cancelled by ${user(op.fleet.cancelRest.by)}`);
  const took = op.finishedAt
    ? ` in ${formatElapsed(Date.parse(op.finishedAt) - Date.parse(op.createdAt))}`
    : "";
  parts.push(md`*${stateWords(op.state)}*${isTerminal(op.state) ? took : " (in progress)"}`);
  const counted = fleetCountsWords(op);
  if (counted) parts.push(md`${counted}`);
  if (op.permalink) parts.push(link(op.permalink, "thread"));
  return md`• ${join(parts, " · ")}`;
}

/**
 * True when the operation concerns this server, by name or id. A fleet request concerns none by
 * itself: each of its targets is an operation of its own, which does.
 */
export function concerns(op: Operation, server: string): boolean {
  if (op.fleet) return false;
  const wanted = server.toLowerCase();
  return [op.serverRef, op.serverName, op.serverId].some((s) => s?.toLowerCase() === wanted);
}

/** How many operations a history shows. */
export const HISTORY_SHOWN = 10;

/** A history as answered: its words, how many operations it showed, and how many it left out. */
export interface HistoryShown {
  answer: Mrkdwn;
  shown: number;
  unseen: Unseen;
}

/**
 * The tenant's last operations (of `server`, when given) that the asker may see, newest first,
 * and how many others of the same span are in channels they may not see: those newer than the
 * oldest shown, or all those read when fewer than {@link HISTORY_SHOWN} were found.
 */
export async function history(
  store: Pick<OperationStore, "recentForTenant">,
  sight: Sight,
  tenant: string,
  server: string | undefined,
): Promise<HistoryShown> {
  const unseen: Operation[] = [];
  const ops = await store.recentForTenant(tenant, HISTORY_SHOWN, (op) => {
    if (server !== undefined && !concerns(op, server)) return false;
    // Without a server, a fleet request is one line with its counts, not a line per target.
    if (server === undefined && op.parentId) return false;
    if (sight(op) === "shown") return true;
    unseen.push(op);
    return false;
  });
  // With a full page shown, the others older than all of it are not of its span.
  const span =
    ops.length < HISTORY_SHOWN
      ? unseen
      : unseen.filter((op) => op.createdAt >= (ops.at(-1) as Operation).createdAt);
  const left = unseenOf(sight, span);
  const others = unseenWords(left);
  const about = server ? md` for ${code(server)}` : "";
  const shown = (answer: Mrkdwn) => ({ answer, shown: ops.length, unseen: left });
  if (ops.length === 0)
    return shown(
      others.text
        ? md`No operations you may see${about} in tenant ${code(tenant)}: ${others}.`
        : md`No operations${about} in tenant ${code(tenant)} yet.`,
    );
  const lines = [
    md`The last ${plural(ops.length, "operation")}${about} in tenant ${code(tenant)}:`,
    ...ops.map(historyLine),
  ];
  if (others.text) lines.push(md`${others}.`);
  return shown(join(lines, "\n"));
}
