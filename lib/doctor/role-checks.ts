/**
 * The doctor's role checks: for each function's role, IAM's own answer (SimulatePrincipalPolicy)
 * on every call the function makes on the tables, the queue and the secrets (role-calls.ts), on
 * the ARNs of this installation. Only "allowed" is taken for allowed: a decision missing from
 * IAM's answer is an unknown, and fails the line as one.
 */
import type { DoctorPlan, DoctorPorts, Evaluation, Line } from "./ports";
import { INDEX, ROLE_CALLS, type RoleCalls, type Target } from "./role-calls";
import { explain, fail, ok, within } from "./words";

/** One question to IAM: some actions on one resource, named for the deployer. */
interface Ask {
  actions: readonly string[];
  resource: string;
  key?: string;
  label: string;
}

/** Where things are: the role's partition and account, the region, the names. */
interface Where {
  partition: string;
  account: string;
  region: string;
  plan: DoctorPlan;
  tenantSecrets: readonly string[] | undefined;
}

/** A queue URL's account and name (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function queueOf(url: string): { account: string; name: string } | undefined {
  let path: string[];
  try {
    path = new URL(url).pathname.split("/").filter(Boolean);
  } catch {
    return undefined;
  }
  const [account, name] = path as [string, string];
  return path.length === 2 && /^\d{12}$/.test(account) ? { account, name } : undefined;
}

/** The resources a target names in this installation, each with its words. */
function resources(on: Target, w: Where): Array<{ resource: string; label: string }> {
  const arn = (service: string, rest: string, account = w.account) =>
    `arn:${w.partition}:${service}:${w.region}:${account}:${rest}`;
  const table = (name: string) => arn("dynamodb", `table/${name}`);
  // Secrets Manager ends each secret's ARN in six characters of its own; the template's
  // resources match them with -??????, or with the prefix's *.
  const secret = (id: string) => ({
    resource: arn("secretsmanager", `secret:${id}-??????`),
    label: `secret ${id}`,
  });
  const { plan } = w;
  switch (on) {
    case "operations":
      return [{ resource: table(plan.table), label: `table ${plan.table}` }];
    case "inflight index":
    case "tenant index":
      return [
        {
          resource: `${table(plan.table)}/index/${INDEX[on]}`,
          label: `index ${plan.table}/${INDEX[on]}`,
        },
      ];
    case "audit":
      return [{ resource: table(plan.auditTable), label: `table ${plan.auditTable}` }];
    case "queue": {
      const queue = queueOf(plan.queueUrl) as { account: string; name: string };
      return [{ resource: arn("sqs", queue.name, queue.account), label: `queue ${queue.name}` }];
    }
    case "Slack secret":
      return [secret(plan.slackSecretId)];
    case "tenant secrets":
      return (w.tenantSecrets ?? []).map(secret);
  }
}

/** What IAM said of one action on one resource: allowed, a denial by name, or not at all. */
function decisionOf(results: Evaluation[], action: string, resource: string): string | undefined {
  return results.find((r) => r.action === action && r.resource === resource)?.decision;
}

/**
 * The role lines, one per function's role. `tenantSecrets`: those the policy names; undefined
 * when it does not load.
 */
export async function checkRoles(
  ports: Pick<DoctorPorts, "iam">,
  plan: DoctorPlan,
  tenantSecrets: readonly string[] | undefined,
): Promise<Line[]> {
  return Promise.all(
    ROLE_CALLS.map((entry) => checkRole(ports, entry, plan.roles[entry.role], plan, tenantSecrets)),
  );
}

async function checkRole(
  ports: Pick<DoctorPorts, "iam">,
  entry: RoleCalls,
  arn: string | undefined,
  plan: DoctorPlan,
  tenantSecrets: readonly string[] | undefined,
): Promise<Line> {
  const check = `role ${entry.role}`;
  const fix = `set ${entry.variable} to the stack's output ${entry.output}`;
  if (!arn) return fail(check, `not checked: ${entry.variable} is not set: ${fix}`);
  if (!plan.region)
    return fail(
      check,
      "not checked: the region is not known: set AWS_REGION (the ARNs of the tables, the queue and the secrets name it)",
    );
  if (!queueOf(plan.queueUrl))
    return fail(
      check,
      "not checked: BM_QUEUE_URL is not a queue's URL (https://sqs.<region>.amazonaws.com/<account>/<name>)",
    );
  // arn:<partition>:iam::<account>:role/…, as readDoctorRoles took it.
  const [, partition, , , account] = arn.split(":") as [string, string, string, string, string];
  const where: Where = { partition, account, region: plan.region, plan, tenantSecrets };
  const asks: Ask[] = entry.calls.flatMap((call) =>
    resources(call.on, where).map(({ resource, label }) => ({
      actions: call.actions,
      resource,
      label,
      ...(call.key ? { key: call.key } : {}),
    })),
  );
  let answers: Evaluation[][];
  try {
    answers = await within(
      plan.timeoutMs,
      Promise.all(
        asks.map(({ actions, resource, key }) =>
          ports.iam.simulate({ role: arn, actions, resource, ...(key ? { key } : {}) }),
        ),
      ),
    );
  } catch (error) {
    // The SDK names a refusal IAM models by its class (NoSuchEntityException), one it does not
    // by its code (AccessDenied).
    const name = (error as { name?: unknown } | undefined)?.name;
    if (name === "AccessDenied" || name === "AccessDeniedException")
      return fail(
        check,
        `not checked: the deployer may not ask IAM about ${arn} (AccessDenied): give it iam:SimulatePrincipalPolicy on bm's roles (statement DoctorRoleChecks of infra/deployer-policy.json)`,
      );
    if (name === "NoSuchEntity" || name === "NoSuchEntityException")
      return fail(check, `IAM has no role ${arn}: ${fix}`);
    return fail(check, `not checked: ${explain(error)}`);
  }
  const denied: string[] = [];
  const unknown: string[] = [];
  // One answer per ask, in order (Promise.all).
  answers.forEach((results, i) => {
    const ask = asks[i] as Ask;
    for (const action of ask.actions) {
      const decision = decisionOf(results, action, ask.resource);
      const what = `${action} on ${ask.label}${ask.key ? ` (key ${ask.key})` : ""}`;
      if (decision === "explicitDeny" || decision === "implicitDeny")
        denied.push(`${what} (${decision})`);
      else if (decision !== "allowed") unknown.push(what);
    }
  });
  const problems = [
    ...(denied.length > 0
      ? [
          `may not ${denied.join(", ")}: deploy the stack again from this version's serverless.yml, or check that ${entry.variable} is the stack's output ${entry.output}`,
        ]
      : []),
    ...(unknown.length > 0
      ? [`IAM's answer did not say whether it may ${unknown.join(", ")}: run the doctor again`]
      : []),
  ];
  if (problems.length > 0) return fail(check, problems.join("; "));
  const calls = asks.reduce((n, a) => n + a.actions.length, 0);
  const on = [...new Set(asks.map((a) => a.label))].join(", ");
  const later =
    tenantSecrets === undefined && entry.calls.some((c) => c.on === "tenant secrets")
      ? "; its tenant secrets are checked once the policy loads"
      : "";
  return ok(check, `may make its ${calls} calls, on ${on}${later}`);
}
