/**
 * `npm run doctor`: an installation checked end to end, as its functions would see it, one line
 * per check. Checks that do not need one another run at once, each within the plan's timeout.
 */
import { BM_USER, shortId } from "../operations/operation";
import { auditRead, standaloneEvent } from "../operations/standalone-event";
import type { Policy } from "../policy/policy";
import { parseSlackSecret } from "../slack/slack-secret";
import { plural } from "../util/plural";
import type { DoctorPlan, DoctorPorts, Line } from "./ports";
import { checkRoles } from "./role-checks";
import { checkChannels, checkGroups, checkToken } from "./slack-checks";
import { checkTenant } from "./tenant-checks";
import { explain, fail, ok, regionFlag, within } from "./words";

/** The doctor's lines, in a fixed order, whatever order the answers came in. */
export async function runDoctor(ports: DoctorPorts, plan: DoctorPlan): Promise<Line[]> {
  const t = plan.timeoutMs;
  const policy = within(t, ports.loadPolicy(plan.policyPath)).then(
    (p) => ({ ok: true as const, policy: p }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const slack = checkSlack(ports, plan, policy);
  const tenants = policy.then((p) =>
    p.ok
      ? Promise.all(
          Object.entries(p.policy.tenants).map(([name, { secret }]) =>
            checkTenant(ports, { name, secretId: secret }, plan),
          ),
        ).then((all) => all.flat())
      : [],
  );
  const aws = Promise.all([
    checkTable(ports, "table", plan.table, plan),
    checkTable(ports, "audit table", plan.auditTable, plan),
    checkQueue(ports, plan),
  ]);
  // The worker's and the follow-up's tenant secrets are those the policy names.
  const roles = policy.then((p) =>
    checkRoles(
      ports,
      plan,
      p.ok ? Object.values(p.policy.tenants).map((t) => t.secret) : undefined,
    ),
  );
  const read = await policy;
  const lines = [
    read.ok
      ? ok(
          "policy",
          `${plan.policyPath} loads: ${plural(Object.keys(read.policy.channels).length, "channel")}, ${plural(Object.keys(read.policy.tenants).length, "tenant")}`,
        )
      : fail(
          "policy",
          `${explain(read.error)} (its channels, user groups and tenants are checked once it loads)`,
        ),
    ...(await slack),
    ...(await tenants),
    ...(await aws),
    ...(await roles),
  ];
  lines.push(await recordRun(ports, plan, read.ok ? read.policy : undefined, lines));
  return lines;
}

async function checkSlack(
  ports: DoctorPorts,
  plan: DoctorPlan,
  policy: Promise<{ ok: true; policy: Policy } | { ok: false }>,
): Promise<Line[]> {
  const id = plan.slackSecretId;
  let token: string;
  try {
    token = parseSlackSecret(id, await within(plan.timeoutMs, ports.readSecret(id))).botToken;
  } catch (error) {
    return [
      fail(
        "Slack secret",
        `${explain(error, plan.region)}: it needs signing_secret and bot_token (\`aws secretsmanager put-secret-value --secret-id ${id}${regionFlag(plan.region)} --secret-string '{"signing_secret":"…","bot_token":"xoxb-…"}'\`); Slack is checked once it reads`,
      ),
    ];
  }
  const read = await policy;
  const known = read.ok ? read.policy : undefined;
  const context = { secretId: id, timeoutMs: plan.timeoutMs };
  const lines = [ok("Slack secret", `${id} has signing_secret and bot_token`)];
  const checked = await checkToken(ports.slack, token, { ...context, policy: known });
  lines.push(...checked.lines);
  if (!checked.works || !known) return lines;
  const [channels, groups] = await Promise.all([
    checkChannels(ports.slack, token, known, context),
    checkGroups(ports.slack, token, known, context),
  ]);
  return [...lines, ...channels, ...groups];
}

async function checkTable(
  ports: DoctorPorts,
  what: "table" | "audit table",
  name: string,
  plan: DoctorPlan,
): Promise<Line> {
  const check = `${what} ${name}`;
  try {
    const status = await within(plan.timeoutMs, ports.aws.table(name));
    return status === "ACTIVE"
      ? ok(check, "exists, active, and reads")
      : fail(check, `is ${status}, not ACTIVE: wait for it, or see the stack's events`);
  } catch (error) {
    return fail(
      check,
      `${explain(error)}${notFound(error, what === "table" ? "BM_TABLE" : "BM_AUDIT_TABLE", plan)}`,
    );
  }
}

async function checkQueue(ports: DoctorPorts, plan: DoctorPlan): Promise<Line> {
  const check = `queue ${plan.queueUrl}`;
  try {
    const waiting = await within(plan.timeoutMs, ports.aws.queue(plan.queueUrl));
    return ok(check, `exists, ${plural(waiting, "message")} waiting`);
  } catch (error) {
    return fail(check, `${explain(error)}${notFound(error, "BM_QUEUE_URL", plan)}`);
  }
}

/** For a table or queue AWS has not got: which variable names it, and where it was looked for. */
function notFound(error: unknown, variable: string, plan: DoctorPlan): string {
  return error instanceof Error && /NotFound|NonExistent|DoesNotExist/.test(error.name)
    ? `: none of that name${plan.region ? ` in ${plan.region}` : ""}; check ${variable} (the stack's outputs name it) and the region`
    : "";
}

/**
 * The doctor's run, recorded as a read in the audit table (`viewed:doctor`): who ran it is not
 * known to bm, so bm is its actor, under a read id of its own.
 */
async function recordRun(
  ports: DoctorPorts,
  plan: DoctorPlan,
  policy: Policy | undefined,
  lines: Line[],
): Promise<Line> {
  const at = ports.now();
  const event = standaloneEvent(
    {
      operationId: shortId("rd", `doctor:${at.toISOString()}:${Math.random()}`),
      actor: { teamId: policy?.teamIds[0] ?? "-", userId: BM_USER },
      action: "viewed:doctor",
      facts: { checks: lines.length, failed: lines.filter((l) => !l.ok).length },
    },
    at,
  );
  let failed: string | undefined;
  await auditRead(
    {
      audit: { append: (e) => within(plan.timeoutMs, ports.audit(e)) },
      log: {
        // auditRead never throws: it logs a failed append with the error's name (and, given no
        // deadline, is never late).
        warn: (_, extra) => {
          failed = String((extra as { error: unknown }).error);
        },
      },
    },
    event,
  );
  const check = `audit ${plan.auditTable}`;
  return failed
    ? fail(
        check,
        `this run's event (viewed:doctor) was not recorded (${failed}); see the audit table's line above`,
      )
    : ok(check, `this run is recorded as ${event.operationId} (viewed:doctor)`);
}
