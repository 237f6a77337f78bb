/**
 * The verifier: recomputes every chain of the audit table and checks it against the operations'
 * own records, the days' seals and, where there is one, the write-once archive. Pure: the CLI
 * and the daily check read the tables and the archive, and say what this finds.
 */
import { canonicalJson, eventHash } from "./chain";
import { linesOfDay, nextDay, SEAL_CHAIN, type Seal, type StoredEvent } from "./seal";

/** What a finding says of an event. */
export type FindingKind =
  /** Its content no longer gives its hash, or differs from the archived copy. */
  | "changed"
  /** It is missing: a gap in its chain, a seal or the archive lists it, its operation names it. */
  | "removed"
  /** It is in no chain: a second event for one place, one a seal does not list, or one under a key of no form bm writes. */
  | "inserted"
  /** It sits under another event's key. */
  | "moved"
  /** Its chain breaks at it: it names a predecessor other than the event before it. */
  | "broken"
  /** It has no hash, or names no predecessor where it should. */
  | "unchained"
  /** It is not in the archive yet, past the archive's grace. */
  | "unarchived"
  /** The stream recorded a change or a deletion of it (the archive keeps both images). */
  | "rewritten";

export interface Finding {
  operationId: string;
  /** The event's key in the audit table (`e000003`, `r…`, a seal's `e…`). */
  event: string;
  kind: FindingKind;
  detail: string;
}

/** An operation as its own record says: its last event, and the events still in its outbox. */
export interface Head {
  id: string;
  seq: number;
  hash?: string;
  /** The seqs of the events in its outbox, and when the oldest was made. */
  unaudited: number[];
}

/** A change the archive recorded from the audit table's stream (a MODIFY or a REMOVE). */
export interface ArchivedChange {
  operationId: string;
  event: string;
  kind: "MODIFY" | "REMOVE";
  at: string;
}

export interface VerifyInput {
  table: readonly StoredEvent[];
  heads?: readonly Head[];
  /** The archived events, when there is an archive (else the chains and seals alone). */
  archive?: readonly StoredEvent[];
  changes?: readonly ArchivedChange[];
  /** Only events at or after this time (ISO), and the operations that have one, are verified. */
  since?: string;
  now: Date;
  /** How long an event may take to reach the archive before its absence is a finding. */
  archiveGraceMs: number;
}

export interface Verdict {
  findings: Finding[];
  /** What was verified: events, operations (chains), seals, and events compared with the archive. */
  counted: { events: number; chains: number; seals: number; archived: number };
}

const placeOf = (e: { operationId: string; event: string }) => `${e.operationId}\u0000${e.event}`;

/** Verifies the trail. Findings come in the order of operation id, then event key. */
export function verify(input: VerifyInput): Verdict {
  const findings: Finding[] = [];
  const found = (operationId: string, event: string, kind: FindingKind, detail: string) =>
    findings.push({ operationId, event, kind, detail });
  const inWindow = (e: { at: string }) => !input.since || e.at >= input.since;

  // The table's keys are always there; anything else may be missing from a planted item.
  const table = input.table.filter((item) => {
    if (typeof item.at === "string") return true;
    found(item.operationId, item.event, "inserted", "it has no time, as no event bm writes");
    return false;
  });
  const byChain = new Map<string, StoredEvent[]>();
  for (const item of table) {
    const list = byChain.get(item.operationId) ?? [];
    list.push(item);
    byChain.set(item.operationId, list);
  }
  // An operation is verified whole when any of its events is in the window.
  const verified = [...byChain.entries()].filter(([, events]) => events.some(inWindow));
  const chosen = new Set(verified.map(([id]) => id));
  let counted = 0;
  for (const [operationId, events] of verified) {
    counted += events.length;
    checkChain(operationId, events, found);
  }
  const heads = new Map((input.heads ?? []).map((h) => [h.id, h]));
  for (const [id, head] of heads) {
    if (chosen.has(id) || input.since === undefined) checkHead(head, byChain.get(id) ?? [], found);
  }
  const seals = checkSeals(table, input.since, found);
  let archived = 0;
  if (input.archive) archived = checkArchive(input, table, input.archive, chosen, found);
  for (const change of input.changes ?? [])
    if (!input.since || change.at >= input.since)
      found(
        change.operationId,
        change.event,
        "rewritten",
        change.kind === "MODIFY"
          ? `it was written over at ${change.at} (the archive keeps the first and the new content)`
          : `it was deleted from the audit table at ${change.at} (the archive keeps it)`,
      );
  return {
    findings: merged(findings),
    counted: { events: counted, chains: verified.length, seals, archived },
  };
}

