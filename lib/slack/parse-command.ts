/**
 * The `/bm` command line, parsed: a pure function from the text Slack sends to what was asked.
 */
import { InvalidInputError, parseImageId, parseServerRef } from "../ecl/validate";
import { isOperationId } from "../operations/operation";
import { editDistance } from "../util/edit-distance";
import { code, join, type Mrkdwn, md } from "./mrkdwn";

export type Command =
  | { kind: "help" }
  /** Without an image, the requester picks one of those attached. */
  | { kind: "detach"; server: string; image?: string; reason: string }
  /** `/bm detach --all IMAGE-ID [--match PREFIX] [REASON…]`: every server that has the image. */
  | { kind: "fleet"; image: string; match?: string; reason: string }
  | { kind: "status"; target: string }
  /** Without a target, every server of the tenant with media attached. */
  | { kind: "media"; target: string | undefined }
  | { kind: "history"; server: string | undefined }
  | { kind: "cancel"; operationId: string }
  | { kind: "invalid"; message: Mrkdwn };

/** Subcommands, for the usage text and the did-you-mean. */
export const SUBCOMMANDS = ["detach", "status", "media", "history", "cancel", "help"] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

/**
 * Each subcommand: its form and an example, for `/bm help` and the usage. Placeholders are in
 * capitals, not `<…>`, which Slack would read as a link or a mention even inside code.
 */
const FORMS: Record<Subcommand, { form: string; what: string; example?: string }> = {
  detach: {
    form: "/bm detach SERVER [IMAGE-ID [REASON…]]",
    what: "detach a virtual media image from a bare-metal server (its name or id); without the image, pick one of those attached; `/bm detach --all IMAGE-ID [--match PREFIX] [REASON…]` detaches it from every server of the tenant that has it, under one approval",
    example: "/bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 INC-1234 reboot loop",
  },
  status: {
    form: "/bm status SERVER|OPERATION-ID",
    what: "a server's live state and attached media, and its operations in flight",
    example: "/bm status web01",
  },
  media: {
    form: "/bm media [IMAGE-ID|SERVER]",
    what: "the servers with virtual media attached, grouped by image, and how long bm has seen each mounted",
    example: "/bm media 3339fd5f-ec06-4ef8-9337-c1c70218a748",
  },
  history: {
    form: "/bm history [SERVER]",
    what: "the last 10 operations of this channel's tenant",
    example: "/bm history web01",
  },
  cancel: {
    form: "/bm cancel OPERATION-ID",
    what: "cancel your own request before it is sent to ECL",
    example: "/bm cancel op-7kq2m9x4ab",
  },
  help: { form: "/bm help", what: "what you may do in this channel" },
};

/** A subcommand's line of `/bm help`: its form, what it does, and an example. */
export function example(sub: Subcommand): Mrkdwn {
  const { form, what, example } = FORMS[sub];
  return example
    ? md`${code(form)}: ${what}. Example: ${code(example)}`
    : md`${code(form)}: ${what}.`;
}

/** Every subcommand's form, as plain text (the playground's composer hints with them). */
export const FORMS_TEXT: readonly string[] = SUBCOMMANDS.map((s) => FORMS[s].form);

/** Every subcommand's form, one a line. */
export const USAGE: Mrkdwn = join(
  SUBCOMMANDS.map((s) => md`${code(FORMS[s].form)}: ${FORMS[s].what}`),
  "\n",
);

/** The longest reason kept: enough for a ticket number and a sentence. */
const MAX_REASON = 500;

/**
 * Parses the text after `/bm`. Never throws: a mistake becomes `invalid` with a message for the
 * user, suggesting the closest subcommand for a typo.
 */
