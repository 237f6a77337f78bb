/**
 * The App Home tab: what the front door reads for one person (from DynamoDB alone, no ECL call,
 * within Slack's 3 s) and publishes with `views.publish`, when they open the tab
 * (`app_home_opened`) and after they click on it.
 */
import { hasExpired, isTerminal, type Operation } from "../operations/operation";
import {
  channelPolicy,
  mayApprove,
  mayRequest,
  type Verdict,
  visibleTo,
} from "../policy/permissions";
import type { PolicyDeps } from "../policy/roles";
import { type HomeContent, homeView, type KnownMedia, RECENT_DAYS } from "../slack/home";
import type { Mrkdwn } from "../slack/mrkdwn";
import { by } from "../util/by";
import type { Budget } from "./budget";
import type { FrontDoorDeps } from "./deps";
import type { HomeOpened } from "./payloads";
import { isServed } from "./workspace";

/** How many of each tenant's latest operations the Home reads (a glance, as `/bm history`). */
export const TENANT_READ = 50;

/** States in which the worker's last read found the image attached and no detach was sent yet. */
const ATTACHED = new Set<Operation["state"]>([
  "awaiting_approval",
  "rejected",
  "expired",
  "cancelled",
]);
/** States of a detach under way: the image was attached when it was read, and is going. */
const DETACHING = new Set<Operation["state"]>([
  "approved",
  "waiting_for_idle",
  "executing",
  "detaching",
]);

/**
 * What `userId`'s Home shows, read from the table: the in-flight index once, and the latest
 * {@link TENANT_READ} operations of each tenant where they may request.
 */
export async function homeContent(
  deps: Pick<FrontDoorDeps, "store" | "policy" | "groupMembers" | "person" | "log" | "now">,
  who: { teamId: string; userId: string },
): Promise<HomeContent> {
  const now = deps.now();
  const once = onceEach(deps);
  const since = new Date(now.getTime() - RECENT_DAYS * 86_400_000).toISOString();
  const [inflight, tenants] = await Promise.all([
    deps.store.listInFlight(),
    requestTenants(once, who.userId),
  ]);
  const waiting = inflight.filter(
    (op) => op.state === "awaiting_approval" && !hasExpired(op, now) && op.teamId === who.teamId,
  );
  const verdicts = await Promise.all(waiting.map((op) => mayApprove(once, op, who.userId)));
  // A fleet request is one line, with its counts: its targets are not lines of their own.
  const mine = (op: Operation) =>
    op.requester === who.userId && op.teamId === who.teamId && !op.parentId;
  const [reads, sights] = await Promise.all([
    Promise.all(tenants.map((tenant) => deps.store.recentForTenant(tenant, TENANT_READ))),
    // Issue 21's rule: nothing of a channel the person may not look in (a restricted one).
    Promise.all(tenants.map((tenant) => visibleTo(once, tenant, who.userId))),
  ]);
  const read = reads.flat();
  return {
    userId: who.userId,
    awaiting: waiting
      .filter((_, i) => (verdicts[i] as Verdict).ok)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    inFlight: inflight
      .filter((op) => mine(op) && !isTerminal(op.state))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    recent: read
      .filter((op) => mine(op) && isTerminal(op.state) && (op.finishedAt ?? op.updatedAt) >= since)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    media: tenants.map((tenant, i) => ({
      tenant,
      servers: knownMedia(
        (reads[i] as Operation[]).filter(
          (op) => op.createdAt >= since && sights[i]?.(op) === "shown",
        ),
      ),
    })),
  };
}

/**
 * The servers with media attached that these operations (one tenant's, newest first) show: for
 * each image of each server, the newest operation, if its read found the image attached.
 */
