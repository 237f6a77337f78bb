/**
 * The order of the test files under mutation testing (vitest.mutation.config.ts). Stryker stops a
 * mutant's run at its first failing test (`bail: 1`), so the sooner a killing test runs, the
 * cheaper the mutant: most of all a mutant of a module-level table, which runs every test file
 * that imports its module. First the test files named after the mutated module (Stryker runs
 * vitest in related mode with that module: `lib/slack/messages.ts` puts
 * `test/unit/slack/messages*.test.ts` first), then those that failed in the run before (most often
 * against a mutant of the same module), then the quickest. The order changes when a mutant is
 * found, not whether: every test still runs for a mutant no test kills.
 */
import { basename, dirname, join, relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

export default class MutationSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const { root, related } = this.ctx.config;
    // lib/slack/messages.ts → test/unit/slack/messages: the test files whose path starts so.
    const named = (related ?? []).flatMap((file) => {
      const path = relative(root, file).replace(/\\/g, "/");
      if (!path.startsWith("lib/")) return [];
      return [join("test/unit", dirname(path.slice(4)), basename(path, ".ts"))];
    });
    const rank = (spec: TestSpecification) => {
      const path = relative(root, spec.moduleId).replace(/\\/g, "/");
      const result = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      return {
        named: named.some((prefix) => path.startsWith(prefix)) ? 0 : 1,
        failed: result?.failed ? 0 : 1,
        duration: result?.duration ?? 0,
      };
    };
    const ranked = files.map((spec) => ({ spec, ...rank(spec) }));
    ranked.sort((a, b) => a.named - b.named || a.failed - b.failed || a.duration - b.duration);
    return ranked.map(({ spec }) => spec);
  }
}
