/**
 * Recording a detach request once its server and image are known: the operation written (once,
 * whatever repeats), its first audit events appended, `prepare` queued. Used by the front door
 * for a typed command or a pick, and by the worker for a name it looked up.
 */
import type { Metrics } from "../metrics";
import { code, type Mrkdwn, md } from "../slack/mrkdwn";
import { plural } from "../util/plural";
import { newOperation, type Operation, operationIdFor, stateWords } from "./operation";
import type { AuditLog, OperationStore, WorkQueue } from "./ports";
import { type RecordedSummary, type RequestFields, withPicks } from "./request";

export interface RecordRequestDeps {
  store: OperationStore;
  audit: AuditLog;
  queue: WorkQueue;
  now: () => Date;
  log: { info(message: string, extra?: object): void; warn(message: string, extra?: object): void };
  metrics?: Metrics;
}

export type Recorded =
  | { kind: "recorded"; op: Operation; handedOver: boolean }
  | { kind: "existing"; op: Operation }
  /** The write's answer was lost: whether it happened is unknown. */
  | { kind: "unknown"; operationId: string };

export async function recordRequest(
  deps: RecordRequestDeps,
  fields: RequestFields,
): Promise<Recorded> {
  const { seed, picks = [], serverName, via, ...rest } = fields;
  const id = operationIdFor(fields.teamId, seed);
  const op = withPicks(
    newOperation({ id, ...rest, ...(serverName ? { serverName } : {}) }, deps.now(), via),
    picks,
  );
  let created: Awaited<ReturnType<typeof deps.store.create>>;
  try {
    created = await deps.store.create(op);
  } catch (error) {
    deps.log.warn("could not confirm the request was recorded", {
      operationId: id,
      error: (error as Error).name,
    });
    return { kind: "unknown", operationId: id };
  }
  if (!created.created) {
    // A repeated delivery or click: hand it over again if it still waits (the worker moves an
    // operation once, whatever it receives).
    if (created.existing.state === "requested")
      await deps.queue.send({ kind: "prepare", operationId: id }).catch(() => undefined);
    return { kind: "existing", op: created.existing };
  }
  deps.metrics?.put("OperationRequested", 1, op.approvalsRequired > 0 ? "required" : "none");
  // The audit events are written beside the enqueue, not after it: both are needed, neither waits
  // for the other. They also wait in the operation's outbox: a lost append is made by the worker.
  const audited = Promise.all(op.unaudited.map((event) => deps.audit.append(event))).catch(
    (error: unknown) => {
      deps.metrics?.put("AuditWriteError", 1);
      deps.log.warn("audit append failed; the worker makes it", {
        operationId: id,
        error: (error as Error).name,
      });
    },
  );
  let handedOver = true;
  try {
    await deps.queue.send({ kind: "prepare", operationId: id });
  } catch (error) {
    // The send may have reached SQS all the same (a timeout): the request is not failed on a
    // guess. It is recorded, watched, and handed over by the follow-up if the worker never takes it.
    handedOver = false;
    deps.log.warn("could not enqueue; the follow-up hands it over", {
      operationId: id,
      error: (error as Error).name,
    });
  }
  await audited;
  deps.log.info("requested", { operationId: id });
  return { kind: "recorded", op, handedOver };
}

export function summaryOf(result: Recorded, fields: RequestFields): RecordedSummary {
  const base = {
    kind: result.kind,
    imageId: fields.imageId,
    approvalsRequired: fields.approvalsRequired,
  };
  if (result.kind === "unknown") return { ...base, operationId: result.operationId };
  if (result.kind === "existing")
    return { ...base, operationId: result.op.id, state: result.op.state };
  return { ...base, operationId: result.op.id, handedOver: result.handedOver };
}

/** What the requester is told of a request just recorded (or found recorded already). */
export function recordedWords(result: RecordedSummary, server: Mrkdwn | string): Mrkdwn {
  const id = result.operationId;
  if (result.kind === "unknown")
    return md`bm could not confirm that it recorded ${code(id)} (its database did not answer in time). If it did, the request goes on by itself: ${code(`/bm status ${id}`)} in a minute tells you; if not, ask again.`;
  if (result.kind === "existing")
    return md`This request is already recorded as ${code(id)} (${stateWords(result.state ?? "")}).`;
  const next =
    result.approvalsRequired > 0
      ? md`It needs ${plural(result.approvalsRequired, "approval")}; bm will post the request in this channel for approvers.`
      : md`bm will check the server and post progress in this channel.`;
  const later =
    result.handedOver === false
      ? md` (bm could not hand it to its worker at once; it will within a minute or two.)`
      : "";
  return md`Recorded ${code(id)}: detach image ${code(result.imageId)} from ${server}. ${next}${later}`;
}
