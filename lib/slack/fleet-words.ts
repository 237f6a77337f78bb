/**
 * A fleet request in a line's words, for the lines that list operations (`/bm history`,
 * `/bm status`, the Home tab): what it detaches from, and where its targets stand.
 */
import { countsOf, countsWords } from "../operations/fleet";
import type { Operation } from "../operations/operation";
import { plural } from "../util/plural";
import { code, type Mrkdwn, md } from "./mrkdwn";

/**
 * What an operation detaches from: its server, or for a fleet request the servers it names
 * ("30 servers", "12 servers named `web-`…"; none named, as before they are listed, "every
 * server").
 */
export function whatOf(op: Operation): Mrkdwn {
  if (!op.fleet) return md`${code(op.serverName || op.serverRef)}`;
  const named = op.fleet.targets.length;
  const match = op.fleet.match;
  const servers = named > 0 ? plural(named, "server") : "every server";
  return match === undefined ? md`${servers}` : md`${servers} named ${code(match)}…`;
}

/** A fleet request's targets counted in words, "12 of 30 done, 10 in flight"; none named yet, nothing. */
export function fleetCountsWords(op: Operation): string {
  const total = op.fleet?.targets.length ?? 0;
  return total === 0 ? "" : countsWords(countsOf(op), total);
}
