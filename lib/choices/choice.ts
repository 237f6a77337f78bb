/**
 * A pending choice: what a requester asked for while bm could not yet tell which server or image
 * was meant, what bm offered them (privately), and what they picked. Nothing is an operation
 * until its server and image are known; then the pick starts one, and every pick made on the way
 * becomes an audit event of that operation. Pure: the store and the messages live elsewhere.
 */
import { attachment, type Server } from "../ecl/server";
import { type Facts, shortId } from "../operations/operation";
import type {
  Asker,
  ChoiceMade,
  Offer,
  RecordedSummary,
  RequestFields,
  RequestPolicy,
} from "../operations/request";
import { editDistance } from "../util/edit-distance";

/** How long a choice is kept and its buttons work: as long as the response_url that shows it. */
export const CHOICE_TTL_MS = 30 * 60_000;
/** The most close names offered for a name that matches no server. */
export const MAX_SUGGESTIONS = 5;

/** A server as a choice shows it: enough to tell one from another. */
export interface SeenServer {
  id: string;
  name: string;
  status?: string;
  powerState?: string;
  taskState?: string;
  /** Ids of the images attached; undefined when ECL did not list them. */
  media?: string[];
}

/** One button of a choice, and what a click on it continues with. */
export interface Option {
  /** A server id; or, for a close name that several servers share, that name (a click asks which). */
  server: string;
  name: string;
  /** The image a click starts the request for; undefined when a choice of image follows. */
  image?: string;
  /** The server as ECL showed it; absent for a name several servers share. */
  seen?: SeenServer;
  /** For a close name several servers share: how many. */
  servers?: number;
}

/** How a lookup ended without offering a choice. */
export type Ended =
  /** The server was found and the image given: the request is recorded. */
  | { kind: "recorded"; result: RecordedSummary; server: SeenServer }
  /** No server by that name, and none close. */
  | { kind: "no_server" }
  /** No server with that id. */
  | { kind: "no_id" }
  /** The server shows no image attached. */
  | { kind: "nothing_attached"; server: SeenServer }
  /** The server's media are not listed by ECL: bm cannot offer them. */
  | { kind: "media_unknown"; server: SeenServer }
  /** ECL, the secret or bm failed for good: the reason, in words for people. */
  | { kind: "failed"; reason: string };

export interface Choice extends Asker {
  /** `ch-` and 10 base-32 characters. */
  id: string;
  /** Bumped by every write: the optimistic lock of the store. */
  rev: number;
  /** Set by the store on each write, to know its own write again when the answer was lost. */
  writeId?: string;
  /**
   * looking: the worker is to read ECL; open: options shown, none picked; taken: one picked;
   * ended: nothing to pick (see {@link Choice.ended}).
   */
  state: "looking" | "open" | "taken" | "ended";
  /** What is being looked up: a server name or id, and the image when one was given. */
  asked: { server: string; image?: string };
  /** Where the answer goes: the slash command's response_url, or the click's that led here. */
  responseUrl?: string;
  /** The answer replaces the message clicked to get here (the click's response_url). */
  replaces?: boolean;
  createdAt: string;
  /** Epoch seconds after which its buttons no longer work (and DynamoDB's TTL may delete it). */
  expiresAt: number;
  offer?: Offer;
  options?: Option[];
  /** The image service's names of the images the choice shows, by id (lower case). */
  imageNames?: Record<string, string>;
  ended?: Ended;
  /** The answer reached the requester. */
  shown?: boolean;
  /** The picks that led to this choice, oldest first. */
  picks: ChoiceMade[];
  /** The pick made on this choice. */
  taken?: { index: number; userId: string; at: string };
}

/** The choice of one slash command. */
export function choiceIdFor(teamId: string, triggerId: string): string {
  return shortId("ch", `${teamId}:${triggerId}`);
}

/** The choice that follows a pick (a server picked, its image still to pick). */
export function nextChoiceId(choice: Choice, index: number): string {
  return shortId("ch", `${choice.id}:${index}`);
}

/** The seed of the operation a pick starts: one pick, one operation, however often clicked. */
export function requestSeed(choice: Choice, index?: number): string {
  return index === undefined ? `choice:${choice.id}` : `choice:${choice.id}:${index}`;
}

const BUTTON = /^(ch-[0-9a-z]{10}):(\d{1,3})$/;

/** A button's value: the choice's id and the option's place, nothing in clear. */
export function buttonValue(choiceId: string, index: number): string {
  return `${choiceId}:${index}`;
}

/** The choice and option a button's value names, or undefined for anything else. */
export function parseButtonValue(value: string): { choiceId: string; index: number } | undefined {
  const found = BUTTON.exec(value);
  return found ? { choiceId: found[1] as string, index: Number(found[2]) } : undefined;
}

/** True once the choice's buttons no longer work. */
export function isExpired(choice: Choice, now: Date): boolean {
  return now.getTime() >= choice.expiresAt * 1000;
}

/** A new choice, looking up what was asked; it expires with the response_url that answers it. */
export function newChoice(
  fields: Omit<Choice, "rev" | "state" | "createdAt" | "expiresAt" | "picks"> & {
    picks?: ChoiceMade[];
  },
  at: Date,
): Choice {
  return {
    ...fields,
    picks: fields.picks ?? [],
    rev: 0,
    state: "looking",
    createdAt: at.toISOString(),
    expiresAt: Math.floor((at.getTime() + CHOICE_TTL_MS) / 1000),
  };
}

/** A server as a choice keeps it. */
export function seen(server: Server): SeenServer {
  return {
    id: server.id,
    name: server.name,
    ...(server.status ? { status: server.status } : {}),
    ...(server.powerState ? { powerState: server.powerState } : {}),
    taskState: server.taskState ?? "None",
    ...(server.mediaIds ? { media: server.mediaIds } : {}),
  };
}

