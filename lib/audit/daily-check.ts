/**
 * The scheduled audit check (handlers/audit-check.ts), once a day: seals every day not sealed
 * yet, verifies the last days of the trail against the chains, the seals and the archive, says
 * how many findings there are (`AuditFindings`, every run), and posts each new seal to the
 * policy's audit channel, when it names one.
 */
import type { Metrics } from "../metrics";
import type { AuditEvent } from "../operations/operation";
import type { Log } from "../runtime/log";
import type { Chat } from "../slack/chat";
import { sealMessage } from "../slack/messages";
import type { ArchivedChange as StoredChange } from "./archive";
import { findingLine, measureVerdict, sealDays, type TrailSource, verifyTrail } from "./check";
import { dayOf, type Seal, type StoredEvent } from "./seal";
import type { ArchivedChange, Verdict } from "./verify";

/**
 * How many days back each run verifies: yesterday, just sealed, and the day before it again (an
 * event that waited in an outbox over midnight, a run that failed). Older days need no daily
 * read: a change of an older event is a write to the table, which the archive records under
 * `changes/` on the day it happened, and those days are read. `npm run audit -- --verify`
 * verifies everything.
 */
export const CHECK_DAYS = 2;

/** The archive as {@link readArchive} (lib/aws/s3-audit-archive.ts) reads it back. */
export interface ArchiveRead {
  events: Array<{ item: Record<string, unknown> }>;
  changes: Array<{ change: StoredChange }>;
}

export interface AuditCheckDeps {
  /** The audit table and the operations' heads (the archive comes from {@link archive}). */
  source: Omit<TrailSource, "archive">;
  /** The archive's events and changes of `sinceDay` and after; none without an archive. */
  archive?: ((sinceDay: string) => Promise<ArchiveRead>) | undefined;
  /** Appends a seal to the audit table (DynamoAuditLog). */
  append(seal: AuditEvent): Promise<void>;
  /**
   * Where the seals are posted: the policy's audit channel and a Chat; none when the policy names
   * no channel. Throws when Slack cannot be set up (the secret unreadable): the post is skipped.
   */
  sealChannel(): Promise<{ channel: string; chat: Chat } | undefined>;
  log: Log;
  metrics: Metrics;
  now(): Date;
}

/** The start (UTC midnight) of the first day a run at `now` verifies. */
export function checkSince(now: Date): Date {
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00.000Z`);
  return new Date(today - CHECK_DAYS * 86_400_000);
}

/**
 * The first day of the archive to read: the day of `since`, or earlier for an operation with an
 * event since then whose first events are older (the verifier compares it whole).
 */
export function archiveSinceDay(table: readonly StoredEvent[], since: Date): string {
  const from = since.toISOString();
  const recent = new Set(table.filter((e) => e.at >= from).map((e) => e.operationId));
  const days = table.filter((e) => recent.has(e.operationId)).map((e) => dayOf(e.at));
  return [dayOf(from), ...days].sort()[0] as string;
}

/** The archive's copies and changes, as the verifier takes them. */
export function archivedTrail(read: ArchiveRead): {
  events: StoredEvent[];
  changes: ArchivedChange[];
} {
  return {
    events: read.events.map((e) => e.item as unknown as StoredEvent),
    changes: read.changes.map(({ change }) => ({
      operationId: change.keys.operationId,
      event: change.keys.event,
      // An INSERT whose archived copy differs: the event was written over (removed and put again).
      kind: change.eventName === "REMOVE" ? "REMOVE" : "MODIFY",
      at: change.seenAt ?? String(change.newImage?.at ?? change.oldImage?.at ?? ""),
    })),
  };
}

/**
 * One run of the check.
 * @throws the reader's error when the table, the heads or the archive cannot be read (no
 * `AuditFindings` then: the function's Errors alarm says it); a failed post never throws.
 */
export async function auditCheck(
  deps: AuditCheckDeps,
): Promise<{ seals: Seal[]; verdict: Verdict }> {
  const now = deps.now();
  const table = await deps.source.items();
  const seals = await sealDays(table, (seal) => deps.append(seal), now);
  const since = checkSince(now);
  const archive = deps.archive;
  // Read again: the seals just made are verified as the table holds them.
  const verdict = await verifyTrail(
    {
      items: () => deps.source.items(),
      heads: () => deps.source.heads(),
      ...(archive
        ? { archive: async () => archivedTrail(await archive(archiveSinceDay(table, since))) }
        : {}),
    },
    { since, now },
  );
  measureVerdict(deps.metrics, verdict);
  for (const finding of verdict.findings) deps.log.error(findingLine(finding), { ...finding });
  deps.log.info("audit check finished", {
    since: since.toISOString(),
    sealed: seals.map((s) => s.facts.day),
    findings: verdict.findings.length,
    ...verdict.counted,
    archive: archive !== undefined,
  });
  if (seals.length > 0) await postSeals(deps, seals);
  return { seals, verdict };
}

/**
 * Posts each seal in the audit channel. A failure is logged at error level, as nothing else
 * tells that the copy outside AWS is missing (a failed call is also counted as SlackError); the
 * seal is in the table already, and `npm run audit -- --verify` shows it.
 */
async function postSeals(deps: AuditCheckDeps, seals: readonly Seal[]): Promise<void> {
  let target: { channel: string; chat: Chat } | undefined;
  try {
    target = await deps.sealChannel();
  } catch (error) {
    deps.log.error("audit seal not posted: Slack could not be set up", {
      error: (error as Error).name,
      days: seals.map((s) => s.facts.day),
    });
    return;
  }
  if (!target) return;
  for (const seal of seals) {
    try {
      await target.chat.post(target.channel, sealMessage(seal));
    } catch (error) {
      deps.log.error("audit seal not posted", {
        day: seal.facts.day,
        channel: target.channel,
        error: (error as Error).name,
        code: (error as { code?: unknown }).code,
      });
    }
  }
}
