/**
 * Every module of lib/ loads. Imported inside the tests, never at the top: a module that throws
 * while loading (a table built at load time, broken) then fails a test here, where a file that
 * imports it at its top would only fail to load, which Stryker counts as a survived mutant (its
 * issue 6150).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
/** The one module that is a program: importing it runs the `bm` command. */
const PROGRAMS = new Set(["lib/cli/run.ts"]);

/** Every module of lib/: those mutation testing mutates (stryker.config.json) and the rest. */
function modules(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith(".ts") && !PROGRAMS.has(path) ? [path] : [];
  });
}

describe("every module of lib/ loads", () => {
  it.each(modules("lib"))("%s", async (path) => {
    // A module of types alone exports nothing, and loads all the same.
    await expect(import(join(ROOT, path))).resolves.toBeTypeOf("object");
  });
});
