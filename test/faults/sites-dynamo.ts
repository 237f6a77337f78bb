/** The fault matrix's DynamoDB sites: every write and read of a detach, failing three ways. */
import type { LocalStack } from "../../lib/local/stack";
import { auditOf, hitsOf, type Site, transitionTo } from "./matrix";

const ALL = ["error", "hang", "lost-answer"] as const;
const ops = (stack: LocalStack) => () => stack.env.BM_TABLE as string;
const audit = (stack: LocalStack) => () => stack.env.BM_AUDIT_TABLE as string;
/** Enough matching calls to outlast the SDK's own tries (the worker's three, the front door's two). */
const TIMES = { error: 3, hang: 3, "lost-answer": 1 } as const;

const put = (
  name: string,
  when: (stack: LocalStack) => (input: Record<string, unknown>) => boolean,
  extra: Partial<Site> = {},
): Site => ({
  name,
  kinds: ALL,
  arm: (stack, kind) =>
    hitsOf(
      stack.faults.dynamo?.inject({
        target: "PutItem",
        kind,
        when: when(stack),
        times: TIMES[kind],
      }),
    ),
  ...extra,
});

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
  {
    name: "worker: keep the card's ts",
    kinds: ALL,
    arm: (stack, kind) =>
      hitsOf(
        stack.faults.dynamo?.inject({
          target: "UpdateItem",
          kind,
          when: (i) => String(i.UpdateExpression).includes("parentTs"),
          times: TIMES[kind],
        }),
      ),
  },
  {
    name: "worker: clear the audit outbox",
    kinds: ALL,
    arm: (stack, kind) =>
      hitsOf(
        stack.faults.dynamo?.inject({
          target: "UpdateItem",
          kind,
          when: (i) => String(i.UpdateExpression).includes("unaudited"),
          times: TIMES[kind],
        }),
      ),
  },
  {
    name: "worker: read the operation",
    kinds: ALL,
    arm: (stack, kind) =>
      hitsOf(
        stack.faults.dynamo?.inject({
          target: "GetItem",
          kind,
          when: (i) => i.TableName === stack.env.BM_TABLE,
          times: TIMES[kind],
        }),
      ),
  },
  {
    name: "follow-up: query what is in flight",
    kinds: ALL,
    arm: (stack, kind) =>
      hitsOf(stack.faults.dynamo?.inject({ target: "Query", kind, times: TIMES[kind] })),
  },
  {
    name: "follow-up: let go of the lock",
    kinds: ALL,
    arm: (stack, kind) =>
      hitsOf(stack.faults.dynamo?.inject({ target: "DeleteItem", kind, times: TIMES[kind] })),
  },
];
