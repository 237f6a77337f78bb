/**
 * The command line of an `npm run` helper, read as `bm` reads its own: `--help` (or `-h`) prints
 * the usage and exits 0; a mistake prints one line naming it, then the usage, and exits 2, with
 * no stack trace and before anything starts.
 */
import type { ParseArgsConfig } from "node:util";
import { readArgs } from "../lib/cli/args";

const HELP = { help: { type: "boolean", short: "h" } } as const;

/**
 * `config` read from the process's arguments, `--help` added to its options.
 * @param name the helper's name, first on the line of a mistake (`slash: Unknown option …`).
 * @param usage what `--help` prints, and a mistake after its line.
 */
export function commandLine<const T extends ParseArgsConfig>(
  name: string,
  usage: string,
  config: T,
) {
  const read = readArgs({ ...config, options: { ...config.options, ...HELP } });
  if (!read.ok) usageMistake(name, read.mistake, usage);
  if ((read.parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage.trimEnd()}\n`);
    process.exit(0);
  }
  return read.parsed;
}

/** One line naming a mistake in the command, then the usage; exit 2. */
export function usageMistake(name: string, mistake: string, usage: string): never {
  process.stderr.write(`${name}: ${mistake}\n${usage.trimEnd()}\n`);
  process.exit(2);
}