type Found = (operationId: string, event: string, kind: FindingKind, detail: string) => void;

/** The key an event of `seq` in a chain has. */
const keyOfSeq = (seq: number) => `e${String(seq).padStart(6, "0")}`;

/** One chain: each event's hash, its key, and its link to the one before; gaps; doubles. */
function checkChain(operationId: string, events: readonly StoredEvent[], found: Found): void {
  const bySeq = new Map<number, StoredEvent[]>();
  for (const e of events) {
    if (!e.hash) found(operationId, e.event, "unchained", "it carries no hash");
    else if (eventHash(e) !== e.hash)
      found(operationId, e.event, "changed", "its content no longer gives its hash");
    if (!Number.isInteger(e.seq) || e.seq < 0) {
      found(operationId, e.event, "inserted", `its seq ${String(e.seq)} is of no form bm writes`);
      continue;
    }
    if (e.seq === 0) {
      if (!e.event.startsWith("r") || operationId === SEAL_CHAIN)
        found(
          operationId,
          e.event,
          "inserted",
          "a standalone event under a key bm never gives one",
        );
      continue;
    }
    if (e.event !== keyOfSeq(e.seq)) {
      found(
        operationId,
        e.event,
        "moved",
        `it holds event #${e.seq}, whose key is ${keyOfSeq(e.seq)}`,
      );
      continue;
    }
    const list = bySeq.get(e.seq) ?? [];
    list.push(e);
    bySeq.set(e.seq, list);
  }
  const last = Math.max(0, ...bySeq.keys());
  for (let seq = 1; seq <= last; seq++) {
    const here = bySeq.get(seq)?.[0];
    if (!here) {
      found(operationId, keyOfSeq(seq), "removed", `event #${seq} is missing from its chain`);
      continue;
    }
    const before = bySeq.get(seq - 1)?.[0];
    if (seq === 1) {
      if (here.prev !== undefined)
        found(operationId, here.event, "broken", "the first event of a chain names a predecessor");
    } else if (before?.hash && here.prev !== before.hash) {
      found(
        operationId,
        here.event,
        "broken",
        here.prev === undefined
          ? `it names no predecessor; ${before.event} comes before it`
          : `it names a predecessor other than ${before.event}: one of the two was rewritten or replaced`,
      );
    }
  }
}

/** An operation's record against its chain: its last event is the chain's last, with its hash. */
function checkHead(head: Head, events: readonly StoredEvent[], found: Found): void {
  // A standalone event (seq 0) is no place in the chain: the loops below start at 1.
  const stored = new Map(events.map((e) => [e.seq, e]));
  // Gaps inside the chain are the chain's own finding; this is the tail it cannot see.
  const top = Math.max(0, ...stored.keys());
  for (let seq = top + 1; seq <= head.seq; seq++) {
    if (head.unaudited.includes(seq)) continue;
    found(
      head.id,
      keyOfSeq(seq),
      "removed",
      `its operation has ${head.seq} events; #${seq} is not in the audit table`,
    );
  }
  const last = stored.get(head.seq);
  if (last && head.hash && last.hash !== head.hash)
    found(head.id, last.event, "changed", "its operation's record names another last event");
  const beyond = [...stored.keys()].filter((seq) => seq > head.seq);
  for (const seq of beyond)
    found(head.id, keyOfSeq(seq), "inserted", `its operation has only ${head.seq} events`);
}

