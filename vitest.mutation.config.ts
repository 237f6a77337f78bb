import { defineConfig } from "vitest/config";

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
    setupFiles: ["test/unit/no-network.ts"],
    // Instrumented code is slower; the property tests run fewer cases (every mutant they cover
    // runs them again).
    testTimeout: 30_000,
    // modules-load.test.ts loads only the mutated modules (the adapters cannot change).
    env: { BM_PROPERTY_RUNS: "40", BM_MODULES_LOAD: "mutated" },
  },
});
