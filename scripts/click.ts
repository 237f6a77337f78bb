/**
 * `npm run click -- <operation-id> approve|reject|cancel --user U… [--reason TEXT]`: clicks a
 * button of an operation's card in the local stack, signed exactly as Slack signs it (for reject,
 * then submits the modal with the reason), and prints the card and thread as they change.
 */
import { parseArgs } from "node:util";
import { localResponseUrl, localSigningSecret, watchAndReport } from "../lib/local/cli-support";
import { blockActionsBody, rejectSubmissionBody, slackHeaders } from "../lib/local/slack-request";
import type { Operation } from "../lib/operations/operation";
import { ACTIONS } from "../lib/slack/messages";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: "string", default: "U0APPROVER1" },
    reason: { type: "string" },
    url: {
      type: "string",
      default: `http://127.0.0.1:${process.env.BM_PORT ?? 3000}/slack/events`,
    },
  },
});
const [operationId, decision] = positionals;
if (!operationId || (decision !== "approve" && decision !== "reject" && decision !== "cancel")) {
  console.error(
    "usage: npm run click -- <operation-id> approve|reject|cancel --user U… [--reason TEXT]",
  );
  process.exit(2);
}
const base = new URL(values.url).origin;
const op = (await (
  await fetch(`${base}/_local/operations/${operationId}`).catch(() => {
    console.error(`Nothing answers at ${base}: start the local stack first with \`npm start\`.`);
    process.exit(1);
  })
).json()) as Operation | null;
if (!op?.parentTs) {
  console.error(`${operationId} has no message in the channel to click on (yet).`);
  process.exit(1);
}

const secret = await localSigningSecret();
const send = async (body: string) => {
  const response = await fetch(values.url, {
    method: "POST",
    headers: slackHeaders(secret, body),
    body,
  });
  return { status: response.status, text: await response.text() };
};
console.log(`→ ${values.user} clicks [${decision}] on ${operationId}`);
const clicked = await send(
  blockActionsBody({
    teamId: op.teamId,
    channelId: op.channelId,
    userId: values.user,
    messageTs: op.parentTs,
    actionId: ACTIONS[decision],
    value: operationId,
    responseUrl: await localResponseUrl(values.url, op.channelId, values.user),
  }),
);
console.log(`← ${clicked.status}`);
if (decision === "reject") {
  const reason = values.reason ?? "";
  console.log(`→ ${values.user} submits the reject modal with reason ${JSON.stringify(reason)}`);
  const submitted = await send(
    rejectSubmissionBody({ teamId: op.teamId, userId: values.user, operationId, reason }),
  );
  const errors = submitted.text
    ? (JSON.parse(submitted.text) as { errors?: Record<string, string> }).errors
    : undefined;
  console.log(
    `← ${submitted.status}${errors ? ` the modal stays open: ${Object.values(errors).join("; ")}` : " the modal closes"}`,
  );
}
await watchAndReport(values.url, operationId, values.user);
