/**
 * Reference (a) of the cold-start benchmark: a plain Bolt app on the Lambda receiver that only
 * acks, written as Bolt's documentation writes it.
 */
import { App, AwsLambdaReceiver } from "@slack/bolt";

const receiver = new AwsLambdaReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? "" });
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  receiver,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL ?? "https://slack.com/api/" },
});

app.command("/bm", async ({ ack }) => {
  await ack("ok");
});

export const handler = async (event: unknown, context: unknown) => {
  const handle = await receiver.start();
  return handle(event as never, context as never);
};
