/**
 * Reading the CloudFormation template that `osls package` generates: each role's rights as
 * "action on resource" lines, the rules no role may break, what a stack made from it holds
 * for given parameter values, and each role's policy as IAM would hold it in such a stack.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fillStatements, type StackPlace } from "../../local/role-policies";
import type { Statement as IamStatement } from "../../local/stand-ins/iam-policy";

/**
 * `osls package` of serverless.yml into `into`, offline, stage ci in ap-northeast-1, with the
 * example policy and these --param values; the template it wrote.
 */
export async function packTemplate(into: string, params: string[] = []): Promise<Template> {
  await new Promise<void>((resolve, reject) =>
    execFile(
      "node_modules/.bin/osls",
      [
        "package",
        "--stage",
        "ci",
        "--region",
        "ap-northeast-1",
        "--param=policyFile=infra/policy.example.yml",
        ...params.map((p) => `--param=${p}`),
        "--package",
        into,
      ],
      {
        env: {
          ...process.env,
          SLS_TELEMETRY_DISABLED: "1",
          SLS_NOTIFICATIONS_MODE: "off",
          AWS_ACCESS_KEY_ID: "",
          AWS_PROFILE: "",
        },
      },
      (error, stdout, stderr) => (error ? reject(new Error(`${stdout}\n${stderr}`)) : resolve()),
    ),
  );
  return JSON.parse(
    await readFile(join(into, "cloudformation-template-update-stack.json"), "utf8"),
  );
}
export interface Template {
  Parameters?: Record<string, Parameter>;
  Resources: Record<
    string,
    {
      Type: string;
      Properties: Record<string, unknown>;
      DeletionPolicy?: string;
      UpdateReplacePolicy?: string;
      Condition?: string;
      DependsOn?: string | string[];
    }
  >;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, unknown>;
}

/** A template parameter, as CloudFormation reads it. */
export interface Parameter {
  Type: string;
  Default?: string | number;
  Description?: string;
  AllowedPattern?: string;
  AllowedValues?: string[];
  MinValue?: number;
  MaxValue?: number;
}

/** Why CloudFormation would refuse a value for a parameter, or null when it takes it. */
export function refusal(parameter: Parameter, value: string): string | null {
  if (parameter.Type === "Number") {
    if (!/^-?\d+(\.\d+)?$/.test(value)) return `${value} is not a number`;
    if (parameter.MinValue !== undefined && Number(value) < parameter.MinValue)
      return `${value} is under ${parameter.MinValue}`;
    if (parameter.MaxValue !== undefined && Number(value) > parameter.MaxValue)
      return `${value} is over ${parameter.MaxValue}`;
  }
  // CloudFormation matches the whole value against the pattern.
  if (parameter.AllowedPattern && !new RegExp(`^(?:${parameter.AllowedPattern})$`).test(value))
    return `${value} does not match ${parameter.AllowedPattern}`;
  if (parameter.AllowedValues && !parameter.AllowedValues.includes(value))
    return `${value} is not one of ${parameter.AllowedValues.join(", ")}`;
  return null;
}

/** The parameter values of a stack: each one given, else its default (as a string, as CFN has it). */
export function parameterValues(
  template: Template,
  given: Record<string, string> = {},
): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = given[name] ?? parameter.Default;
    if (value === undefined) throw new Error(`${name} has no default and no value`);
    values[name] = String(value);
  }
  for (const name of Object.keys(given))
    if (!(name in values)) throw new Error(`${name} is not a parameter of the template`);
  return values;
}

/** Whether a condition of the template holds for these parameter values. */
export function holds(template: Template, condition: string, values: Record<string, string>) {
  const definition = template.Conditions?.[condition];
  if (definition === undefined) throw new Error(`no condition ${condition}`);
  return evaluate(template, definition, values);
}

function evaluate(template: Template, node: unknown, values: Record<string, string>): boolean {
  const n = node as Record<string, unknown[] | string>;
  const args = (key: string) => n[key] as unknown[];
  if (n.Condition) return holds(template, n.Condition as string, values);
  if (n["Fn::Not"]) return !evaluate(template, args("Fn::Not")[0], values);
  if (n["Fn::And"]) return args("Fn::And").every((c) => evaluate(template, c, values));
  if (n["Fn::Or"]) return args("Fn::Or").some((c) => evaluate(template, c, values));
  if (n["Fn::Equals"]) {
    const [a, b] = args("Fn::Equals").map((v) => resolve(template, v, values));
    return a === b;
  }
  throw new Error(`cannot evaluate ${JSON.stringify(node)}`);
}

/**
 * A value as a stack made with these parameter values would see it: each `Fn::If` decided, each
 * `Ref` to a parameter replaced by its value, `AWS::NoValue` dropped; `Ref`s to resources kept.
 */
export function resolve(
  template: Template,
  value: unknown,
  values: Record<string, string>,
): unknown {
  if (Array.isArray(value))
    return value.map((v) => resolve(template, v, values)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== "object") return value;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === "string") {
    if (v.Ref === "AWS::NoValue") return NO_VALUE;
    if (v.Ref in values) return values[v.Ref];
    return value;
  }
  if (Array.isArray(v["Fn::If"])) {
    const [condition, then, otherwise] = v["Fn::If"] as [string, unknown, unknown];
    return resolve(template, holds(template, condition, values) ? then : otherwise, values);
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(v)) {
    const resolved = resolve(template, item, values);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}
