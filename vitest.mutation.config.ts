import { defineConfig } from "vitest/config";
import MutationSequencer from "./test/unit/mutation-sequencer";

/**
 * The unit tests alone, for mutation testing (`npm run mutation`): no socket, no stack, so each
 * mutant is judged in milliseconds. The same files as the `unit` project of vitest.config.ts.
 */
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    // The tests of lib/aws/, which mutation testing does not mutate: they would only load the
    // AWS SDK again for every mutant of a module-level table.
    exclude: ["test/unit/aws/**"],
    // One worker for every file, each file's modules loaded afresh (test/unit/fresh-modules.ts):
    // a new worker for each file (vitest's default, `isolate: true`) cost about 15 s of a full run
    // of the suite, which each static mutant needs (docs/testing.md, "Mutation testing").
    isolate: false,
    setupFiles: ["test/unit/no-network.ts", "test/unit/fresh-modules.ts"],
    // The files most likely to kill the mutant first: Stryker stops at the first failure
    // (`bail: 1`), and the files left are then not loaded (test/unit/mutation-runner.ts).
    sequence: { sequencer: MutationSequencer },
    runner: "test/unit/mutation-runner.ts",
    // Those files left are then empty, not failed (the unit project of vitest.config.ts still
    // fails a test file without tests).
    passWithNoTests: true,
    // Instrumented code is slower. A shorter timeout would kill sooner a mutant that leaves a
    // promise unsettled (a timer's callback emptied), which now waits for Stryker's (about 15 s in
    // CI, stryker.config.json), but the property test "answers to whatever is typed after /bm"
    // took more than 10 s in Stryker's dry run (its coverage counted) on a busy machine, and a test
    // that times out there fails the whole run (docs/testing.md, "Mutation testing").
    testTimeout: 30_000,
    // The property tests run fewer cases (every mutant they cover runs them again);
    // modules-load.test.ts loads only the mutated modules (the adapters cannot change).
    env: { BM_PROPERTY_RUNS: "40", BM_MODULES_LOAD: "mutated" },
  },
});
