/**
 * The simulator's unkind modes from flags (`npm run simulator -- --no-media`) or the environment
 * (`BM_SIMULATOR_NO_MEDIA=1 npm start`): one table, so both say the same.
 */
import type { Unkindness } from "./model";

interface Mode {
  key: keyof Unkindness;
  flag: string;
  env: string;
  /** What the flag takes: a number (ms, or servers a page), or nothing. */
  takes: "number" | "nothing";
  /** The value `--unkind` (every mode at once) uses. */
  preset: number | true;
  help: string;
}

export const UNKIND_MODES: readonly Mode[] = [
  {
    key: "cappedPageSize",
    flag: "capped-pages",
    env: "BM_SIMULATOR_CAPPED_PAGES",
    takes: "number",
    preset: 2,
    help: "list pages hold at most N servers and have no servers_links",
  },
  {
    key: "noMedia",
    flag: "no-media",
    env: "BM_SIMULATOR_NO_MEDIA",
    takes: "nothing",
    preset: true,
    help: "server objects leave media_attachments out",
  },
  {
    key: "race409Ms",
    flag: "race-409",
    env: "BM_SIMULATOR_RACE_409_MS",
    takes: "number",
    preset: 3000,
    help: "the first action on each server meets a task (REBOOTING, MS long): 409",
  },
  {
    key: "mediaDelayMs",
    flag: "media-delay",
    env: "BM_SIMULATOR_MEDIA_DELAY_MS",
    takes: "number",
    preset: 3000,
    help: "an accepted media change shows only MS after the POST",
  },
  {
    key: "slowActionMs",
    flag: "slow-actions",
    env: "BM_SIMULATOR_SLOW_ACTIONS_MS",
    takes: "number",
    preset: 8000,
    help: "ECL answers actions MS late (it has acted already)",
  },
];

/** The unkind modes the environment asks for (`BM_SIMULATOR_UNKIND=1` for all of them). */
export function unkindnessFromEnv(env: NodeJS.ProcessEnv): Unkindness {
  const all = isOn(env.BM_SIMULATOR_UNKIND);
  const unkind: Record<string, number | true> = {};
  for (const mode of UNKIND_MODES) {
    const raw = env[mode.env]?.trim();
    if (raw && !isOff(raw)) unkind[mode.key] = read(mode, raw, mode.env);
    else if (all) unkind[mode.key] = mode.preset;
  }
  return unkind as Unkindness;
}

/** The unkind modes of command-line flags (`--unkind` for all of them), over `base`. */
export function unkindnessFromFlags(
  values: Record<string, string | boolean | undefined>,
  base: Unkindness = {},
): Unkindness {
  const unkind: Record<string, number | true> = { ...(base as Record<string, number | true>) };
  for (const mode of UNKIND_MODES) {
    const value = values[mode.flag];
    if (value === undefined) {
      if (values.unkind) unkind[mode.key] = mode.preset;
      continue;
    }
    unkind[mode.key] = typeof value === "boolean" ? true : read(mode, value, `--${mode.flag}`);
  }
  return unkind as Unkindness;
}

/** parseArgs options for the flags. */
export function unkindFlagOptions() {
  const options: Record<string, { type: "string" | "boolean" }> = { unkind: { type: "boolean" } };
  for (const mode of UNKIND_MODES)
    options[mode.flag] = { type: mode.takes === "number" ? "string" : "boolean" };
  return options;
}

/** One line per mode that is on, for the start-up banner. */
export function describeUnkindness(unkind: Unkindness): string[] {
  return UNKIND_MODES.filter((m) => unkind[m.key] !== undefined).map(
    (m) => `--${m.flag}${m.takes === "number" ? ` ${unkind[m.key]}` : ""}: ${m.help}`,
  );
}

function read(mode: Mode, raw: string, where: string): number | true {
  if (mode.takes === "nothing") {
    if (isOn(raw)) return true;
    throw new Error(`${where} must be 1 or true, not "${raw.slice(0, 20)}"`);
  }
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`${where} must be a positive whole number, not "${raw.slice(0, 20)}"`);
  return n;
}

function isOff(raw: string): boolean {
  return /^(0|false|no|off)$/i.test(raw);
}

function isOn(raw: string | undefined): boolean {
  return raw !== undefined && /^(1|true|yes|on)$/i.test(raw.trim());
}
