import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          // Unit tests must not open a socket: the guard makes any attempt fail loudly.
          setupFiles: ["test/unit/no-network.ts"],
        },
      },
      {
        test: {
          // The fault-injection suite: the real handlers, one fault at a time (docs/reliability.md).
          name: "faults",
          include: ["test/faults/**/*.test.ts"],
          setupFiles: ["test/integration/loopback-only.ts", "test/support/error-logs.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          // The playground in Debian's Chromium (skipped, saying so, when none is installed).
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          setupFiles: ["test/integration/loopback-only.ts", "test/support/error-logs.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          setupFiles: ["test/integration/loopback-only.ts", "test/support/error-logs.ts"],
          testTimeout: 20_000,
        },
      },
    ],
  },
});
