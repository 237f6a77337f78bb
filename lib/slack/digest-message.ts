/**
 * The daily media digest (lib/followup/digest.ts): the servers whose media bm has seen mounted
 * longer than the channel's `stale_after_hours`, grouped by image, as /bm media shows them.
 */

import { plural } from "../util/plural";
import type { SlackMessage } from "./chat";
import { groupsMessage, type ImageGroup, imageActions, SINCE_FIRST_SEEN } from "./media-message";
import { md } from "./mrkdwn";

/**
 * Only what is stale: at least one group, each with its stale servers only. Each image's
 * "Detach from all N" ({@link imageActions}) is of `all` its servers (the groups before
 * {@link staleGroups}): the fleet request detaches it from every server that has it, fresh too,
 * and its count says so.
 */
export function digestMessage(
  groups: readonly ImageGroup[],
  staleAfterHours: number,
  now: Date,
  all: readonly ImageGroup[] = groups,
): SlackMessage {
  const servers = new Set(groups.flatMap((g) => g.servers.map((m) => m.server.id))).size;
  const head = md`Media mounted for more than ${plural(staleAfterHours, "hour")}: ${plural(servers, "server")} of this channel's tenant, ${plural(groups.length, "image")}. Left mounted, it may boot again at the next reboot.`;
  return groupsMessage(head, SINCE_FIRST_SEEN, groups, now, (group) =>
    imageActions(all.find((g) => g.imageId === group.imageId) ?? group),
  );
}

/**
 * The servers of `groups` whose media bm first saw at least `staleAfterHours` before `now`; a
 * server with no sighting (bm could not say) is not stale. Groups left with none are dropped.
 */
export function staleGroups(
  groups: readonly ImageGroup[],
  staleAfterHours: number,
  now: Date,
): ImageGroup[] {
  const before = now.getTime() - staleAfterHours * 3_600_000;
  return groups
    .map((group) => ({
      ...group,
      // No sighting parses as NaN, which is never at or before anything: not stale.
      servers: group.servers.filter((m) => Date.parse(m.firstSeen as string) <= before),
    }))
    .filter((group) => group.servers.length > 0);
}
