/**
 * A command line read by node's `parseArgs`, with a mistake in it turned into one line for a
 * person: what `bm` and every `npm run` helper print before their usage, instead of a stack.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { closeNames } from "../choices/choice";

/** The command line as parseArgs reads it, or the mistake in it, in one line. */
export type ReadArgs<T extends ParseArgsConfig> =
  | { ok: true; parsed: ReturnType<typeof parseArgs<T>> }
  | { ok: false; mistake: string };

/**
 * Reads `config.args` (the process's own arguments by default) as parseArgs does.
 * @throws what parseArgs throws other than a mistake in the command line (a config of the wrong
 * shape is the programmer's, and keeps its stack).
 */
export function readArgs<const T extends ParseArgsConfig>(config: T): ReadArgs<T> {
  try {
    return { ok: true, parsed: parseArgs(config) };
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS_")) throw error;
    return { ok: false, mistake: mistakeLine((error as Error).message, config.options ?? {}) };
  }
}

/**
 * parseArgs's first sentence ("Unknown option '--chanel'"; the rest explains `--`, which the
 * mistake is rarely about), and for an unknown long option the closest one the command has.
 */
export function mistakeLine(message: string, options: Record<string, unknown>): string {
  const [first] = message.split(". ") as [string];
  const unknown = /^Unknown option '--([^']+)'$/.exec(first)?.[1];
  if (unknown === undefined) return first;
  const [close] = closeNames(unknown, Object.keys(options));
  return close === undefined ? first : `${first} (did you mean --${close}?)`;
}
