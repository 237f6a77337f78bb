/** The fault matrix's DynamoDB sites: every write and read of a detach, failing three ways. */
import type { LocalStack } from "../../local/stack";
import { auditOf, hitsOf, type Site, transitionTo } from "./matrix";

const ALL = ["error", "hang", "lost-answer"] as const;
const ops = (stack: LocalStack) => () => stack.env.BM_TABLE as string;
const audit = (stack: LocalStack) => () => stack.env.BM_AUDIT_TABLE as string;
/** Enough matching calls to outlast the SDK's own tries (the worker's three, the front door's two). */
const TIMES = { error: 3, hang: 3, "lost-answer": 1 } as const;

/** A DynamoDB call of `target` (those `when` accepts), failing each of the three ways. */
const call = (
  name: string,
  target: string,
  when?: (stack: LocalStack) => (input: Record<string, unknown>) => boolean,
  extra: Partial<Site> = {},
): Site => ({
  name,
  kinds: ALL,
  arm: (stack, kind) =>
    hitsOf(
      stack.faults.dynamo?.inject({
        target,
        kind,
        ...(when ? { when: when(stack) } : {}),
        times: TIMES[kind],
      }),
    ),
  ...extra,
});

const put = (
  name: string,
  when: (stack: LocalStack) => (input: Record<string, unknown>) => boolean,
  extra: Partial<Site> = {},
): Site => call(name, "PutItem", when, extra);

export const DYNAMO_SITES: Site[] = [
  put(
    "front door: create the operation",
    (s) => (i) =>
      i.TableName === ops(s)() && String(i.ConditionExpression).includes("attribute_not_exists"),
    {
      // An error or a hang there is a request never recorded: no operation to end.
      kinds: ["lost-answer"],
    },
  ),
  put("front door: append `requested`", (s) => auditOf(audit(s), "requested")),
  put(
    "worker: take the lock",
    () => (i) => String((i.Item as { id?: { S?: string } })?.id?.S).startsWith("lock#"),
  ),
  put("worker: save `approved`", (s) => transitionTo(ops(s), "approved")),
  put("worker: save `executing`", (s) => transitionTo(ops(s), "executing")),
  put("worker: save `detaching`", (s) => transitionTo(ops(s), "detaching")),
  put("worker: append `detaching`", (s) => auditOf(audit(s), "detaching")),
  put("follow-up: save `done`", (s) => transitionTo(ops(s), "done")),
  put("follow-up: append `done`", (s) => auditOf(audit(s), "done")),
  put("front door: save `approved` (a click)", (s) => transitionTo(ops(s), "approved"), {
    approval: true,
  }),
  put("front door: append `approved` (a click)", (s) => auditOf(audit(s), "approved"), {
    approval: true,
  }),
  call(
    "worker: keep the card's ts",
    "UpdateItem",
    () => (i) => String(i.UpdateExpression).includes("parentTs"),
  ),
  call(
    "worker: clear the audit outbox",
    "UpdateItem",
    () => (i) => String(i.UpdateExpression).includes("unaudited"),
  ),
  call("worker: read the operation", "GetItem", (s) => (i) => i.TableName === ops(s)()),
  call("follow-up: scan what is in flight", "Scan"),
  call("follow-up: let go of the lock", "DeleteItem"),
];
