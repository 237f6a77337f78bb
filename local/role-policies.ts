/**
 * The function roles' policies of serverless.yml, as IAM would hold them in a stack: for the
 * local stack's IAM stand-in (read from the file, never copied), and, through
 * {@link fillStatements}, for the tests that load the template osls generates.
 */
import { readFile } from "node:fs/promises";
import { parseDocument } from "yaml";
import type { Statement } from "./stand-ins/iam-policy";

/** Where a stack is: its partition, region, account, and each resource's attributes. */
export interface StackPlace {
  partition: string;
  region: string;
  account: string;
  /** By logical id: `{ Arn: … }`, `{ StreamArn: … }`. */
  attributes: Record<string, Record<string, string>>;
}

/**
 * A role's policies with every `Fn::Sub`, `Fn::GetAtt` (and `Ref` to a parameter) filled in from
 * `place` and `values`, as statements. @throws for a reference it cannot fill, so that no
 * statement is loaded half made.
 */
export function fillStatements(
  policies: unknown,
  place: StackPlace,
  values: Record<string, string> = {},
): Statement[] {
  const attribute = (id: string, name: string) => {
    const value = place.attributes[id]?.[name];
    if (value === undefined) throw new Error(`no ${id}.${name} given`);
    return value;
  };
  const pseudo: Record<string, string> = {
    "AWS::Partition": place.partition,
    "AWS::Region": place.region,
    "AWS::AccountId": place.account,
  };
  const fill = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(fill);
    if (value === null || typeof value !== "object") return value;
    const v = value as Record<string, unknown>;
    if (typeof v["Fn::Sub"] === "string")
      return v["Fn::Sub"].replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name in pseudo) return pseudo[name] as string;
        const [id = "", attr] = name.split(".");
        if (attr) return attribute(id, attr);
        if (name in values) return values[name] as string;
        throw new Error(`cannot fill \${${name}}`);
      });
    if (Array.isArray(v["Fn::GetAtt"])) {
      const [id, name] = v["Fn::GetAtt"] as [string, string];
      return attribute(id, name);
    }
    if (typeof v.Ref === "string") {
      if (v.Ref in values) return values[v.Ref];
      throw new Error(`cannot fill Ref ${v.Ref}`);
    }
    if (Object.keys(v).some((k) => k.startsWith("Fn::")))
      throw new Error(`cannot fill ${JSON.stringify(v)}`);
    return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, fill(item)]));
  };
  return (fill(policies) as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
}

/**
 * The statements of these roles of serverless.yml, for a stack of service `bm` at `stage`: its
 * own variables (`${self:service}`, `${sls:stage}`, `${param:…, 'default'}`) replaced as osls
 * replaces them with no `--param`, CloudFormation's short forms read as their long ones.
 */
export async function rolePolicies(
  serverlessYml: string,
  roles: readonly string[],
  stage: string,
  place: StackPlace,
): Promise<Record<string, Statement[]>> {
  const text = (await readFile(serverlessYml, "utf8"))
    .replace(/\$\{self:service\}/g, "bm")
    .replace(/\$\{sls:stage\}/g, stage)
    .replace(/\$\{param:\w+, '([^']*)'\}/g, "$1");
  const long = (tag: string, make: (value: string) => unknown) => ({
    tag: `!${tag}`,
    resolve: make,
  });
  const document = parseDocument(text, {
    customTags: [
      long("Sub", (v) => ({ "Fn::Sub": v })),
      long("GetAtt", (v) => ({ "Fn::GetAtt": v.split(".") })),
      long("Ref", (v) => ({ Ref: v })),
    ],
  }).toJS() as {
    resources: { Resources: Record<string, { Type: string; Properties: { Policies: unknown } }> };
  };
  return Object.fromEntries(
    roles.map((id) => {
      const role = document.resources.Resources[id];
      if (role?.Type !== "AWS::IAM::Role") throw new Error(`serverless.yml has no role ${id}`);
      return [id, fillStatements(role.Properties.Policies, place)];
    }),
  );
}
