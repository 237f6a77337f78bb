/**
 * `/bm media [IMAGE-ID|SERVER]`, answered by the worker (it reads ECL): the tenant's servers with
 * virtual media attached, grouped by image, each image named by the image service where it can,
 * and how long bm has seen each mounted (its own first sighting: ECL does not say). Told to the
 * asker only, through the response_url, and audited as a read, as `/bm status` is.
 */
import type { EclApi, FleetReads } from "../ecl/client";
import type { Server } from "../ecl/server";
import { isUuid } from "../ecl/validate";
import { BmError, describeError, isPassing } from "../errors";
import type { AuditEvent, Facts } from "../operations/operation";
import {
  nextSightings,
  type SightingsRead,
  sameSightings,
  sightingKey,
} from "../operations/sightings";
import { auditRead, standaloneEvent } from "../operations/standalone-event";
import type { MediaRequest } from "../operations/work-message";
import { boundTo } from "../policy/in-force";
import { message } from "../slack/blocks";
import type { SlackMessage } from "../slack/chat";
import { type ImageGroup, type MediaScope, mediaMessage } from "../slack/media-message";
import { code, md } from "../slack/mrkdwn";
import { by } from "../util/by";
import { answerPrivately } from "./answer-status";
import { MAX_RECEIVES, type WorkerDeps } from "./process-message";
import { RetryLater } from "./retry-later";

/** How the answer reads ECL. Its time in all stays inside a worker message's 45 s. */
export const MEDIA_READS = {
  /** Servers a page of `servers/detail`, and the most pages (10,000 servers), as the follow-up. */
  pageSize: 100,
  maxPages: 100,
  /** A page's wait; a page is retried once. */
  pageTimeoutMs: 5000,
  /** The whole list's: past it, the answer says ECL was too slow rather than show part of it. */
  listMs: 25_000,
  /** Image names asked at once, the most asked (no more fit in a message), and their deadline. */
  namesAtOnce: 4,
  namedImages: 24,
  namesMs: 5000,
};

/** ECL's list of servers took longer than the answer may wait. */
export class ListTooSlowError extends BmError {
  override readonly name = "ListTooSlowError";
  // A list this slow will not be quick ten seconds later: said, not retried.
  readonly passing = false;
  readonly forUsers = true;
  constructor(seconds: number, listed: number) {
    super(
      `ECL took more than ${seconds} s to list this tenant's servers (${listed} listed by then)`,
    );
  }
}

/** What the answer says, what its audit event keeps, and the sightings to write once it is sent. */
interface Said {
  answer: SlackMessage;
  facts: Facts;
  keep?: () => Promise<void>;
}

export async function answerMedia(
  deps: WorkerDeps,
  request: MediaRequest,
  receiveCount: number,
): Promise<void> {
  let said: Said;
  try {
    said = await mediaAnswer(deps, request);
  } catch (error) {
    if (isPassing(error) && receiveCount < MAX_RECEIVES)
      throw new RetryLater(describeError(error), { cause: error });
    said = {
      answer: message(md`bm could not list the media ${asked(request)}: ${describeError(error)}`),
      facts: { answer: "failed", error: error instanceof Error ? error.name : typeof error },
    };
  }
  const delivered = await answerPrivately(deps, request, said.answer, {
    media: request.target ?? "all",
  });
  // After the answer: a lost write only means a later answer says "first seen" later.
  await said.keep?.();
  await auditRead(deps, mediaEvent(request, said.facts, delivered, deps.now()));
}

function asked(request: MediaRequest) {
  return request.target === undefined ? md`of this tenant` : md`of ${code(request.target)}`;
}

