/**
 * The `/bm` command line, parsed: a pure function from the text Slack sends to what was asked.
 */
import { InvalidInputError, parseImageId, parseServerRef } from "../ecl/validate";

export type Command =
  | { kind: "help" }
  | { kind: "detach"; server: string; image: string; reason: string }
  | { kind: "invalid"; message: string };

/** Subcommands this version knows, for the usage text and the did-you-mean. */
export const SUBCOMMANDS = ["detach", "help"] as const;

export const USAGE = [
  "`/bm detach <server> <image-id> [reason…]`: detach a virtual media image from a bare-metal server. `<server>` is its name or id.",
  "`/bm help`: this help.",
].join("\n");

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
  if (sub.toLowerCase() === "detach") {
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
