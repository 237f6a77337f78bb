/** The fault matrix's other sites: SQS, ECL and Slack, failing the ways they can. */

import type { Route } from "../../local/ecl-simulator/model";
import type { LocalStack } from "../../local/stack";
import type { FaultKind } from "../../local/stand-ins/aws-fault-proxy";
import { hitsOf, type Site, slackRefusals } from "./matrix";

const ALL = ["error", "hang", "lost-answer"] as const;
const sending = (kind: string) => (input: Record<string, unknown>) =>
  String(input.MessageBody ?? "").includes(`"${kind}"`);

/** An ECL call failing: a 500 (past the GET retries), no answer, or an answer lost after acting. */
const ecl = (name: string, route: Route, expect: Site["expect"] = {}): Site => ({
  name,
  kinds: ALL,
  expect,
  arm: (stack: LocalStack, kind: FaultKind, server: string) => {
    // A token is kept for its life: revoked, the worker's next call must ask Keystone again.
    if (route === "token") stack.ecl?.model.revokeIssuedTokens();
    const from = stack.ecl?.requests.length ?? 0;
    stack.ecl?.model.inject({
      route,
      ...(route === "show" || route === "action" ? { server } : {}),
      times: kind === "error" ? 3 : 1,
      ...(kind === "error"
        ? { status: 500 }
        : kind === "hang"
          ? { hang: true }
          : { hangAfterApply: true }),
    });
    // Struck: a request of that route answered 500, or never answered.
    return () =>
      stack.ecl?.requests
        .slice(from)
        .filter((r) => r.route === route && (r.status === undefined || r.status === 500)).length ??
      0;
  },
});

/** The SQS sites: the front door's hand-overs to the worker. */
export const SQS_SITES: Site[] = [
  {
    name: "front door: hand the request to the worker",
    kinds: ALL,
    arm: (stack, kind) =>
      hitsOf(
        stack.faults.sqs?.inject({
          target: "SendMessage",
          kind,
          when: sending("prepare"),
          times: 2,
        }),
      ),
  },
  {
    name: "front door: hand the approved request to the worker (a click)",
    kinds: ALL,
    approval: true,
    arm: (stack, kind) =>
      hitsOf(
        stack.faults.sqs?.inject({
          target: "SendMessage",
          kind,
          when: sending("execute"),
          times: 2,
        }),
      ),
  },
];

/** ECL's and Slack's sites. */
export const OTHER_SITES: Site[] = [
  ecl("worker: Keystone token", "token"),
  // (The matrix detaches by id, so no list is made: the follow-up reads a few servers in flight
  // directly. A lookup by name failing is choices.test.ts's.)
  ecl("worker: read the server", "show"),
  // ECL's 500 is its answer: the detach failed, said so. No answer at all, and a server that
  // shows no sign of it, is said as such too; bm never sends a detach twice.
  ecl("worker: the detach POST", "action", { error: "failed", hang: "failed" }),
  {
    name: "worker: post the card",
    kinds: ["error"],
    arm: (stack) => {
      const struck = slackRefusals(stack, "chat.postMessage");
      stack.slack?.serverError("chat.postMessage", 2);
      return struck;
    },
  },
  {
    name: "worker: post the card, no answer",
    kinds: ["hang"],
    arm: (stack) => {
      const struck = slackRefusals(stack, "chat.postMessage");
      stack.slack?.hang("chat.postMessage", 1);
      return struck;
    },
  },
  {
    name: "follow-up: update the card, no answer",
    kinds: ["hang"],
    arm: (stack) => {
      const struck = slackRefusals(stack, "chat.update");
      stack.slack?.hang("chat.update", 1);
      return struck;
    },
  },
  {
    name: "worker: post the card, rate-limited",
    kinds: ["error"],
    arm: (stack) => {
      const struck = slackRefusals(stack, "chat.postMessage");
      stack.slack?.rateLimit("chat.postMessage", 1, 1);
      return struck;
    },
  },
  {
    name: "follow-up: update the card",
    kinds: ["error"],
    arm: (stack) => {
      const struck = slackRefusals(stack, "chat.update");
      stack.slack?.serverError("chat.update", 2);
      return struck;
    },
  },
];