/** The audit event of a media answer: under the read's id; who asked, where, what, what was shown. */
export function mediaEvent(
  request: MediaRequest,
  facts: Facts,
  delivered: boolean,
  at: Date,
): AuditEvent {
  return standaloneEvent(
    {
      operationId: request.readId ?? `channel-${request.channelId}`,
      actor: { teamId: request.teamId, userId: request.userId },
      action: "viewed:media",
      facts: {
        channel: request.channelId,
        tenant: request.tenant,
        ...(request.target === undefined ? {} : { asked: request.target }),
        ...facts,
        ...(delivered ? {} : { delivered: false }),
      },
    },
    at,
  );
}

async function mediaAnswer(deps: WorkerDeps, request: MediaRequest): Promise<Said> {
  // The tenant's credentials are used only for a channel bound to it, whatever the message says.
  const bound = boundTo(deps, request);
  if (!bound.ok)
    return {
      answer: message(md`bm did not list the media ${asked(request)}: ${bound.why}.`),
      facts: { answer: "refused", reason: bound.reason },
    };
  const tenant = await deps.openTenant(request.secretId);
  const { listed, scope, complete } = await readMedia(tenant.ecl, request.target);
  const now = deps.now();
  const read = await deps.sightings.read(request.tenant).catch((error: unknown) => {
    deps.log.warn("could not read the sightings; the answer shows no durations", {
      tenant: request.tenant,
      error: describeError(error),
    });
    return undefined;
  });
  const next = read && { read, seen: nextSightings(read.seen, listed, complete, now) };
  const { groups, unlisted, named } = await namedGroups(tenant.ecl, listed, scope, next?.seen);
  const servers = new Set(groups.flatMap((g) => g.servers.map((m) => m.server.id))).size;
  return {
    answer: mediaMessage({ scope, groups, unlisted, sightings: read !== undefined, now }),
    facts: {
      answer: "shown",
      scope: scope.kind,
      servers,
      images: groups.length,
      named,
      unlisted,
    },
    ...(next && !sameSightings(next.read.seen, next.seen)
      ? { keep: () => keepSightings(deps, request.tenant, next.read, next.seen) }
      : {}),
  };
}

/** Writes the sightings once; a lost race or a failure is logged, never waited on again. */
export async function keepSightings(
  deps: Pick<WorkerDeps, "sightings" | "log">,
  tenant: string,
  read: SightingsRead,
  seen: Record<string, string>,
): Promise<void> {
  try {
    if (!(await deps.sightings.write(tenant, read, seen)))
      deps.log.info("another answer wrote the sightings first; this one's are not written", {
        tenant,
      });
  } catch (error) {
    deps.log.warn("could not write the sightings", { tenant, error: describeError(error) });
  }
}

/** What `/bm media` read: the servers, what was asked, and whether the list was the whole tenant's. */
export interface MediaRead {
  listed: Server[];
  scope: MediaScope;
  /** Every server of the tenant was listed (not one server resolved by name). */
  complete: boolean;
}

/**
 * The servers `target` asks about: for a name, the one server it resolves to exactly
 * (`resolveServer`, as everywhere); else every server of the tenant, and the scope the target
 * names among them (a server's id, or else an image's). The worker and the CLI read so.
 */
export async function readMedia(
  ecl: Pick<EclApi, "resolveServer"> & FleetReads,
  target: string | undefined,
): Promise<MediaRead> {
  if (target !== undefined && !isUuid(target)) {
    const server = await ecl.resolveServer(target);
    return { listed: [server], scope: { kind: "server", server }, complete: false };
  }
  const listed = await listAll(ecl, Date.now() + MEDIA_READS.listMs);
  const wanted = target?.toLowerCase();
  const server = listed.find((s) => s.id.toLowerCase() === wanted);
  const scope: MediaScope = server
    ? { kind: "server", server }
    : wanted
      ? { kind: "image", imageId: wanted }
      : { kind: "all" };
  return { listed, scope, complete: true };
}

/**
 * {@link groupByImage}, narrowed by `keep` (the digest keeps what is stale), with the first
 * images' names from the image service ({@link imageNames}); `named`: how many it gave.
 */
