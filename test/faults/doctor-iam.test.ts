/**
 * The doctor's one outside call of its own, IAM's SimulatePrincipalPolicy, failing each way it
 * can: an error (IAM's 500), a hang, an answer lost (the connection cut unanswered). Each fails
 * the role lines alone, as "not checked", never as allowed; every other line still prints, and
 * the run is recorded. The call only reads: a doctor that dies mid-run leaves nothing to undo.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDoctor } from "../../lib/doctor/doctor";
import { exitCode, formatLine } from "../../lib/doctor/report";
import { ROLE_CALLS } from "../../lib/doctor/role-calls";
import { doctorFromEnv } from "../../lib/runtime/doctor";
import type { LocalStack } from "../../local/stack";
import { IamStandIn } from "../../local/stand-ins/iam";
import { testStack } from "../support/stack-harness";

const arn = (id: string) => `arn:aws:iam::123456789012:role/bm-ci-${id}-T35T`;
let stack: LocalStack;
let iam: IamStandIn;
const roles = Object.fromEntries(ROLE_CALLS.map((r) => [r.variable, arn(r.role)]));

beforeAll(async () => {
  stack = await testStack({ taskMs: 100 });
  // Roles that may do anything: only the failures of the call itself are at stake here.
  const all = [{ Effect: "Allow" as const, Action: "*", Resource: "*" }];
  iam = await new IamStandIn({
    roles: Object.fromEntries(ROLE_CALLS.map((r) => [arn(r.role), all])),
    caller: all,
  }).start();
  process.env.AWS_ENDPOINT_URL_IAM = iam.url;
}, 30_000);
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_IAM;
  await iam?.close();
  await stack?.close();
});

async function doctor() {
  const run = doctorFromEnv({ ...stack.env, ...roles }, 1000);
  try {
    const lines = await runDoctor(run.ports, run.plan);
    return { lines: lines.map(formatLine), code: exitCode(lines) };
  } finally {
    await run.close();
  }
}
const roleLines = (lines: string[]) => lines.filter((l) => / role \w+Role: /.test(l));
/** The lines of a run with IAM well, role lines aside: what a fault of IAM must leave as it is. */
let others: string[];
const withoutRoles = (lines: string[]) =>
  lines.filter((l) => !/ role \w+Role: /.test(l)).map((l) => l.replace(/rd-\w+/, "rd-…"));

describe("the doctor's SimulatePrincipalPolicy failing", () => {
  it("holds with IAM well", async () => {
    iam.fault = undefined;
    const { lines } = await doctor();
    expect(roleLines(lines).map((l) => l.slice(0, 4))).toEqual(["ok  ", "ok  ", "ok  ", "ok  "]);
    others = withoutRoles(lines);
    expect(others.length).toBeGreaterThan(10);
  });

  it.each([
    ["error", "not checked: AWS answered ServiceFailureException"],
    // The SDK names a connection cut before any answer a TimeoutError.
    ["drop", "not checked: AWS answered TimeoutError"],
  ] as const)(
    "%s: fails each role line as not checked, and prints every other",
    async (fault, said) => {
      iam.fault = fault;
      try {
        const { lines, code } = await doctor();
        expect(roleLines(lines)).toEqual(ROLE_CALLS.map((r) => `FAIL role ${r.role}: ${said}`));
        expect(lines.at(-1)).toMatch(/^ok {3}audit \S+: this run is recorded as rd-/);
        expect(withoutRoles(lines)).toEqual(others);
        expect(code).toBe(1);
      } finally {
        iam.fault = undefined;
      }
    },
  );

  it("hang: fails each role line at the doctor's timeout", async () => {
    iam.hang = true;
    try {
      const { lines } = await doctor();
      expect(roleLines(lines)).toEqual(
        ROLE_CALLS.map((r) => `FAIL role ${r.role}: not checked: no answer within 1 s`),
      );
    } finally {
      iam.hang = false;
    }
  });
});
