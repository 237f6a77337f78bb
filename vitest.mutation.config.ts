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
    // A mutant that leaves a promise unsettled (a timer's callback emptied, `Promise.race([])`)
    // fails its test here, killed, in 5 s; with 30 s, Stryker's own timeout came first (about
    // 15 s in CI, stryker.config.json) and then started a new test runner (about 4 s more). The
    // slowest unit test takes about 0.2 s, instrumented perhaps three times that (Stryker's dry
    // run: 9.3 s for what takes 3 s here): 5 s leaves room for a busy machine, and a test slower
    // than that in the dry run fails the whole run, not a mutant.
    testTimeout: 5_000,
    // The property tests run fewer cases (every mutant they cover runs them again);
    // modules-load.test.ts loads only the mutated modules (the adapters cannot change).
    env: { BM_PROPERTY_RUNS: "40", BM_MODULES_LOAD: "mutated" },
  },
});
