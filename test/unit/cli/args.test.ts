import { describe, expect, it } from "vitest";
import { mistakeLine, readArgs } from "../../../lib/cli/args";

const OPTIONS = {
  user: { type: "string" },
  channel: { type: "string" },
  "no-watch": { type: "boolean" },
} as const;

const read = (...args: string[]) => readArgs({ args, options: OPTIONS });

describe("readArgs", () => {
  it("reads a command line as parseArgs does", () => {
    expect(
      readArgs({
        args: ["status", "--user", "U1", "--no-watch"],
        allowPositionals: true,
        options: OPTIONS,
      }),
    ).toEqual({
      ok: true,
      parsed: { values: { user: "U1", "no-watch": true }, positionals: ["status"] },
    });
  });

  it.each([
    [["--chanel", "C1"], "Unknown option '--chanel' (did you mean --channel?)"],
    [["--usr", "U1"], "Unknown option '--usr' (did you mean --user?)"],
    [["--zzzzzz"], "Unknown option '--zzzzzz'"],
    [["-x"], "Unknown option '-x'"],
    [["--user"], "Option '--user <value>' argument missing"],
    [["--no-watch=yes"], "Option '--no-watch' does not take an argument"],
    [["status"], "Unexpected argument 'status'"],
  ])("%j is a mistake said in one line: %s", (args, mistake) => {
    expect(read(...args)).toEqual({ ok: false, mistake });
  });

  it("keeps the stack of a config of the wrong shape: the programmer's mistake", () => {
    expect(() => readArgs({ args: [], options: { n: { type: "number" as "string" } } })).toThrow(
      /^The "options\.n\.type" property must be/,
    );
  });
});

describe("mistakeLine", () => {
  it.each([
    [
      "Unknown option '--chanel'. To specify a positional argument …",
      "Unknown option '--chanel' (did you mean --channel?)",
    ],
    // Only parseArgs's own sentence, whole, names an option to suggest for.
    ["Not an Unknown option '--chanel'", "Not an Unknown option '--chanel'"],
    ["Unknown option '--chanel' here", "Unknown option '--chanel' here"],
    ["Unknown option '--'", "Unknown option '--'"],
    ["Option '--user <value>' argument missing", "Option '--user <value>' argument missing"],
  ])("%j → %j", (message, line) => {
    expect(mistakeLine(message, OPTIONS)).toBe(line);
  });
});
