/**
 * vitest's test runner, for mutation testing (vitest.mutation.config.ts): once a run is cancelled
 * (Stryker's `bail: 1`: a test failed, the mutant is killed), the test files left are not loaded.
 * With every file in one worker (`isolate: false`), vitest would still load each of them to skip
 * its tests; with a worker for each file, it started no more workers. What Stryker reads of the
 * run is the same: the failed test, and no result for the files left.
 */
import type { CancelReason, VitestRunnerImportSource } from "@vitest/runner";
import { VitestTestRunner } from "vitest/runners";

export default class MutationRunner extends VitestTestRunner {
  #cancelled = false;

  override cancel(reason: CancelReason): void {
    this.#cancelled = true;
    super.cancel(reason);
  }

  override importFile(filepath: string, source: VitestRunnerImportSource): unknown {
    if (this.#cancelled) return undefined;
    return super.importFile(filepath, source);
  }
}
