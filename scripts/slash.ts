/**
 * `npm run slash -- "detach web01 <image-id> [reason]" [--user U…] [--channel C…]`: sends a slash
 * command to the local front door, signed exactly as Slack signs it, then prints the channel's
 * parent message and thread as they change, until the operation ends. A choice bm offers
 * privately (`detach web01` without the image, a shared name, a typo) is printed with the
 * `npm run click` command of each button.
 */
import {
  localResponseUrl,
  localSigningSecret,
  nextPrivate,
  printPrivate,
  watchAndReport,
} from "../local/cli-support";
import { commandLine } from "../local/command-line";
import { slackHeaders, slashCommandBody } from "../local/slack-request";

const USAGE = `usage: npm run slash -- "<text>" [--user U…] [--channel C…] [--team T…] [--url URL] [--no-watch]
  <text>      what follows /bm, as typed in Slack ("detach web01 <image-id> CHG-1", "status")
  --user      who sends it, U0LOCALUSER by default
  --channel   where, C0INCIDENT by default (C0OPS, C0CHANGES, C0NOBOT: infra/local/policy.yml)
  --team      the workspace, T0LOCAL by default
  --url       the front door, http://127.0.0.1:$BM_PORT/slack/events (3000) by default
  --no-watch  print bm's answer, and not the card and thread that follow`;

const { values, positionals } = commandLine("slash", USAGE, {
  allowPositionals: true,
  options: {
    user: { type: "string", default: "U0LOCALUSER" },
    channel: { type: "string", default: "C0INCIDENT" },
    team: { type: "string", default: "T0LOCAL" },
    url: {
      type: "string",
      default: `http://127.0.0.1:${process.env.BM_PORT ?? 3000}/slack/events`,
    },
    "no-watch": { type: "boolean", default: false },
  },
});
const text = positionals.join(" ");
const notRunning = () => {
  console.error(
    `Nothing answers at ${values.url}: start the local stack first with \`npm start\`.`,
  );
  process.exit(1);
};
const body = slashCommandBody({
  teamId: values.team,
  channelId: values.channel,
  userId: values.user,
  text,
  responseUrl: await localResponseUrl(values.url, values.channel, values.user).catch(notRunning),
});
console.log(`→ /bm ${text}   (as ${values.user} in ${values.channel})`);
const sentAt = Date.now();
const response = await fetch(values.url, {
  method: "POST",
  headers: slackHeaders(await localSigningSecret(), body),
  body,
}).catch(notRunning);
const answer = await response.text();
const said = answer ? ((JSON.parse(answer) as { text?: string }).text ?? "") : "";
console.log(`← ${response.status} (only you can see this) ${said}\n`);

let id = /`(op-[a-z0-9]{10})`/.exec(said)?.[1];
if (!id && said.startsWith("Looking up ")) {
  // The worker reads ECL, then answers privately: the request recorded, or a choice to click.
  const looked = await nextPrivate(values.url, values.user, (m) => m.at >= sentAt);
  if (!looked) {
    console.error("bm's worker did not answer within 10 s.");
    process.exit(1);
  }
  id = printPrivate(looked, values.user);
  if (!id) process.exit(0);
}
if (!id || values["no-watch"] || /status|history|help|cancel/.test(text.split(" ")[0] ?? "")) {
  if (text.startsWith("status")) await watchAndReport(values.url, undefined, values.user);
  process.exit(response.ok ? 0 : 1);
}
await watchAndReport(values.url, id, values.user);
