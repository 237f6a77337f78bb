/**
 * What bm says privately while a detach's server or image is being chosen: the choices, each a
 * button that carries only the choice's id and the option's place, and the answers to a click.
 * Pure builders; every value from ECL or a person goes through {@link md}, escaped once, fitted
 * to Slack's limits after escaping.
 */
import type { KnownBlock } from "@slack/types";
import type { Choice, Option, SeenServer } from "../choices/choice";
import { buttonValue } from "../choices/choice";
import { isIdle } from "../ecl/server";
import { recordedWords } from "../operations/record-request";
import { plural } from "../util/plural";
import { button, context, message, section } from "./blocks";
import type { SlackMessage } from "./chat";
import { code, date, join, listOf, type Mrkdwn, md, TIME } from "./mrkdwn";

/** The action id of every choice button; its value names the choice and the option. */
export const CHOOSE_ACTION = "bm_choose";
/** The most options one message shows: with its first and last block, within Slack's 50. */
export const MAX_SHOWN = 40;
/** How many attached images a server's line names before "… and N more". */
const IMAGES_PER_LINE = 5;

/** `ACTIVE, power ON, task_state None (idle)` */
export function serverState(server: SeenServer): Mrkdwn {
  const idle = isIdle(server.taskState);
  return md`${server.status ?? "status unknown"}, power ${server.powerState ?? "unknown"}, task_state ${server.taskState ?? "None"} (${idle ? "idle" : "busy"})`;
}

/** An image as people know it: its name from the image service, then its id. */
export function imageLabel(id: string, names: Record<string, string> | undefined): Mrkdwn {
  const name = names?.[id.toLowerCase()];
  return name ? md`${code(name)} ${code(id)}` : code(id);
}

/** `attached: …`, `nothing attached`, or that ECL does not list them. */
function mediaLine(server: SeenServer, names: Record<string, string> | undefined): Mrkdwn {
  if (server.media === undefined) return md`media not listed by ECL`;
  if (server.media.length === 0) return md`nothing attached`;
  return md`attached: ${listOf(
    server.media.map((id) => imageLabel(id, names)),
    IMAGES_PER_LINE,
  )}`;
}

/** `web01` (`c880…`) */
export function serverName(server: { name: string; id: string }): Mrkdwn {
  return md`${code(server.name)} (${code(server.id)})`;
}

/** When the choice's buttons stop working, as people read it. */
function until(choice: Choice): Mrkdwn {
  return md`Only you see this. Its buttons work until ${date(choice.expiresAt * 1000, TIME)} (30 minutes, as long as Slack lets bm answer here); nothing is recorded until you click one.`;
}

/** What a click on this option does, said on its line. */
function effect(choice: Choice, option: Option, seen: SeenServer): Mrkdwn {
  const asked = choice.asked.image;
  if (!option.image) {
    // Only a server that lists its media can show the image typed is not there.
    if (!asked || seen.media === undefined) return md``;
    const others = seen.media.length > 0 ? md`; choosing it lists those that are` : "";
    return md`\nImage ${code(asked)} is not attached to it${others}.`;
  }
  if (choice.asked.image) return md`\nChoosing it records the detach of ${code(option.image)}.`;
  return md`\nChoosing it records the detach of ${imageLabel(option.image, choice.imageNames)}, the only image attached.`;
}

/**
 * Whether a click on the option could go on: an image to detach, a server's images to pick from,
 * or the servers a name shares. A server with nothing (known) attached, and no image it would
 * record, has nothing.
 */
function clickable(option: Option): boolean {
  // An image's option carries its image; a name several servers share, no `seen`.
  const seen = option.seen;
  if (!seen) return true;
  return option.image !== undefined || (seen.media?.length ?? 0) > 0;
}

/** One option's line and button; no button when there is nothing a click could go on with. */
function row(choice: Choice, option: Option, index: number): KnownBlock {
  const value = buttonValue(choice.id, index);
  const id = `bm_choose_${index}`;
  // `spoken`: what a screen reader says of the button, instead of its text alone.
  const withButton = (text: Mrkdwn, label: string, spoken: string): KnownBlock => ({
    ...section(text),
    block_id: id,
    accessory: button(label, CHOOSE_ACTION, value, { label: spoken }),
  });
  if (choice.offer === "images") {
    const image = option.image as string;
    const name = choice.imageNames?.[image.toLowerCase()] ?? image;
    const server = option.seen?.name ?? choice.asked.server;
    return withButton(
      md`${imageLabel(image, choice.imageNames)}`,
      "Detach this image",
      `Detach image ${name} from ${server}`,
    );
  }
  const seen = option.seen;
  if (!seen) {
    // A close name that several servers share: a click asks which of them.
    return withButton(
      md`${code(option.name)}: ${option.servers ?? 0} servers have this name; choosing it lists them.`,
      option.name,
      `List the ${option.servers ?? 0} servers named ${option.name}`,
    );
  }
  const head =
    choice.offer === "names" ? md`*${code(seen.name)}* ${code(seen.id)}` : md`${code(seen.id)}`;
  const text = md`${head}\n${serverState(seen)} · ${mediaLine(seen, choice.imageNames)}${effect(choice, option, seen)}`;
  if (!clickable(option)) return { ...section(text), block_id: id };
  return withButton(
    text,
    choice.offer === "names" ? seen.name : "Choose",
    `Choose server ${seen.name} (${seen.id})`,
  );
}

