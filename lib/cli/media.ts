/**
 * `bm media [IMAGE|SERVER]`: what `/bm media` shows, as text, with the same reads. No durations:
 * bm's first sightings are kept in its table, which the terminal command does not read.
 */
import type { EclApi, FleetReads } from "../ecl/client";
import { plural } from "../util/plural";
import { namedGroups, readMedia } from "../worker/answer-media";
import { formatTaskState } from "./format";

/** Prints the servers of `target` with media, grouped by image. Exit code 0. */
export async function printMedia(
  ecl: Pick<EclApi, "resolveServer" | "imageName"> & FleetReads,
  target: string | undefined,
  out: (line: string) => void,
): Promise<number> {
  const { listed, scope } = await readMedia(ecl, target);
  const { groups, unlisted } = await namedGroups(ecl, listed, scope);
  const servers = new Set(groups.flatMap((g) => g.servers.map((m) => m.server.id))).size;
  if (scope.kind === "server" && scope.server.mediaIds === undefined)
    out(
      `${scope.server.name} (${scope.server.id}): media not listed by ECL; bm cannot tell what is attached`,
    );
  else
    out(
      `${plural(servers, "server")} with virtual media attached, ${plural(groups.length, "image")}${
        scope.kind === "image" ? ` (image ${scope.imageId})` : ""
      }`,
    );
  if (unlisted > 0) out(`(ECL did not list the media of ${plural(unlisted, "server")}: left out)`);
  for (const group of groups) {
    out(
      `${group.imageId}${group.name ? `  ${group.name}` : ""}: ${plural(group.servers.length, "server")}`,
    );
    for (const { server } of group.servers)
      out(
        `  ${server.name}  ${server.id}  ${server.status ?? "?"}, power ${server.powerState ?? "?"}, task_state ${formatTaskState(server.taskState)}`,
      );
  }
  if (groups.length > 0)
    out("How long each has been mounted: /bm media in Slack shows bm's first sightings.");
  return 0;
}
