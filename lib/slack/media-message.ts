/**
 * `/bm media`'s answer: a summary, then the servers grouped by image, each with how long bm has
 * seen the image mounted and a Detach button, fitted to Slack's 50 blocks whatever the fleet:
 * past what fits, "and N more", with how to narrow the question.
 */
import type { KnownBlock } from "@slack/types";
import { isIdle, type Server } from "../ecl/server";
import { plural } from "../util/plural";
import { LIMITS } from "./block-kit-limits";
import { button, context, message, section } from "./blocks";
import type { SlackMessage } from "./chat";
import { code, date, type Mrkdwn, md } from "./mrkdwn";

/** The action id of a server's Detach button; its value is `SERVER-ID IMAGE-ID`. */
export const MEDIA_DETACH_ACTION = "media_detach";
/** The "Detach from all N" button of one image: a fleet request, as `/bm detach --all IMAGE-ID`. */
export const MEDIA_DETACH_ALL_ACTION = "media_detach_all";

/** One server under one image, and when bm first saw the image on it (absent: unknown). */
export interface MountedOn {
  server: Server;
  firstSeen?: string;
}

/** One image and the servers it is mounted on. */
export interface ImageGroup {
  imageId: string;
  /** The image service's name for it; absent when it could not say. */
  name?: string;
  servers: MountedOn[];
}

/** What was asked: every server, one image, or one server. */
export type MediaScope =
  | { kind: "all" }
  | { kind: "image"; imageId: string }
  | { kind: "server"; server: Server };

export interface MediaShown {
  scope: MediaScope;
  groups: ImageGroup[];
  /** Servers whose media ECL did not list: left out, and said so. */
  unlisted: number;
  /** False when bm could not read its sightings: no duration is shown. */
  sightings: boolean;
  now: Date;
}

/** The answer as one message, at most 50 blocks. */
export function mediaMessage(shown: MediaShown): SlackMessage {
  const servers = new Set(shown.groups.flatMap((g) => g.servers.map((m) => m.server.id))).size;
  return groupsMessage(
    summary(shown, servers),
    shown.groups.length > 0
      ? shown.sightings
        ? SINCE_FIRST_SEEN
        : md`How long each has been mounted is unknown: bm could not read its sightings just now.`
      : undefined,
    shown.groups,
    shown.now,
    // Of one server's answer, no "from all": its count would be that server's alone.
    shown.scope.kind === "server" ? () => [] : imageActions,
  );
}

/** What "how long" means, under a list that shows it. */
export const SINCE_FIRST_SEEN = md`How long: since bm first saw each image on each server; ECL does not say when media was attached.`;

/**
 * `head`, then `note` (a context line), then `groups`: each image's line and its buttons
 * (`actionsOf`: {@link imageActions} unless told), its servers with a Detach button each, fitted to Slack's 50 blocks: past
 * what fits, "and N more", with how to narrow the question. /bm media and the digest say so.
 */
export function groupsMessage(
  head: Mrkdwn,
  note: Mrkdwn | undefined,
  groups: readonly ImageGroup[],
  now: Date,
  actionsOf: (group: ImageGroup) => KnownBlock[] = imageActions,
): SlackMessage {
  const blocks: KnownBlock[] = [section(head)];
  if (note) blocks.push(context([note]));
  // One block is kept for "and N more".
  const room = LIMITS.messageBlocks - blocks.length - 1;
  const body: KnownBlock[] = [];
  let shownGroups = 0;
  let left = 0;
  for (const group of groups) {
    const top = [section(imageLine(group)), ...actionsOf(group)];
    if (body.length + top.length + 1 > room) {
      left += group.servers.length;
      continue;
    }
    body.push(...top);
    shownGroups++;
    for (const mounted of group.servers) {
      if (body.length + 1 > room) {
        left++;
        continue;
      }
      body.push(serverBlock(group, mounted, now));
    }
  }
  blocks.push(...body);
  if (left > 0) {
    const images = groups.length - shownGroups;
    const more = images > 0 ? md` (${plural(images, "more image", "more images")})` : md``;
    blocks.push(
      context([
        md`… and ${left} more not shown here${more}: narrow with ${code("/bm media IMAGE-ID")} or ${code("/bm media SERVER")}.`,
      ]),
    );
  }
  return message(head, blocks);
}

