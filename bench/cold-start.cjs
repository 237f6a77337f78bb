// One cold start, in a fresh process: from loading a bundle to the answer to one signed slash
// command (its first Secrets Manager, DynamoDB and SQS calls included). Prints one JSON line.
const { performance } = require("node:perf_hooks");

const started = performance.now();
const { handler } = require(process.argv[2]);
const loaded = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
const context = {
  getRemainingTimeInMillis: () => 6000,
  functionName: "bench",
  awsRequestId: "bench",
};
handler(event, context).then(
  (result) => {
    const answered = performance.now();
    process.stdout.write(
      `${JSON.stringify({ loadMs: loaded - started, totalMs: answered - started, status: result.statusCode })}\n`,
    );
    process.exit(0);
  },
  (error) => {
    process.stdout.write(`${JSON.stringify({ error: String(error?.name) })}\n`);
    process.exit(1);
  },
);
