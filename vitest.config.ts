import { defineConfig } from "vitest/config";

/**
 * Test files that run a second time against moto_server (its DynamoDB, SQS and Secrets
 * Manager, from AWS's own service models) in place of dynalite and the stand-ins, when
 * BM_TEST_MOTO_URL names one (.ci/run starts it): docs/testing.md.
 */
const AGAINST_MOTO = [
  "test/integration/moto-stack.test.ts",
  "test/integration/slack-flow.test.ts",
  "test/integration/approvals.test.ts",
  "test/integration/choices.test.ts",
  "test/faults/matrix-dynamo.test.ts",
  "test/faults/matrix-sqs.test.ts",
];
const MOTO_URL = process.env.BM_TEST_MOTO_URL?.trim();
if (!MOTO_URL)
  console.warn(
    "moto tests skipped: BM_TEST_MOTO_URL is not set (python3 test/support/moto_server.py -H 127.0.0.1 -p 5000 & BM_TEST_MOTO_URL=http://127.0.0.1:5000 npm test); .ci/run starts one",
  );

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
      ...(MOTO_URL
        ? [
            {
              test: {
                // The same files again, their stacks on moto's AWS (test/support/stack-harness.ts).
                name: "moto",
                include: AGAINST_MOTO,
                env: { BM_TEST_AWS: "moto" },
                setupFiles: ["test/integration/loopback-only.ts", "test/support/error-logs.ts"],
                testTimeout: 30_000,
              },
            },
          ]
        : []),
    ],
  },
});
