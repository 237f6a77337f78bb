/**
 * Every module of lib/ loads. Imported inside the tests, never at the top: a module that throws
 * while loading (a table built at load time, broken) then fails a test here, where a file that
 * imports it at its top would only fail to load, which Stryker counts as a survived mutant (its
 * issue 6150).
 */
import { readdirSync, readFileSync } from "node:fs";
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

/**
 * A glob of stryker.config.json's `mutate` as a pattern: `{a,b}`, `**` and `*` are all it uses.
 */
function globPattern(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (glob.startsWith("**/", i)) {
      out += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      out += ".*";
      i += 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "{") out += "(?:";
    else if (c === "}") out += ")";
    else if (c === ",") out += "|";
    else out += c.replace(/[.+?^$()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** True for a module mutation testing mutates (stryker.config.json's `mutate`). */
function mutated(path: string): boolean {
  const globs: string[] = JSON.parse(
    readFileSync(join(ROOT, "stryker.config.json"), "utf8"),
  ).mutate;
  const matches = (g: string) => globPattern(g).test(path);
  return (
    globs.some((g) => !g.startsWith("!") && matches(g)) &&
    !globs.some((g) => g.startsWith("!") && matches(g.slice(1)))
  );
}

/**
 * Under mutation testing (vitest.mutation.config.ts), only the mutated modules: no mutant can
 * make another one throw, and importing the adapters (the AWS SDK, Bolt, undici) again for every
 * mutant of a module-level table took half of each run.
 */
const LOADED = modules("lib").filter(
  (path) => process.env.BM_MODULES_LOAD !== "mutated" || mutated(path),
);

describe("every module of lib/ loads", () => {
  it("mutation testing's list keeps every mutated module and no adapter", () => {
    const all = modules("lib");
    const kept = all.filter(mutated);
    expect(kept).toContain("lib/policy/in-force.ts");
    expect(kept).toContain("lib/config.ts");
    expect(kept).toContain("lib/front-door/choose.ts");
    expect(kept.some((p) => p.startsWith("lib/aws/"))).toBe(false);
    expect(kept.some((p) => p.startsWith("lib/runtime/"))).toBe(false);
    expect(kept).not.toContain("lib/front-door/slack-app.ts");
    expect(kept.some((p) => p.startsWith("lib/front-door/listeners/"))).toBe(false);
    expect(globPattern("lib/{a,b}/**/*.ts").test("lib/b/c/d.ts")).toBe(true);
    expect(globPattern("lib/{a,b}/**/*.ts").test("lib/b/d.ts")).toBe(true);
    expect(globPattern("lib/{a,b}/**/*.ts").test("lib/c/d.ts")).toBe(false);
    expect(globPattern("lib/a.ts").test("lib/aXts")).toBe(false);
  });

  it.each(LOADED)("%s", async (path) => {
    // A module of types alone exports nothing, and loads all the same.
    await expect(import(join(ROOT, path))).resolves.toBeTypeOf("object");
  });
});