/** The seals' chain (the generic checks do its links) against the days' events. */
function checkSeals(
  table: readonly StoredEvent[],
  since: string | undefined,
  found: Found,
): number {
  const seals = table
    .filter((e): e is Seal & { event: string } => e.operationId === SEAL_CHAIN && e.seq > 0)
    .sort((a, b) => a.seq - b.seq);
  let checked = 0;
  for (const [i, seal] of seals.entries()) {
    const day = seal.facts?.day;
    const before = seals[i - 1];
    const dayBefore = before?.facts?.day;
    if (before && day !== nextDay(String(dayBefore)))
      found(SEAL_CHAIN, seal.event, "broken", `it seals ${day}, not the day after ${dayBefore}`);
    if (since && `${day}T23:59:59.999Z` < since) continue;
    checked++;
    const listed = new Set(Array.isArray(seal.sealed) ? seal.sealed : []);
    const now = new Set(linesOfDay(table, day));
    const place = (line: string) => line.split(" ").slice(0, 2) as [string, string];
    const nowByPlace = new Map([...now].map((l) => [place(l).join(" "), l]));
    const listedByPlace = new Map([...listed].map((l) => [place(l).join(" "), l]));
    for (const [where, line] of listedByPlace) {
      const [operationId, event] = place(line);
      const current = nowByPlace.get(where);
      if (current === undefined)
        found(
          operationId,
          event,
          "removed",
          `the seal of ${day} lists it; the audit table has it no more`,
        );
      else if (current !== line)
        found(
          operationId,
          event,
          "changed",
          `its hash differs from the one the seal of ${day} lists`,
        );
    }
    for (const [where, line] of nowByPlace)
      if (!listedByPlace.has(where)) {
        const [operationId, event] = place(line);
        found(operationId, event, "inserted", `it is of ${day}, which was sealed without it`);
      }
  }
  return checked;
}

/** The table against the archive: each event in both, the same. */
function checkArchive(
  input: VerifyInput,
  items: readonly StoredEvent[],
  copies: readonly StoredEvent[],
  chosen: ReadonlySet<string>,
  found: Found,
): number {
  const archive = new Map(copies.map((e) => [placeOf(e), e]));
  const table = new Map(items.map((e) => [placeOf(e), e]));
  // The seals are a chain like the others: chosen when one of them is in the window.
  const verifiedHere = (e: StoredEvent) => chosen.has(e.operationId);
  let compared = 0;
  const graceStart = new Date(input.now.getTime() - input.archiveGraceMs).toISOString();
  for (const [where, item] of table) {
    if (!verifiedHere(item)) continue;
    const copy = archive.get(where);
    if (!copy) {
      if (item.at < graceStart)
        found(item.operationId, item.event, "unarchived", "it is not in the archive");
      continue;
    }
    compared++;
    if (canonicalJson(copy) !== canonicalJson(item))
      found(item.operationId, item.event, "changed", "it differs from its archived copy");
  }
  for (const [where, copy] of archive)
    if (
      !table.has(where) &&
      (!input.since || copy.at >= input.since || chosen.has(copy.operationId))
    )
      found(
        copy.operationId,
        copy.event,
        "removed",
        "the archive has it; the audit table has it no more",
      );
  return compared;
}

/**
 * One finding per event and kind (a removed event is a gap in its chain and missing from its
 * seal: one finding, both reasons), in the order of operation id, then event key.
 */
function merged(findings: readonly Finding[]): Finding[] {
  const byPlace = new Map<string, Finding>();
  for (const f of findings) {
    const where = `${f.operationId}\u0000${f.event}\u0000${f.kind}`;
    const seen = byPlace.get(where);
    if (!seen) byPlace.set(where, { ...f });
    else seen.detail = `${seen.detail}; ${f.detail}`;
  }
  return [...byPlace.values()].sort(
    (a, b) =>
      a.operationId.localeCompare(b.operationId) ||
      a.event.localeCompare(b.event) ||
      a.kind.localeCompare(b.kind),
  );
}