export async function namedGroups(
  ecl: Pick<EclApi, "imageName">,
  listed: readonly Server[],
  scope: MediaScope,
  seen?: Readonly<Record<string, string>>,
  keep: (groups: ImageGroup[]) => ImageGroup[] = (all) => all,
): Promise<{ groups: ImageGroup[]; unlisted: number; named: number }> {
  const grouped = groupByImage(listed, scope, seen);
  const groups = keep(grouped.groups);
  const unlisted = grouped.unlisted;
  const names = await imageNames(
    ecl,
    groups.slice(0, MEDIA_READS.namedImages).map((g) => g.imageId),
    Date.now() + MEDIA_READS.namesMs,
  );
  for (const group of groups) {
    const name = names.get(group.imageId);
    if (name !== undefined) group.name = name;
  }
  return { groups, unlisted, named: names.size };
}

/**
 * Every server of the tenant, by the paged list (as the follow-up pages it), within `deadline`
 * (epoch ms). @throws what a page throws, and {@link ListTooSlowError} past the deadline.
 */
async function listAll(ecl: FleetReads, deadline: number): Promise<Server[]> {
  const servers: Server[] = [];
  const pages = ecl.listServerPages({
    limit: MEDIA_READS.pageSize,
    maxPages: MEDIA_READS.maxPages,
    timeoutMs: MEDIA_READS.pageTimeoutMs,
    retry: { retries: 1, baseDelayMs: 200 },
  });
  for await (const page of pages) {
    servers.push(...page);
    if (Date.now() > deadline)
      throw new ListTooSlowError(MEDIA_READS.listMs / 1000, servers.length);
  }
  return servers;
}

/**
 * The servers of `scope` grouped by image (ids in lower case): images on the most servers first,
 * then by id; servers by name, then id. With `seen`, each carries its first sighting. Servers
 * whose media ECL did not list are counted as `unlisted`, never shown as having none.
 */
export function groupByImage(
  servers: readonly Server[],
  scope: MediaScope,
  seen?: Readonly<Record<string, string>>,
): { groups: ImageGroup[]; unlisted: number } {
  const byImage = new Map<string, ImageGroup>();
  let unlisted = 0;
  const only = scope.kind === "server" ? scope.server.id.toLowerCase() : undefined;
  for (const server of servers) {
    if (only !== undefined && server.id.toLowerCase() !== only) continue;
    if (server.mediaIds === undefined) {
      unlisted++;
      continue;
    }
    for (const raw of server.mediaIds) {
      const imageId = raw.toLowerCase();
      if (scope.kind === "image" && imageId !== scope.imageId) continue;
      const group = byImage.get(imageId) ?? { imageId, servers: [] };
      byImage.set(imageId, group);
      const firstSeen = seen?.[sightingKey(server.id, imageId)];
      group.servers.push({ server, ...(firstSeen === undefined ? {} : { firstSeen }) });
    }
  }
  const groups = [...byImage.values()];
  for (const group of groups)
    group.servers.sort(
      (a, b) => compare(a.server.name, b.server.name) || compare(a.server.id, b.server.id),
    );
  groups.sort((a, b) => b.servers.length - a.servers.length || compare(a.imageId, b.imageId));
  return { groups, unlisted };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The image service's names of `ids`, `namesAtOnce` asked at a time, each read with its own short
 * deadline (EclClient's imageName, which never throws), all by `deadline` (epoch ms): a name not
 * read by then is left out, and the image is shown by its id alone.
 */
export async function imageNames(
  ecl: Pick<EclApi, "imageName">,
  ids: readonly string[],
  deadline: number,
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length && Date.now() < deadline) {
      const id = ids[next++] as string;
      const name = await ecl.imageName(id);
      if (name !== undefined && Date.now() <= deadline) names.set(id, name);
    }
  };
  await by(
    deadline,
    Promise.all(Array.from({ length: Math.min(MEDIA_READS.namesAtOnce, ids.length) }, worker)),
  );
  // A copy: a name that arrives after the deadline changes nothing already shown.
  return new Map(names);
}