export function parseCommand(text: string): Command {
  const words = text.match(/\S+/g) ?? [];
  const [sub, ...args] = words;
  if (sub === undefined || sub.toLowerCase() === "help") return { kind: "help" };
  const verb = sub.toLowerCase();
  if (verb === "status") {
    const [target] = args;
    if (target === undefined)
      return {
        kind: "invalid",
        message: md`${code("/bm status")} needs a server name or id, or an operation id: ${code("/bm status web01")}`,
      };
    // An operation id is a server name too, as far as its shape goes: the worker tells them apart.
    const checked = checkServer(target);
    return typeof checked === "string" ? { kind: "status", target } : checked;
  }
  if (verb === "media") {
    const [target] = args;
    if (target === undefined) return { kind: "media", target: undefined };
    // An image id and a server id have one shape: the worker tells them apart by the list.
    const checked = checkServer(target);
    return typeof checked === "string" ? { kind: "media", target } : checked;
  }
  if (verb === "history") {
    const [server] = args;
    if (server === undefined) return { kind: "history", server: undefined };
    const checked = checkServer(server);
    return typeof checked === "string" ? { kind: "history", server } : checked;
  }
  if (verb === "cancel") {
    const [id] = args;
    if (id === undefined || !isOperationId(id)) {
      return {
        kind: "invalid",
        message: md`${code("/bm cancel")} needs an operation id, such as ${code("op-7kq2m9x4ab")}: it is in the message bm posted.`,
      };
    }
    return { kind: "cancel", operationId: id };
  }
  if (verb === "detach") {
    const [server, image, ...reason] = args;
    if (server === "--all") return parseFleet(args.slice(1));
    if (server === undefined) {
      return {
        kind: "invalid",
        message: md`${code("/bm detach")} needs a server, and the image id if you know it: ${code("/bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 [reason]")}, or ${code("/bm detach web01")} to pick from the images attached.`,
      };
    }
    try {
      parseServerRef(server);
      if (image === undefined) return { kind: "detach", server, reason: "" };
      const imageId = parseImageId(image);
      const said = reason.join(" ");
      return {
        kind: "detach",
        server,
        image: imageId,
        reason: said.length > MAX_REASON ? `${said.slice(0, MAX_REASON)}…` : said,
      };
    } catch (error) {
      if (error instanceof InvalidInputError)
        return { kind: "invalid", message: md`${capitalize(error.message)}.` };
      throw error;
    }
  }
  const guess = closest(sub.toLowerCase(), SUBCOMMANDS);
  const hint = guess ? md` Did you mean ${code(`/bm ${guess}`)}?` : "";
  return { kind: "invalid", message: md`${code(sub.slice(0, 30))} is not a bm command.${hint}` };
}

/** The words of `/bm detach --all` after `--all`: the image, `--match PREFIX` if any, the reason. */
function parseFleet(args: string[]): Command {
  const [image, ...rest] = args;
  if (image === undefined)
    return {
      kind: "invalid",
      message: md`${code("/bm detach --all")} needs the image id: ${code("/bm detach --all 3339fd5f-ec06-4ef8-9337-c1c70218a748 [--match PREFIX] [reason]")}.`,
    };
  let imageId: string;
  try {
    imageId = parseImageId(image);
  } catch (error) {
    if (error instanceof InvalidInputError)
      return { kind: "invalid", message: md`${capitalize(error.message)}.` };
    throw error;
  }
  let match: string | undefined;
  let words = rest;
  if (rest[0] === "--match") {
    match = rest[1];
    if (match === undefined || match.startsWith("--"))
      return {
        kind: "invalid",
        message: md`${code("--match")} needs the start of the servers' names: ${code("--match web-")}.`,
      };
    const checked = checkServer(match);
    if (typeof checked !== "string") return checked;
    words = rest.slice(2);
  }
  const said = words.join(" ");
  return {
    kind: "fleet",
    image: imageId,
    ...(match !== undefined ? { match } : {}),
    reason: said.length > MAX_REASON ? `${said.slice(0, MAX_REASON)}…` : said,
  };
}

/** The server reference, or the user's mistake as an `invalid` command. */
function checkServer(ref: string): string | { kind: "invalid"; message: Mrkdwn } {
  try {
    parseServerRef(ref);
    return ref;
  } catch (error) {
    if (error instanceof InvalidInputError)
      return { kind: "invalid", message: md`${capitalize(error.message)}.` };
    throw error;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The known word nearest `word` within two edits, if any; of two as near, the first. No two
 * subcommands are within three edits of each other (a unit test keeps it so), so a tie is rare.
 */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let nearest = 3;
  for (const candidate of known) {
    const distance = editDistance(word, candidate);
    if (distance < nearest) {
      best = candidate;
      nearest = distance;
    }
  }
  return best;
}
