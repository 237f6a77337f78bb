import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * Every `npm run` helper reads its command line as `bm` does: `--help` prints the usage and exits
 * 0; a mistake prints one line naming it, then that same usage, and exits 2, with no stack trace,
 * before anything starts (nothing listens on the port they are given, and the simulator would
 * stay running: a helper that went on would fail or time out, not pass).
 */
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const run = (script: string, ...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", `scripts/${script}.ts`, ...args],
      {
        env: {
          PATH: process.env.PATH,
          BM_PORT: "9",
          BM_SIMULATOR_PORT: "0",
          AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:9",
        },
        timeout: 20_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 124) : 0, stdout, stderr }),
    );
  });

/** Each helper's `--help`, run once. */
const helps = new Map<string, Promise<Run>>();
const help = (script: string): Promise<Run> => {
  const known = helps.get(script) ?? run(script, "--help");
  helps.set(script, known);
  return known;
};

const MISTAKES: Array<[string, string[], string]> = [
  ["slash", ["status", "--chanel", "C0OPS"], "Unknown option '--chanel' (did you mean --channel?)"],
  ["slash", ["status", "--user"], "Option '--user <value>' argument missing"],
  ["slash", ["status", "--no-watch=yes"], "Option '--no-watch' does not take an argument"],
  [
    "click",
    ["op-aaaaaaaaaa", "approve", "--usr", "U0X"],
    "Unknown option '--usr' (did you mean --user?)",
  ],
  ["click", ["op-aaaaaaaaaa", "approve", "--zzzzzz"], "Unknown option '--zzzzzz'"],
  ["click", [], "which operation (or choice button) to click: none given"],
  ["click", ["op-aaaaaaaaaa"], "which button of op-aaaaaaaaaa to click: approve, reject or cancel"],
  [
    "click",
    ["op-aaaaaaaaaa", "aprove"],
    '"aprove" is no button of a card: approve, reject or cancel',
  ],
  ["audit", ["--frmat", "csv"], "Unknown option '--frmat' (did you mean --format?)"],
  ["audit", ["--since"], "Option '--since <value>' argument missing"],
  ["audit", ["somewhere"], "Unexpected argument 'somewhere'"],
  [
    "simulator",
    ["--slow-action", "5"],
    "Unknown option '--slow-action' (did you mean --slow-actions?)",
  ],
  [
    "simulator",
    ["--slow-actions", "soon"],
    '--slow-actions must be a positive whole number, not "soon"',
  ],
];

describe("the npm run helpers' command lines", () => {
  it.concurrent.each(["slash", "click", "audit", "simulator"])(
    "npm run %s -- --help prints the usage and exits 0",
    async (script) => {
      const [usage, short] = await Promise.all([help(script), run(script, "-h")]);
      expect(usage.stderr).toBe("");
      expect(usage.code).toBe(0);
      expect(usage.stdout).toMatch(new RegExp(`^usage: npm run ${script} --`));
      expect(short).toEqual(usage);
    },
  );

  it.concurrent.each(MISTAKES)(
    "npm run %s -- %j: one line naming the mistake, the usage, exit 2",
    async (script, args, mistake) => {
      const [wrong, usage] = await Promise.all([run(script, ...args), help(script)]);
      expect(wrong.code).toBe(2);
      expect(wrong.stdout).toBe("");
      expect(wrong.stderr).toBe(`${script}: ${mistake}\n${usage.stdout}`);
      expect(wrong.stderr).not.toContain("ERR_PARSE_ARGS");
      expect(wrong.stderr).not.toMatch(/^\s+at /m);
    },
  );
});
