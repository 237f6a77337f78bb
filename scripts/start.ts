/**
 * `npm start`: the whole bm stack on this machine, on embedded defaults.
 */
import { describeUnkindness } from "../local/ecl-simulator/unkind";
import { quietMetrics } from "../local/quiet-metrics";
import { LOCAL_DYNAMO_PORT, startLocalStack } from "../local/stack";

// The functions' metric lines, as they print them, but a gauge at 0 only when it comes back to 0.
quietMetrics(process.stdout);

const stack = await startLocalStack({
  frontDoorPort: Number(process.env.BM_PORT ?? 3000),
  eclPort: Number(process.env.BM_ECL_PORT ?? 8774),
  dynamoPort: LOCAL_DYNAMO_PORT,
  autoRun: true,
  sampleFleet: true,
  log: (line) => console.log(line),
});

console.log(`
bm is running locally. Try it in a browser: ${new URL(stack.frontDoorUrl).origin}/

  front door   ${stack.frontDoorUrl}
  ECL          ${stack.ecl?.url ?? "(the tenant's own endpoint)"}  (sample servers web01, web010, web02, db01, app ×2,
               and a fleet: node01…node30, the installer ISO on each)
  Slack        ${stack.env.SLACK_API_URL}  (a stand-in as strict as Slack; channels C0INCIDENT, C0OPS, C0CHANGES,
               and C0NOBOT, which bm was never invited to)
  DynamoDB     ${stack.env.AWS_ENDPOINT_URL_DYNAMODB ?? "(AWS)"}  (dynalite)
  SQS          ${stack.env.BM_QUEUE_URL}

${unkindBanner(stack.ecl?.model.unkind ?? {})}In another terminal, the main job:
  npm run slash -- "detach web01 3339fd5f-ec06-4ef8-9337-c1c70218a748 reboot loop after ISO install"
and the fleet's, one card for thirty servers:
  npm run slash -- "detach --all 9c1d5e7a-3b2f-4c8d-a6e0-7f4b2d9c1e35 installer left mounted"

Ctrl-C stops it.`);

function unkindBanner(unkind: Parameters<typeof describeUnkindness>[0]): string {
  const lines = describeUnkindness(unkind);
  return lines.length === 0
    ? ""
    : `The ECL simulator is unkind (BM_SIMULATOR_*):\n  ${lines.join("\n  ")}\n\n`;
}

process.on("SIGINT", () => {
  console.log("stopping…");
  void stack.close().finally(() => process.exit(0));
});
