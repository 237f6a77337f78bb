/**
 * The `/bm` command line, parsed: a pure function from the text Slack sends to what was asked.
 */
import { InvalidInputError, parseImageId, parseServerRef } from "../ecl/validate";
import { isOperationId } from "../operations/operation";

export type Command =
  | { kind: "help" }
  | { kind: "detach"; server: string; image: string; reason: string }
  | { kind: "status"; target: string }
  | { kind: "history"; server: string | undefined }
  | { kind: "cancel"; operationId: string }
  | { kind: "invalid"; message: string };

/** Subcommands, for the usage text and the did-you-mean. */
export const SUBCOMMANDS = ["detach", "status", "history", "cancel", "help"] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

/** Each subcommand with an example, for `/bm help` and the usage. */
export const EXAMPLES: Record<Subcommand, string> = {
  detach:
    "`/bm detach <server> <image-id> [reason…]`: detach a virtual media image from a bare-metal server (its name or id). Example: `/bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 INC-1234 reboot loop`",
  status:
    "`/bm status <server|operation-id>`: a server's live state and attached media, and its operations in flight. Example: `/bm status web01`",
  history:
    "`/bm history [server]`: the last 10 operations of this channel's tenant. Example: `/bm history web01`",
  cancel:
    "`/bm cancel <operation-id>`: cancel your own request before it is sent to ECL. Example: `/bm cancel op-7kq2m9x4ab`",
  help: "`/bm help`: what you may do in this channel.",
};

export const USAGE = SUBCOMMANDS.map((s) => EXAMPLES[s].split(" Example:")[0]).join("\n");

/** The longest reason kept: enough for a ticket number and a sentence. */
const MAX_REASON = 500;

/**
 * Parses the text after `/bm`. Never throws: a mistake becomes `invalid` with a message for the
 * user, suggesting the closest subcommand for a typo.
 */
export function parseCommand(text: string): Command {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [sub, ...args] = words;
  if (sub === undefined || sub.toLowerCase() === "help") return { kind: "help" };
  const verb = sub.toLowerCase();
  if (verb === "status") {
    const [target] = args;
    if (target === undefined)
      return {
        kind: "invalid",
        message: "`/bm status` needs a server name or id, or an operation id: `/bm status web01`",
      };
    if (isOperationId(target)) return { kind: "status", target };
    const checked = checkServer(target);
    return typeof checked === "string" ? { kind: "status", target } : checked;
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
        message:
          "`/bm cancel` needs an operation id, such as `op-7kq2m9x4ab`: it is in the message bm posted.",
      };
    }
    return { kind: "cancel", operationId: id };
  }
  if (verb === "detach") {
    const [server, image, ...reason] = args;
    if (server === undefined || image === undefined) {
      return {
        kind: "invalid",
        message:
          "`/bm detach` needs a server and an image id: `/bm detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 [reason]`",
      };
    }
    try {
      parseServerRef(server);
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
        return { kind: "invalid", message: `${capitalize(error.message)}.` };
      throw error;
    }
  }
  const guess = closest(sub.toLowerCase(), SUBCOMMANDS);
  const hint = guess ? ` Did you mean \`/bm ${guess}\`?` : "";
  return { kind: "invalid", message: `\`${sub.slice(0, 30)}\` is not a bm command.${hint}` };
}

/** The server reference, or the user's mistake as an `invalid` command. */
function checkServer(ref: string): string | { kind: "invalid"; message: string } {
  try {
    parseServerRef(ref);
    return ref;
  } catch (error) {
    if (error instanceof InvalidInputError)
      return { kind: "invalid", message: `${capitalize(error.message)}.` };
    throw error;
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The known word within two edits of `word`, if any. */
function closest(word: string, known: readonly string[]): string | undefined {
  let best: { word: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(word, candidate);
    if (distance <= 2 && (!best || distance < best.distance)) best = { word: candidate, distance };
  }
  return best?.word;
}

/** Levenshtein distance, with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...Array(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}
