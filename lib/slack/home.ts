/**
 * The App Home tab of one person: what waits for their approval (with Approve and Reject, the
 * card's own buttons, handled by the same listeners), their own requests in flight and how their
 * last ones ended, and the servers with media attached that bm knows of in the tenants where they
 * may request. Pure: the front door reads the table and hands the pieces over (open-home.ts).
 */
import type { HomeView, KnownBlock } from "@slack/types";
import { type Operation, stateWords } from "../operations/operation";
import { LIMITS } from "./block-kit-limits";
import { context, section } from "./blocks";
import { fleetCountsWords, whatOf } from "./fleet-words";
import { decisionButtons } from "./messages";
import { channel, code, date, join, link, type Mrkdwn, md, user } from "./mrkdwn";

/** How much the Home shows of each part: it stays well inside a view's 100 blocks. */
export const HOME_SHOWN = {
  /** Requests awaiting the person's approval, two blocks each (the line, the buttons). */
  awaiting: 20,
  /** Lines of the other lists, in one section each (fitted to its 3,000 characters). */
  lines: 15,
  /** Tenants whose servers are listed, one section each. */
  tenants: 10,
} as const;

/** How far back the Home looks for ended requests and attached media (days). */
export const RECENT_DAYS = 7;

/**
 * A server bm knows has an image attached: the last of bm's operations on this image of this
 * server (among those read) found it attached when the worker read the server, and none has
 * detached it since.
 */
export interface KnownMedia {
  tenant: string;
  serverId: string;
  serverName?: string;
  imageId: string;
  /** When the read was made: the request of the operation that read it. */
  seenAt: string;
  /** A detach of it is under way (approved, waiting for the server, or sent to ECL). */
  detaching: boolean;
}

/** What one person's Home shows, read by the front door from the table. */
export interface HomeContent {
  userId: string;
  /** Awaiting this person's approval, under the policy in force, oldest first. */
  awaiting: Operation[];
  /** Their own requests not yet ended, newest first. */
  inFlight: Operation[];
  /** Their own requests ended within {@link RECENT_DAYS}, newest first. */
  recent: Operation[];
  /** Known attached media, for each tenant where they may request (tenants in policy order). */
  media: Array<{ tenant: string; servers: KnownMedia[] }>;
  /** The answer to what they just did on this Home (a click), shown at its top. */
  notice?: Mrkdwn;
  /** Some parts could not be read in time: said, so that an empty list is not taken for none. */
  partial?: boolean;
}

/** The block id of a request's buttons on the Home: one per request, as Slack wants them unique. */
export const homeBlockId = (op: Pick<Operation, "id">) => `bm_home_${op.id}`;

/** The Home tab, as `views.publish` takes it. */
export function homeView(home: HomeContent): HomeView {
  const blocks: KnownBlock[] = [
    section(md`*bm: media detach* for ${user(home.userId)}`),
    ...(home.notice ? [section(home.notice)] : []),
    ...(home.partial
      ? [
          section(
            md`:warning: bm could not read everything in time: some parts may be missing. Open the tab again in a moment.`,
          ),
        ]
      : []),
    { type: "divider" },
    ...awaitingBlocks(home.awaiting),
    { type: "divider" },
    listSection(md`*Your requests in flight*`, home.inFlight.map(inFlightLine), md`none in flight`),
    listSection(
      md`*Your requests of the last ${RECENT_DAYS} days*`,
      home.recent.map(recentLine),
      md`none ended in the last ${RECENT_DAYS} days`,
    ),
    { type: "divider" },
    section(md`*Servers with media attached that bm knows of*`),
    ...home.media
      .slice(0, HOME_SHOWN.tenants)
      .map(({ tenant, servers }) =>
        listSection(md`Tenant ${code(tenant)}`, servers.map(mediaLine), md`none known`),
      ),
    ...(home.media.length === 0
      ? [section(md`You may request in no channel bound to a tenant, so none are shown.`)]
      : []),
    context([
      md`"Known" is what bm recorded, not what ECL shows now: the last of bm's operations on an image of a server, of the tenant's last 50 in the last ${RECENT_DAYS} days, found it attached when it read the server, and none has detached it since. \`/bm status\` in a channel asks ECL.`,
    ]),
  ];
  // At most 62 blocks (HOME_SHOWN's bounds): inside a view's 100, as a test holds.
  return { type: "home", blocks };
}

function awaitingBlocks(ops: Operation[]): KnownBlock[] {
  const title = section(md`*Waiting for your approval* (${ops.length})`);
  if (ops.length === 0) return [title, section(md`nothing waits for you`)];
  const shown = ops.slice(0, HOME_SHOWN.awaiting);
  const blocks: KnownBlock[] = [title];
  for (const op of shown) {
    blocks.push(section(awaitingLine(op)), {
      type: "actions",
      block_id: homeBlockId(op),
      elements: decisionButtons(op),
    });
  }
  if (ops.length > shown.length)
    blocks.push(section(md`… and ${ops.length - shown.length} more: see their channels`));
  return blocks;
}

/**
 * A title and its lines in one section: at most {@link HOME_SHOWN}`.lines`, and no more than fit
 * whole in a section's 3,000 characters (a line's date tokens are long), then how many more.
 */
export function listSection(title: Mrkdwn, lines: Mrkdwn[], none: Mrkdwn): KnownBlock {
  if (lines.length === 0) return section(md`${title}\n_${none}_`);
  const text = (shown: number) => {
    const more = lines.length - shown;
    return md`${title}\n${join(lines.slice(0, shown), "\n")}${more > 0 ? md`\n… and ${more} more` : ""}`;
  };
  let shown = lines.slice(0, HOME_SHOWN.lines).length;
  // One line at least: a line too long alone is cut by section(), as any text is.
  while (shown > 1 && text(shown).text.length > LIMITS.sectionText) shown--;
  return section(text(shown));
}

/** The server, or a fleet request's servers with where its targets stand. */
function server(op: Operation): Mrkdwn {
  const counted = fleetCountsWords(op);
  return counted ? md`${whatOf(op)} (${counted})` : whatOf(op);
}

const thread = (op: Operation) => (op.permalink ? md` · ${link(op.permalink, "thread")}` : "");

function awaitingLine(op: Operation): Mrkdwn {
  const got = op.approvals?.length ?? 0;
  return join(
    [
      md`${code(op.id)} ${server(op)} image ${code(op.imageId)} in ${channel(op.channelId)}`,
      md`asked by ${user(op.requester)}${op.reason ? md`: ${op.reason}` : ""}`,
      md`${got} of ${op.approvalsRequired} approvals${op.requestExpiresAt ? md`, expires ${date(op.requestExpiresAt)}` : ""}${thread(op)}`,
    ],
    "\n",
  );
}

function inFlightLine(op: Operation): Mrkdwn {
  return md`• ${code(op.id)} ${server(op)} in ${channel(op.channelId)}: *${stateWords(op.state)}* since ${date(op.updatedAt)}${thread(op)}`;
}

function recentLine(op: Operation): Mrkdwn {
  return md`• ${code(op.id)} ${server(op)} in ${channel(op.channelId)}: *${stateWords(op.state)}* ${date(op.finishedAt ?? op.updatedAt)}${thread(op)}`;
}

function mediaLine(media: KnownMedia): Mrkdwn {
  const name = media.serverName
    ? md`${code(media.serverName)} (${code(media.serverId)})`
    : code(media.serverId);
  return md`• ${name} image ${code(media.imageId)}, seen ${date(media.seenAt)}${media.detaching ? md` · a detach is under way` : ""}`;
}