export function knownMedia(ops: Operation[]): KnownMedia[] {
  const seen = new Set<string>();
  const known: KnownMedia[] = [];
  for (const op of ops) {
    if (!op.serverId || op.mediaUnknown) continue;
    const key = `${op.serverId}#${op.imageId.toLowerCase()}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const detaching = DETACHING.has(op.state);
    if (!detaching && !ATTACHED.has(op.state)) continue;
    known.push({
      tenant: op.tenant,
      serverId: op.serverId,
      ...(op.serverName ? { serverName: op.serverName } : {}),
      imageId: op.imageId,
      seenAt: op.createdAt,
      detaching,
    });
  }
  return known;
}

/** The tenants of the channels where the user may request, each once, in the policy's order. */
async function requestTenants(deps: PolicyDeps, userId: string): Promise<string[]> {
  const channels = Object.keys(deps.policy.channels);
  const verdicts = await Promise.all(channels.map((id) => mayRequest(deps, id, userId)));
  const tenants = channels
    .filter((_, i) => (verdicts[i] as Verdict).ok)
    .map((id) => channelPolicy(deps.policy, id)?.tenant as string);
  return [...new Set(tenants)];
}

/** The deps with each user group asked of Slack once for this Home (as `visibleTo` does). */
function onceEach<T extends PolicyDeps>(deps: T): T {
  const asked = new Map<string, Promise<string[]>>();
  return {
    ...deps,
    groupMembers: (group: string) => {
      const members = asked.get(group) ?? deps.groupMembers(group);
      asked.set(group, members);
      return members;
    },
  };
}

/** What came of an opened Home: published, or why not. */
export type HomeOutcome =
  | "published"
  | "not_home"
  | "foreign"
  | "repeat"
  | "claim_unknown"
  | "late"
  | "publish_failed";

/**
 * `app_home_opened`: the person's Home built and published, once per event. A retry of Slack's
 * (`X-Slack-Retry-Num`) or the same event again finds the event claimed and does nothing. A claim
 * the table could not answer (an error, or no answer in time) is an unknown, not a yes: it may
 * have been taken by a delivery at work, so nothing is published, and the tab keeps what it
 * showed until it is opened again. Never throws: the Lambda receiver answers only when this
 * returns, and anything but a 2xx makes Slack send the event again.
 */
export async function openHome(
  deps: FrontDoorDeps,
  budget: Budget,
  opened: HomeOpened,
): Promise<HomeOutcome> {
  if (opened.tab !== "home") return "not_home";
  if (!isServed(deps.policy, opened.who)) {
    deps.log.info("refused an event of another workspace", { team: opened.who.teamId });
    return "foreign";
  }
  // Remembered, beside the claim, so that a change it shows publishes it again
  // (republish-home.ts): best effort, and harmless twice.
  const remember = deps.homes
    ?.opened(opened.who.userId, deps.now())
    .catch((error: unknown) =>
      deps.log.warn("could not remember the Home opened", { error: (error as Error).name }),
    );
  const [claimed] = await Promise.all([
    by(
      budget.workBy,
      deps.events.claim(opened.eventId, deps.now()).catch((error: unknown) => {
        deps.log.warn("event claim failed; no Home published", {
          error: (error as Error).name,
        });
        return "failed" as const;
      }),
    ),
    by(budget.workBy, remember ?? Promise.resolve()),
  ]);
  if (claimed === false) {
    deps.log.info("event seen already", { eventId: opened.eventId });
    return "repeat";
  }
  if (claimed !== true) {
    if (claimed === undefined)
      deps.log.warn("event claim late; no Home published", { elapsedMs: budget.elapsed() });
    return "claim_unknown";
  }
  return publishHome(deps, budget, opened.who, budget.workBy);
}

/**
 * When a Home rebuilt after a click must be read: half of what is left for the reply, the other
 * half for `views.publish`.
 */
export function homeBuildBy(budget: Budget, now = Date.now()): number {
  return now + Math.floor((budget.replyMs() ?? 0) / 2);
}

/**
 * Builds `who`'s Home by `buildBy` and publishes it in the time the budget leaves (at most a
 * second); `notice` is put at its top. A build not done in time publishes nothing: the tab keeps
 * what it showed.
 */
export async function publishHome(
  deps: FrontDoorDeps,
  budget: Budget,
  who: { teamId: string; userId: string },
  buildBy: number,
  notice?: Mrkdwn,
): Promise<HomeOutcome> {
  const content = await by(
    buildBy,
    homeContent(deps, who).catch((error: unknown) => {
      deps.log.warn("home read failed", { error: (error as Error).name });
      return undefined;
    }),
  );
  const ms = budget.replyMs();
  if (!content || ms === undefined) {
    deps.log.warn("no Home published: its reads were late or failed", {
      elapsedMs: budget.elapsed(),
    });
    return "late";
  }
  const view = homeView({ ...content, ...(notice ? { notice } : {}) });
  const done = await by(
    Date.now() + ms,
    deps.chat.publishHome(who.userId, view).then(
      () => true,
      (error: unknown) => {
        deps.log.warn("views.publish failed", {
          error: (error as Error).name,
          slackError: (error as { code?: string }).code,
        });
        return false;
      },
    ),
  );
  return done ? "published" : "publish_failed";
}