/**
 * The buttons of one image, under its line: "Detach from all N", a fleet request of the image
 * (`/bm detach --all IMAGE-ID`: the worker lists the tenant's servers again when it is recorded,
 * so it names those that have the image then, which may be more or fewer than the N shown).
 */
export function imageActions(group: ImageGroup): KnownBlock[] {
  const image = group.name ?? group.imageId;
  const n = group.servers.length;
  return [
    {
      type: "actions",
      block_id: `bm_media_all_${group.imageId.toLowerCase()}`,
      elements: [
        button(`Detach from all ${n}`, MEDIA_DETACH_ALL_ACTION, group.imageId, {
          label: `Detach ${image} from every server that has it`,
          style: "danger",
          confirm: {
            title: "Detach from every server?",
            text: `Detach ${image} from every server of this tenant that has it (${plural(n, "server")} here now): bm lists them again, then records one request for all of them under this channel's rules, as /bm detach --all does.`,
            confirm: "Request detach",
            deny: "Cancel",
          },
        }),
      ],
    },
  ];
}

function summary(shown: MediaShown, servers: number): Mrkdwn {
  const unlisted =
    shown.unlisted > 0
      ? md` ECL did not list the media of ${plural(shown.unlisted, "server")}: left out.`
      : md``;
  const scope = shown.scope;
  if (scope.kind === "server") {
    const who = md`*${scope.server.name}* ${code(scope.server.id)}`;
    if (scope.server.mediaIds === undefined)
      return md`ECL did not list the media of ${who}: bm cannot tell what is attached.`;
    return shown.groups.length === 0
      ? md`${who} has no virtual media attached.`
      : md`${who} has ${plural(shown.groups.length, "image")} attached.`;
  }
  if (scope.kind === "image")
    return servers === 0
      ? md`No server of this tenant has image ${code(scope.imageId)} attached.${unlisted}`
      : md`${plural(servers, "server")} of this tenant ${servers === 1 ? "has" : "have"} image ${code(scope.imageId)} attached.${unlisted}`;
  return servers === 0
    ? md`No server of this tenant has virtual media attached.${unlisted}`
    : md`${plural(servers, "server")} of this tenant ${servers === 1 ? "has" : "have"} virtual media attached: ${plural(shown.groups.length, "image")}.${unlisted}`;
}

function imageLine(group: ImageGroup): Mrkdwn {
  const on = md`on ${plural(group.servers.length, "server")}`;
  return group.name === undefined
    ? md`Image ${code(group.imageId)} ${on}`
    : md`Image *${group.name}* ${code(group.imageId)} ${on}`;
}

function serverBlock(group: ImageGroup, mounted: MountedOn, now: Date): KnownBlock {
  const s = mounted.server;
  const state = md`${s.status ?? "?"}, power ${s.powerState ?? "?"}, ${isIdle(s.taskState) ? "idle" : `busy (${s.taskState})`}`;
  const block = section(md`*${s.name}* ${code(s.id)}: ${state}${mountedFor(mounted, now)}`);
  const image = group.name ?? group.imageId;
  block.accessory = button("Detach", MEDIA_DETACH_ACTION, `${s.id} ${group.imageId}`, {
    label: `Detach ${image} from ${s.name}`,
    confirm: {
      title: "Detach this image?",
      text: `Detach ${image} from ${s.name}: bm records the request under this channel's rules, as /bm detach does.`,
      confirm: "Request detach",
      deny: "Cancel",
    },
  });
  return block;
}

/** "mounted at least 3 h (bm first saw it …)", "first seen now", or nothing when unknown. */
export function mountedFor(mounted: MountedOn, now: Date): Mrkdwn {
  if (mounted.firstSeen === undefined) return md``;
  const ms = now.getTime() - Date.parse(mounted.firstSeen);
  if (!(ms > 0)) return md` · first seen now`;
  return md` · mounted at least ${roughly(ms)} (bm first saw it ${date(mounted.firstSeen)})`;
}

/** A duration rounded down: minutes under an hour, hours under two days, then days. */
export function roughly(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}