/**
 * The option of one server: with the image given (unless the server shows it is not attached), or
 * without one the only one attached, a click starts the request; otherwise a choice of image
 * follows, or, with nothing attached, there is nothing to click.
 */
export function serverOption(server: Server, image: string | undefined): Option {
  const only = server.mediaIds?.length === 1 ? server.mediaIds[0] : undefined;
  const chosen = image === undefined ? only : hasImage(server, image) ? image : undefined;
  return {
    server: server.id,
    name: server.name,
    seen: seen(server),
    ...(chosen ? { image: chosen } : {}),
  };
}

/** The image is attached to the server, or may be: ECL does not list its media. */
function hasImage(server: Server, image: string): boolean {
  return attachment(server, image) !== "absent";
}

/**
 * Up to {@link MAX_SUGGESTIONS} names close to `typed`, closest first: the same name in another
 * case, names within two edits (fewer than the name is long), and names that begin with what was
 * typed or that it begins with. Names in `first` (the servers that have the image typed, say)
 * come before all others, closest first among them.
 */
export function closeNames(
  typed: string,
  names: Iterable<string>,
  first: ReadonlySet<string> = new Set(),
): string[] {
  const wanted = typed.toLowerCase().slice(0, 64);
  const scored: Array<{ name: string; score: number }> = [];
  for (const name of new Set(names)) {
    const lower = name.toLowerCase().slice(0, 64);
    const distance = editDistance(wanted, lower);
    const prefix =
      (wanted.length >= 2 && lower.startsWith(wanted)) ||
      (lower.length >= 3 && wanted.startsWith(lower));
    if (distance <= 2 && distance < wanted.length) scored.push({ name, score: distance });
    else if (prefix) scored.push({ name, score: 3 });
  }
  const rank = (name: string) => (first.has(name) ? 0 : 1);
  return scored
    .sort(
      (a, b) => rank(a.name) - rank(b.name) || a.score - b.score || a.name.localeCompare(b.name),
    )
    .slice(0, MAX_SUGGESTIONS)
    .map((s) => s.name);
}

/**
 * The options for names close to one that matches no server: one per name; with an image typed,
 * the names of servers that have it attached first.
 */
export function nameOptions(typed: string, servers: Server[], image: string | undefined): Option[] {
  const withImage = new Set(
    servers
      .filter((s) => image !== undefined && attachment(s, image) === "attached")
      .map((s) => s.name),
  );
  return closeNames(
    typed,
    servers.map((s) => s.name),
    withImage,
  ).map((name) => {
    const named = servers.filter((s) => s.name === name);
    const [only] = named;
    if (named.length === 1 && only) return serverOption(only, image);
    return { server: name, name, servers: named.length, ...(image ? { image } : {}) };
  });
}

/**
 * The request a choice leads to, for one server and image: its asker's fields (the policy given,
 * the one in force when a click makes it), its id from the choice (one per pick).
 */
export function requestFrom(
  choice: Choice,
  made: Pick<RequestFields, "serverRef" | "serverName" | "imageId" | "seed" | "picks"> & {
    /** The policy in force, for a pick (a lookup keeps the one given when it was asked). */
    policy?: RequestPolicy;
    responseUrl?: string | undefined;
  },
): RequestFields {
  const { policy, responseUrl, ...rest } = made;
  return {
    teamId: choice.teamId,
    channelId: choice.channelId,
    requester: choice.requester,
    reason: choice.reason,
    tenant: choice.tenant,
    secretId: choice.secretId,
    approvalsRequired: choice.approvalsRequired,
    approvers: choice.approvers,
    requestTtlMinutes: choice.requestTtlMinutes,
    ...policy,
    ...rest,
    ...(responseUrl ? { responseUrl } : {}),
  };
}

/** A pick, as recorded on the way to an operation. */
export function pickOf(choice: Choice, index: number, userId: string, at: Date): ChoiceMade {
  const option = choice.options?.[index];
  return {
    choiceId: choice.id,
    at: at.toISOString(),
    userId,
    offer: choice.offer ?? "servers",
    asked: choice.asked.server,
    of: choice.options?.length ?? 0,
    server: option?.server ?? "",
    ...(option?.image ? { image: option.image } : {}),
  };
}

/**
 * What the audit keeps of any event of a choice: where, which tenant, what was typed, and the
 * choice whose pick led here, if one did.
 */
export function choiceFacts(choice: Choice): Facts {
  const last = choice.picks.at(-1);
  return {
    channel: choice.channelId,
    tenant: choice.tenant,
    asked: choice.asked.server,
    ...(choice.asked.image ? { image: choice.asked.image } : {}),
    ...(last ? { after: last.choiceId } : {}),
  };
}

/**
 * The audit event of a lookup's answer, once given: the options shown (`viewed:choices`: what
 * kind, how many, until when), or how it ended without a request (`choice_ended:<kind>`).
 * Undefined for one that recorded a request, which the operation's own events tell, or that has
 * no answer yet.
 */
export function choiceAudit(choice: Choice): { action: string; facts: Facts } | undefined {
  const facts = choiceFacts(choice);
  if (choice.options)
    return {
      action: "viewed:choices",
      facts: {
        ...facts,
        offer: choice.offer ?? "servers",
        options: choice.options.length,
        expires: new Date(choice.expiresAt * 1000).toISOString(),
      },
    };
  const ended = choice.ended;
  if (!ended || ended.kind === "recorded") return undefined;
  return {
    action: `choice_ended:${ended.kind}`,
    facts: {
      ...facts,
      ...("server" in ended ? { server: ended.server.id } : {}),
      ...(ended.kind === "failed" ? { reason: ended.reason } : {}),
    },
  };
}
