/**
 * Reading the CloudFormation template that `osls package` generates: each role's rights as
 * "action on resource" lines, and the rules no role may break.
 */
export interface Template {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }
  >;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, unknown>;
}

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** A resource as text: `!Sub` strings as written, `!GetAtt X.Arn` as `X.Arn`, `!Ref X` as `Ref X`. */
export function resourceText(resource: unknown): string {
  if (typeof resource === "string") return resource;
  const r = resource as Record<string, unknown>;
  if (r["Fn::Sub"]) return String(r["Fn::Sub"]).replace(/^arn:\$\{AWS::Partition\}:/, "arn:aws:");
  if (r["Fn::GetAtt"]) return (r["Fn::GetAtt"] as string[]).join(".");
  if (r.Ref) return `Ref ${r.Ref}`;
  return JSON.stringify(resource);
}

/** Every right a role grants, as sorted "action on resource" lines. */
export function rights(template: Template, roleId: string): string[] {
  const role = template.Resources[roleId];
  if (role?.Type !== "AWS::IAM::Role") throw new Error(`${roleId} is not a role`);
  const lines: string[] = [];
  for (const policy of (role.Properties.Policies ?? []) as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>) {
    for (const statement of policy.PolicyDocument.Statement) {
      if (statement.Effect !== "Allow") continue;
      for (const action of [statement.Action].flat()) {
        for (const resource of [statement.Resource].flat())
          lines.push(`${action} on ${resourceText(resource)}`);
      }
    }
  }
  return lines.sort();
}

/** The rules of least privilege this project holds to, broken by the template. */
export function violations(template: Template, tenantSecretPrefix: string): string[] {
  const found: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::IAM::Role") continue;
    for (const line of rights(template, id)) {
      const [action = "", resource = ""] = line.split(" on ");
      if (resource === "*") found.push(`${id}: ${action} on every resource`);
      if (action === "*" || action.endsWith(":*")) found.push(`${id}: every action of ${action}`);
      if (
        resource.startsWith("AuditTable") &&
        action !== "dynamodb:PutItem" &&
        action !== "dynamodb:Query"
      ) {
        found.push(`${id}: ${action} on the append-only audit table`);
      }
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
