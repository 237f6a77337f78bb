/**
 * The systematic fault matrix of docs/reliability.md: every outside call of a detach (front door,
 * worker, follow-up) meets each way of failing once, and the operation must still reach the end
 * that is true, with I1–I6 holding. Each file runs a share of it on a stack of its own.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { operationIdFor } from "../../lib/operations/operation";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import type { FaultKind } from "../../local/stand-ins/aws-fault-proxy";
import {
  AGAINST_MOTO,
  click,
  ECL_ACTIONS,
  operation,
  slash,
  type TestStackOptions,
  testStack,
} from "../support/stack-harness";
import { assertInvariants, settle } from "./invariants";

/** One outside call, and how to make it fail in one way. */
export interface Site {
  name: string;
  kinds: readonly FaultKind[];
  /** Arms the fault; returns how to count the calls it struck (each entry must strike). */
  arm(stack: LocalStack, kind: FaultKind, server: string): () => number;
  /** The true end of a detach in an incident channel when this call fails so (done unless told). */
  expect?: Partial<Record<FaultKind, string>>;
  /** Run the request in the approval channel, with an approver's click. */
  approval?: boolean;
}

type Input = Record<string, unknown>;
const item = (input: Input) => (input.Item ?? {}) as Record<string, { S?: string; N?: string }>;
/** Writes of an operation in `state`: the first is the transition itself. */
export const transitionTo = (table: () => string, state: string) => (input: Input) =>
  input.TableName === table() && item(input).state?.S === state;
export const auditOf = (table: () => string, action: string) => (input: Input) =>
  input.TableName === table() && item(input).action?.S === action;

/**
 * A stack with fault proxies for this file (fast limits, which `options` may change), its faults
 * disarmed before each test, and a fresh server with the image for each test.
 */
export function useFaultStack(options: TestStackOptions = {}): {
  stack(): LocalStack;
  server(): { id: string; name: string };
} {
  let stack: LocalStack;
  let server: { id: string; name: string };
  beforeAll(async () => {
    stack = await testStack({
      faults: true,
      taskMs: 100,
      queueTimeScale: 0.02,
      ...options,
      env: {
        BM_HANDOVER_GRACE_S: "1",
        BM_IDLE_WAIT_S: "5",
        BM_ECL_TIMEOUT_MS: "400",
        BM_ECL_ACTION_TIMEOUT_MS: "800",
        BM_SLACK_TIMEOUT_MS: "400",
        ...options.env,
      },
    });
  });
  // Slack's rate limits are on: closing fails on a call bm made before a Retry-After (testStack).
  afterAll(() => stack.close());
  beforeEach(() => {
    stack.faults.dynamo?.clear();
    stack.faults.sqs?.clear();
    const name = `mx-${Math.random().toString(36).slice(2, 8)}`;
    const added = stack.ecl?.model.addServer(SAMPLE.tenantId, { name, media: [SAMPLE.image] });
    server = { id: added?.id ?? "", name };
  });
  return { stack: () => stack, server: () => server };
}

/**
 * One detach with these faults armed (in the approval channel, armed before the approver's click,
 * when `approval`), run to its end; a single fault must strike; I1–I6 hold with an end of `ends`.
 */
export async function detachUnder(
  stack: LocalStack,
  server: { id: string; name: string },
  faults: Array<{ site: Site; kind: FaultKind }>,
  ends: string[],
  approval = false,
): Promise<void> {
  const from = ECL_ACTIONS(stack).length;
  const arm = () => faults.map(({ site, kind }) => site.arm(stack, kind, server.id));
  let struck = approval ? [] : arm();
  const triggerId = `${Date.now()}.${Math.random().toString(36).slice(2)}.matrix`;
  // By id: the front door records it, as its sites say (a name's lookup has tests of its own,
  // in front-door.test.ts).
  const answer = await slash(stack, `detach ${server.id} ${SAMPLE.image}`, {
    channel: approval ? "C0CHANGES" : "C0INCIDENT",
    user: "U0ALICE",
    triggerId,
  });
  // A front door too slow to say which: the id follows from the trigger, as bm derives it.
  const id = answer.operationId ?? operationIdFor("T0001", triggerId);
  if (approval) {
    await settleCard(stack, id);
    struck = arm();
    const clicked = await click(stack, await operation(stack, id), "bm_approve", "U0APPROVER1");
    // As a person would: a click that could not be recorded is clicked again.
    const said = stack.slack?.ephemerals.filter((e) => e.user === "U0APPROVER1").at(-1)?.text ?? "";
    if (clicked.status === 200 && !said.startsWith("You approved")) {
      stack.faults.dynamo?.clear();
      stack.faults.sqs?.clear();
      await click(stack, await operation(stack, id), "bm_approve", "U0APPROVER1");
    }
  }
  await settle(stack, id, 20_000);
  // Alone, a fault must strike; among several, an earlier one may end the run before it.
  if (struck.length === 1) expect(struck[0]?.()).toBeGreaterThan(0);
  const op = await operation(stack, id);
  expect(ends).toContain(op.state);
  await assertInvariants(stack, id, op.state, from);
}

/**
 * Against moto, a hang is left out: the proxy holds a hung call and never forwards it, so moto
 * sees what it sees of an error (the SDK's next try), and only the wait is longer.
 */
const KINDS_HERE = (kinds: readonly FaultKind[]) =>
  AGAINST_MOTO ? kinds.filter((k) => k !== "hang") : kinds;
if (AGAINST_MOTO)
  console.warn(
    "fault matrix against moto: the hang rows are left out (moto never sees a hung call)",
  );

/** Runs each site × kind as its own test, on a stack of this file's. */
export function runMatrix(title: string, sites: Site[]): void {
  const { stack, server } = useFaultStack();
  describe(title, () => {
    for (const site of sites) {
      for (const kind of KINDS_HERE(site.kinds)) {
        it(`${site.name}: ${kind}`, () =>
          detachUnder(
            stack(),
            server(),
            [{ site, kind }],
            [site.expect?.[kind] ?? "done"],
            site.approval,
          ));
      }
    }
  });
}

/** The calls an injected AWS fault struck. */
export const hitsOf = (fault: { readonly hits: number } | undefined) => () => fault?.hits ?? 0;

/** The calls to `method` Slack refused since now. */
export function slackRefusals(stack: LocalStack, method: string): () => number {
  const from = stack.slack?.calls.length ?? 0;
  return () =>
    stack.slack?.calls.slice(from).filter((c) => c.method === method && c.error).length ?? 0;
}

async function settleCard(stack: LocalStack, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    await stack.deliver();
    if ((await operation(stack, id)).parentTs) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no card for ${id}`);
}
