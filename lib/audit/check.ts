/**
 * The audit check: what `npm run audit -- --verify` and `--seal` do, and the scheduled check
 * does daily in the stack. It reads through {@link TrailSource}, so the CLI and the function
 * read the same way (lib/aws/audit-export.ts, and the archive's reader).
 */
import type { Metrics } from "../metrics";
import type { AuditEvent } from "../operations/operation";
import { plural } from "../util/plural";
import { dayOf, daysToSeal, SEAL_CHAIN, type Seal, type StoredEvent, sealDay } from "./seal";
import { type ArchivedChange, type Finding, type Head, type Verdict, verify } from "./verify";

/** Where the trail is read from. */
export interface TrailSource {
  /** Every item of the audit table. */
  items(): Promise<StoredEvent[]>;
  /** What each operation's record says of its trail. */
  heads(): Promise<Head[]>;
  /** The archive's copies and the changes it recorded, when there is an archive. */
  archive?(): Promise<{ events: StoredEvent[]; changes: ArchivedChange[] }>;
}

/** How long an event may take to reach the archive: the stream and the archiver's retries. */
export const ARCHIVE_GRACE_MS = 15 * 60_000;

/** Reads everything and verifies it. */
export async function verifyTrail(
  source: TrailSource,
  options: { since?: Date; now: Date },
): Promise<Verdict> {
  const [table, heads, archive] = await Promise.all([
    source.items(),
    source.heads(),
    source.archive?.(),
  ]);
  return verify({
    table,
    heads,
    ...(archive ? { archive: archive.events, changes: archive.changes } : {}),
    ...(options.since ? { since: options.since.toISOString() } : {}),
    now: options.now,
    archiveGraceMs: ARCHIVE_GRACE_MS,
  });
}

/**
 * Seals every day not sealed yet, up to yesterday (UTC), each chained to the one before, and
 * appends the seals to the audit table. Returns the seals made.
 */
export async function sealDays(
  table: readonly StoredEvent[],
  append: (seal: AuditEvent) => Promise<void>,
  now: Date,
): Promise<Seal[]> {
  const seals = table
    .filter((e): e is StoredEvent & Seal => e.operationId === SEAL_CHAIN && e.seq > 0)
    .sort((a, b) => a.seq - b.seq);
  let last: Seal | undefined = seals.at(-1);
  // Without a seal yet, the first day is the first event's (sealDay leaves seals out).
  const first = table.map((e) => dayOf(e.at)).sort()[0];
  const made: Seal[] = [];
  for (const day of daysToSeal(last?.facts.day, first, now)) {
    const seal = sealDay(day, table, last, now);
    await append(seal);
    made.push(seal);
    last = seal;
  }
  return made;
}

/** One finding, in a line: `op-… e000003: changed (its content no longer gives its hash)`. */
export function findingLine(finding: Finding): string {
  return `${finding.operationId} ${finding.event}: ${finding.kind} (${finding.detail})`;
}

/** The verdict's last line. */
export function verdictLine(verdict: Verdict, archived: boolean): string {
  const { events, chains, seals, archived: compared } = verdict.counted;
  const what = `${events} events in ${chains} chains, ${seals} seals${archived ? `, ${compared} compared with the archive` : " (no archive: the chains and seals alone)"}`;
  return verdict.findings.length === 0
    ? `audit: verified ${what}: all hold.`
    : `audit: verified ${what}: ${plural(verdict.findings.length, "finding")}.`;
}

/** Puts the check's metric: the number of findings (0 when all hold), every run. */
export function measureVerdict(metrics: Metrics, verdict: Verdict): void {
  metrics.put("AuditFindings", verdict.findings.length);
}