const NO_VALUE = Symbol("AWS::NoValue");

/** The ids of the resources a stack made with these parameter values would create, sorted. */
export function created(template: Template, values: Record<string, string>): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Condition === undefined || holds(template, r.Condition, values))
    .map(([id]) => id)
    .sort();
}

type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
};

/** A resource as text: `!Sub` strings as written, `!GetAtt X.Arn` as `X.Arn`, `!Ref X` as `Ref X`. */
export function resourceText(resource: unknown): string {
  if (typeof resource === "string") return resource;
  const r = resource as Record<string, unknown>;
  if (r["Fn::Sub"]) return String(r["Fn::Sub"]).replace(/^arn:\$\{AWS::Partition\}:/, "arn:aws:");
  if (r["Fn::GetAtt"]) return (r["Fn::GetAtt"] as string[]).join(".");
  if (r.Ref) return `Ref ${r.Ref}`;
  return JSON.stringify(resource);
}

/**
 * Every right a role grants in a stack made with these parameter values (the defaults unless
 * given: a statement under `Fn::If` counts only where its condition holds), as sorted "action on
 * resource" lines.
 */
export function rights(
  template: Template,
  roleId: string,
  values: Record<string, string> = parameterValues(template),
): string[] {
  const role = template.Resources[roleId];
  if (role?.Type !== "AWS::IAM::Role") throw new Error(`${roleId} is not a role`);
  const lines: string[] = [];
  for (const policy of resolve(template, role.Properties.Policies ?? [], values) as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>) {
    for (const statement of policy.PolicyDocument.Statement) {
      if (statement.Effect !== "Allow") continue;
      const when = statement.Condition ? ` when ${JSON.stringify(statement.Condition)}` : "";
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat())
          lines.push(`${action} on ${resourceText(resource)}${when}`);
      }
    }
  }
  return lines.sort();
}

/**
 * What a role may do on the audit table: append, read back (the audit check: the whole table), and
 * (the archiver) read its stream.
 */
const AUDIT_TABLE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
];
const AUDIT_STREAM_ACTIONS = [
  "dynamodb:DescribeStream",
  "dynamodb:GetRecords",
  "dynamodb:GetShardIterator",
  "dynamodb:ListStreams",
];
/** S3 rights that would let a role delete, unlock or reconfigure the write-once archive. */
const ARCHIVE_ALTERING =
  /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|Bypass|PutBucket|PutLifecycle|PutObjectAcl|PutReplication)/;

/** The rules of least privilege this project holds to, broken by the template. */
export function violations(template: Template, tenantSecretPrefix: string): string[] {
  const found: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::IAM::Role") continue;
    for (const line of rights(template, id)) {
      const [action = "", resource = ""] = line.split(" on ");
      if (resource === "*") found.push(`${id}: ${action} on every resource`);
      if (action === "*" || action.endsWith(":*")) found.push(`${id}: every action of ${action}`);
      const allowed = resource.startsWith("AuditTable.StreamArn")
        ? AUDIT_STREAM_ACTIONS
        : AUDIT_TABLE_ACTIONS;
      if (resource.startsWith("AuditTable") && !allowed.includes(action)) {
        found.push(`${id}: ${action} on the append-only audit table`);
      }
      if (ARCHIVE_ALTERING.test(action)) found.push(`${id}: ${action} may alter the audit archive`);
      // An operation's outbox holds audit events not yet appended: only locks and leases go.
      if (
        action === "dynamodb:DeleteItem" &&
        resource.startsWith("OperationsTable") &&
        !/^OperationsTable\.Arn when \{"ForAllValues:StringLike":\{"dynamodb:LeadingKeys":\["(lock|lease)#\*"(,"(lock|lease)#\*")?\]\}\}$/.test(
          resource,
        )
      )
        found.push(`${id}: dynamodb:DeleteItem of operations (${resource})`);
      if (
        id === "SlackRole" &&
        action.startsWith("secretsmanager:") &&
        (resource.includes(tenantSecretPrefix) || /secret:\*?$/.test(resource))
      ) {
        found.push(`${id}: the front door may read tenant secrets (${resource})`);
      }
    }
  }
  return found;
}

/**
 * A role's statements as IAM holds them in a stack made from the template with these parameter
 * values: every `Fn::If` decided, every `Fn::Sub`, `Fn::GetAtt` and `Ref` filled in from `place`
 * (local/role-policies.ts, which fills serverless.yml's for the local stack the same way).
 * @throws for a reference `place` does not fill, so that no statement is loaded half made.
 */
export function roleStatements(
  template: Template,
  roleId: string,
  place: StackPlace,
  values: Record<string, string> = parameterValues(template),
): IamStatement[] {
  const role = template.Resources[roleId];
  if (role?.Type !== "AWS::IAM::Role") throw new Error(`${roleId} is not a role`);
  return fillStatements(resolve(template, role.Properties.Policies ?? [], values), place, values);
}
