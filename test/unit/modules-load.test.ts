/**
 * Every core module loads. Imported inside the tests, never at the top: a module that throws
 * while loading (a table built at load time, broken) then fails a test here, where a file that
 * imports it at its top would only fail to load, which Stryker counts as a survived mutant (its
 * issue 6150).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const CORE = [
  "lib/operations",
  "lib/policy",
  "lib/slack",
  "lib/ecl",
  "lib/secrets",
  "lib/choices",
  "lib/front-door",
  "lib/worker",
  "lib/followup",
];

function modules(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path.endsWith("simulator") ? [] : modules(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("the core's modules load", () => {
  it.each(CORE.flatMap(modules))("%s", async (path) => {
    // A module of types alone exports nothing, and loads all the same.
    await expect(import(join(ROOT, path))).resolves.toBeTypeOf("object");
  });
});
