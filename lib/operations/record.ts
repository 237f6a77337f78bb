/**
 * Making an operation's changes stick: a transition is saved (a conditional write), its audit
 * event appended, and the message it owes posted in Slack exactly once.
 */
import type { Chat, SlackMessage } from "../slack/chat";
import { parentMessage, threadNotice } from "../slack/messages";
import type { Operation } from "./operation";
import type { AuditLog, OperationStore } from "./ports";

export interface RecordDeps {
  store: OperationStore;
  audit: AuditLog;
  chat: Chat;
  now: () => Date;
  idleWaitS: number;
}

/** How long a poster may take before another may try: far above a few Slack calls. */
const NOTICE_LEASE_MS = 60_000;

/**
 * Saves a transition made by {@link transition} and appends its audit event.
 * Returns the saved operation, or undefined when another writer moved it first (the caller
 * then stops: the other writer owns what follows).
 */
export async function commit(
  deps: Pick<RecordDeps, "store" | "audit">,
  prev: Operation,
  next: Operation,
): Promise<Operation | undefined> {
  const saved = await deps.store.save(prev, next);
  if (saved && saved.seq !== prev.seq) await deps.audit.append(saved.lastEvent);
  return saved;
}

/**
 * Re-appends the latest audit event. Appends are idempotent, so this repairs the one gap a crash
 * can leave: a transition saved whose event was not yet written.
 */
export function ensureAudited(deps: Pick<RecordDeps, "audit">, op: Operation): Promise<void> {
  return deps.audit.append(op.lastEvent);
}

/**
 * Posts what the operation owes Slack for its latest transition: the parent message (posted the
 * first time, updated after) and the thread reply of its state. A lease stops two pollers from
 * posting twice; a failure releases it, so the next attempt posts instead: nothing is lost.
 * Returns the operation as saved.
 * @throws the Slack error, after releasing the lease.
 */
export async function announce(deps: RecordDeps, op: Operation): Promise<Operation> {
  if ((op.noticedSeq ?? 0) >= op.seq) return op;
  const now = deps.now();
  if ((op.noticeLeaseUntil ?? 0) > now.getTime()) return op;
  const leased = await deps.store.save(op, {
    ...op,
    noticeLeaseUntil: now.getTime() + NOTICE_LEASE_MS,
  });
  if (!leased) return (await deps.store.get(op.id)) ?? op;

  let { parentTs, permalink } = leased;
  try {
    const parent: SlackMessage = parentMessage(leased);
    if (!parentTs) {
      parentTs = await deps.chat.post(leased.channelId, parent);
      permalink = await deps.chat.permalink(leased.channelId, parentTs).catch(() => undefined);
    } else {
      await deps.chat.update(leased.channelId, parentTs, parent);
    }
    const notice = threadNotice(leased, now, deps.idleWaitS);
    if (notice) await deps.chat.post(leased.channelId, { text: notice }, parentTs);
  } catch (error) {
    const released = without(
      { ...leased, ...defined({ parentTs, permalink }) },
      "noticeLeaseUntil",
    );
    await deps.store.save(leased, released).catch(() => undefined);
    throw error;
  }
  const done = without(
    { ...leased, ...defined({ parentTs, permalink }), noticedSeq: leased.seq },
    "noticeLeaseUntil",
  );
  if (done.inflight === "notice") delete done.inflight;
  return (await deps.store.save(leased, done)) ?? leased;
}

/** A copy without the given optional fields. */
export function without<T extends object, K extends keyof T>(value: T, ...keys: K[]): T {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}
