/**
 * Keeps the suite's output free of unexpected ERROR lines. Every ERROR (or CRITICAL) log line the
 * functions write while a test runs is caught: one the test expects ({@link expectErrorLogs}) is
 * kept for it to assert and not printed; any other is printed and fails the test that caused it.
 * A setup file of the integration, faults and browser projects (vitest.config.ts).
 */
import { afterEach } from "vitest";

interface Expectation {
  pattern: RegExp;
  lines: string[];
}

let expected: Expectation[] = [];
let unexpected: string[] = [];

const ERROR_LINE = /"level":"(ERROR|CRITICAL)"/;

/**
 * Expects ERROR log lines that match `pattern` in this test: they are not printed, and are kept
 * in `lines` (in order) for the test to assert.
 */
export function expectErrorLogs(pattern: RegExp): { readonly lines: string[] } {
  const expectation = { pattern, lines: [] };
  expected.push(expectation);
  return expectation;
}

function guard(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text =
      typeof chunk === "string"
        ? chunk
        : chunk instanceof Uint8Array
          ? Buffer.from(chunk).toString("utf8")
          : "";
    if (!ERROR_LINE.test(text)) return write(chunk, ...rest);
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    const shown = lines.filter((line) => {
      if (!ERROR_LINE.test(line)) return true;
      const match = expected.find((e) => e.pattern.test(line));
      if (match) match.lines.push(line);
      else unexpected.push(line);
      return !match;
    });
    if (shown.length === 0) {
      const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
      done?.();
      return true;
    }
    return write(`${shown.join("\n")}\n`, ...rest.filter((r) => typeof r === "function"));
  }) as typeof stream.write;
}

guard(process.stdout);
guard(process.stderr);

afterEach(() => {
  const lines = unexpected;
  expected = [];
  unexpected = [];
  if (lines.length > 0)
    throw new Error(
      `the functions wrote ERROR log lines this test did not expect (expectErrorLogs):\n${lines.join("\n")}`,
    );
});