/**
 * The first words of a choice: what was asked, and what the buttons do; with no button to click
 * (`clickable` false for every option shown), that there is nothing to pick.
 */
function intro(choice: Choice, options: Option[], anyButton: boolean): Mrkdwn {
  const asked = code(choice.asked.server);
  const tenant = code(choice.tenant);
  if (choice.offer === "images") {
    const server = options[0]?.seen;
    const busy =
      server && !isIdle(server.taskState)
        ? md` It is busy now: bm waits for it to be idle before sending the detach.`
        : "";
    const missing = choice.asked.image
      ? md`Image ${code(choice.asked.image)} is not attached to it. `
      : "";
    return md`*${server ? serverName(server) : asked}* · ${server ? serverState(server) : ""}\n${missing}${plural(options.length, "image")} attached: pick the one to detach. The request then goes on as if you had typed it, approvals and all.${busy}`;
  }
  const nothing = md`none of them has an image attached that bm could detach, so there is nothing to pick`;
  if (choice.offer === "servers") {
    const head = md`${options.length} servers in tenant ${tenant} are named ${asked}`;
    if (!anyButton) return md`${head}, and ${nothing}. Nothing was posted in the channel.`;
    const image = choice.asked.image
      ? md` bm then records the detach of image ${code(choice.asked.image)} from it.`
      : "";
    return md`${head}: choose the one you mean. Nothing was posted in the channel.${image}`;
  }
  const head = md`No server in tenant ${tenant} is named ${asked}.`;
  if (!anyButton) return md`${head} These names are close to it, but ${nothing}.`;
  const image = choice.asked.image
    ? md` bm then records the detach of image ${code(choice.asked.image)} from it.`
    : "";
  return md`${head} Did you mean one of these?${image}`;
}

/** The private message offering a choice among its options. */
function choiceMessage(choice: Choice, options: Option[]): SlackMessage {
  const shown = options.slice(0, MAX_SHOWN);
  const rest = options.length - shown.length;
  const more = rest > 0 ? md` ${rest} more are not shown: name the server by its id.` : "";
  const anyButton = shown.some((option) => clickable(option));
  const first = intro(choice, options, anyButton);
  const foot = anyButton ? until(choice) : md`Only you see this. Nothing was recorded.`;
  const blocks: KnownBlock[] = [
    section(first),
    ...shown.map((option, i) => row(choice, option, i)),
    context([md`${foot}${more}`]),
  ];
  return message(first, blocks);
}

/** The private answer of a lookup that offers nothing, or that recorded the request. */
export function endedText(choice: Choice): Mrkdwn {
  const ended = choice.ended;
  const asked = code(choice.asked.server);
  const tenant = code(choice.tenant);
  switch (ended?.kind) {
    case "recorded":
      return recordedWords(ended.result, serverName(ended.server));
    case "no_server":
      return md`No server in tenant ${tenant} is named ${asked}, and no name is close to it. ${code("/bm status NAME")} shows a server by its name or id; the ECL console lists them all.`;
    case "no_id":
      return md`No server in tenant ${tenant} has the id ${asked}.`;
    case "nothing_attached": {
      const image = choice.asked.image;
      const state = md`${serverName(ended.server)} has no image attached (${serverState(ended.server)})`;
      return image
        ? md`Image ${code(image)} is not attached: ${state}. There is nothing to detach, and nothing was recorded.`
        : md`${state}: there is nothing to detach.`;
    }
    case "media_unknown":
      return md`ECL did not list the media of ${serverName(ended.server)}, so bm cannot offer its images. If you know the image id: ${code(`/bm detach ${ended.server.id} IMAGE-ID`)}.`;
    case "failed":
      return md`bm could not look up ${asked} in tenant ${tenant}: ${ended.reason}`;
    default:
      return md`bm is still looking up ${asked}.`;
  }
}

/**
 * The message a lookup answers with: a choice, or the words of how it ended (or that it has not
 * yet). A lookup that ends offers nothing: only an offer has options.
 */
export function lookupMessage(choice: Choice): SlackMessage {
  if (!choice.options) return message(endedText(choice));
  return choiceMessage(choice, choice.options);
}

/** What a pick was, in the words of the message it replaces. */
export function pickedWords(choice: Choice, option: Option): Mrkdwn {
  if (choice.offer === "images")
    return md`You picked image ${imageLabel(option.image as string, choice.imageNames)} of ${option.seen ? serverName(option.seen) : code(choice.asked.server)}.`;
  if (option.seen) return md`You picked ${serverName(option.seen)}.`;
  return md`You picked the name ${code(option.name)}.`;
}

/** Words joined into one answer. */
export function sentences(...parts: Mrkdwn[]): Mrkdwn {
  return join(parts, " ");
}
