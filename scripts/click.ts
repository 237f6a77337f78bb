/**
 * `npm run click -- <operation-id> approve|reject|cancel --user U… [--reason TEXT]`: clicks a
 * button of an operation's card in the local stack, signed exactly as Slack signs it (for reject,
 * then submits the modal with the reason), and prints the card and thread as they change.
 * `npm run click -- ch-…:N [--user U…]`: clicks a button of a private choice (the command
 * `npm run slash` prints beside it), then prints what follows.
 */
import type { Operation } from "../lib/operations/operation";
import { CHOOSE_ACTION } from "../lib/slack/choice-messages";
import { ACTIONS } from "../lib/slack/messages";
import {
  localResponseUrl,
  localSigningSecret,
  nextPrivate,
  printPrivate,
  privateMessages,
  watchAndReport,
} from "../local/cli-support";
import { commandLine, usageMistake } from "../local/command-line";
import { blockActionsBody, rejectSubmissionBody, slackHeaders } from "../local/slack-request";

const USAGE = `usage: npm run click -- <operation-id> approve|reject|cancel [--user U…] [--reason TEXT]
       npm run click -- <choice-button> [--user U…]   (as npm run slash prints it: ch-…:N)
  --user      who clicks: U0APPROVER1 on a card, the requester (U0LOCALUSER) on a choice
  --reason    for reject: what the modal is submitted with
  --url       the front door, http://127.0.0.1:$BM_PORT/slack/events (3000) by default`;

const { values, positionals } = commandLine("click", USAGE, {
  allowPositionals: true,
  options: {
    user: { type: "string" },
    reason: { type: "string" },
    url: {
      type: "string",
      default: `http://127.0.0.1:${process.env.BM_PORT ?? 3000}/slack/events`,
    },
  },
});
const [operationId = "", decision] = positionals;
const send = async (body: string) => {
  const response = await fetch(values.url, {
    method: "POST",
    headers: slackHeaders(await localSigningSecret(), body),
    body,
  });
  return { status: response.status, text: await response.text() };
};
if (/^ch-[0-9a-z]{10}:\d{1,3}$/.test(operationId)) await clickChoice(operationId);
if (decision !== "approve" && decision !== "reject" && decision !== "cancel")
  usageMistake(
    "click",
    !operationId
      ? "which operation (or choice button) to click: none given"
      : decision === undefined
        ? `which button of ${operationId} to click: approve, reject or cancel`
        : `"${decision}" is no button of a card: approve, reject or cancel`,
    USAGE,
  );
const user = values.user ?? "U0APPROVER1";
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

console.log(`→ ${user} clicks [${decision}] on ${operationId}`);
const clicked = await send(
  blockActionsBody({
    teamId: op.teamId,
    channelId: op.channelId,
    userId: user,
    messageTs: op.parentTs,
    actionId: ACTIONS[decision],
    value: operationId,
    responseUrl: await localResponseUrl(values.url, op.channelId, user),
  }),
);
console.log(`← ${clicked.status}`);
if (decision === "reject") {
  const reason = values.reason ?? "";
  console.log(`→ ${user} submits the reject modal with reason ${JSON.stringify(reason)}`);
  const submitted = await send(
    rejectSubmissionBody({ teamId: op.teamId, userId: user, operationId, reason }),
  );
  const errors = submitted.text
    ? (JSON.parse(submitted.text) as { errors?: Record<string, string> }).errors
    : undefined;
  console.log(
    `← ${submitted.status}${errors ? ` the modal stays open: ${Object.values(errors).join("; ")}` : " the modal closes"}`,
  );
}
await watchAndReport(values.url, operationId, user);

/** A click on a private choice's button: by its requester (the local slash user unless told). */
async function clickChoice(value: string): Promise<never> {
  const clicker = values.user ?? "U0LOCALUSER";
  const mine = (
    await privateMessages(values.url, clicker).catch(() => {
      console.error(
        `Nothing answers at ${values.url}: start the local stack first with \`npm start\`.`,
      );
      process.exit(1);
    })
  )
    .filter((m) => JSON.stringify(m.blocks ?? []).includes(`"${value}"`))
    .at(-1);
  if (!mine) {
    console.error(
      `${clicker} sees no message with the button ${value}: a choice is shown to the one who asked (give --user), and is replaced once made.`,
    );
    process.exit(1);
  }
  const blockId = (mine.blocks ?? []).find((b) => JSON.stringify(b).includes(`"${value}"`))
    ?.block_id as string | undefined;
  const since = Date.now();
  console.log(`→ ${clicker} clicks ${value}`);
  const clicked = await send(
    blockActionsBody({
      teamId: "T0LOCAL",
      channelId: mine.channel,
      userId: clicker,
      messageTs: mine.ts,
      actionId: CHOOSE_ACTION,
      ...(blockId ? { blockId } : {}),
      value,
      responseUrl: await localResponseUrl(values.url, mine.channel, clicker, mine.ts),
      ephemeral: true,
    }),
  );
  console.log(`← ${clicked.status}\n`);
  // The answer replaces the message clicked (or, refused, comes as a new one).
  const answer = await nextPrivate(
    values.url,
    clicker,
    (m) => (m.ts === mine.ts && m.edits > mine.edits) || m.at >= since,
  );
  if (!answer) {
    console.error("bm did not answer the click.");
    process.exit(1);
  }
  let op = printPrivate(answer, clicker);
  if (!op && /bm is looking up/.test(answer.text)) {
    // The worker looks up what follows and answers in a new message.
    const next = await nextPrivate(values.url, clicker, (m) => m.at >= since && m.ts !== mine.ts);
    if (next) op = printPrivate(next, clicker);
  }
  if (!op) process.exit(0);
  return watchAndReport(values.url, op, clicker);
}
