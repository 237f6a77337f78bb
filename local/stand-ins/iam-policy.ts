/**
 * IAM's decision on one request, as the IAM stand-in (iam.ts) takes it from the identity policies
 * it holds: an explicit Deny wins, then an Allow, else the implicit deny. Actions match without
 * regard to case, resources with it; `*` and `?` are wildcards in both. A policy the stand-in
 * cannot decide exactly (an operator or an element it does not know) is refused when it is
 * loaded, as IAM refuses a malformed policy, rather than guessed at: a condition it does not know
 * never evaluates to allowed.
 */

export type Decision = "allowed" | "explicitDeny" | "implicitDeny";

/** One statement of an identity policy, as a template writes it. */
export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/** A request's context: each key (any case) with its values. */
export type Context = Record<string, string[]>;

/** A policy IAM would refuse, or one the stand-in cannot decide exactly. */
export class PolicyDocumentError extends Error {
  override readonly name = "PolicyDocumentError";
}

/** The operators the stand-in decides, and how a value matches a pattern under each. */
const MATCH: Record<string, (value: string, pattern: string) => boolean> = {
  StringEquals: (value, pattern) => value === pattern,
  StringLike: (value, pattern) => glob(pattern, false).test(value),
  Bool: (value, pattern) => value.toLowerCase() === pattern.toLowerCase(),
};
const QUALIFIERS = ["ForAllValues", "ForAnyValue"] as const;
const ELEMENTS = new Set(["Sid", "Effect", "Action", "Resource", "Condition"]);

/** A pattern with IAM's wildcards (`*`: any run of characters, `?`: one) as a whole-string regex. */
export function glob(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`, ignoreCase ? "is" : "s");
}

/**
 * The statements of a policy document, each checked.
 * @throws PolicyDocumentError for an element, an effect or a condition operator it does not know.
 */
export function statements(document: { Statement: unknown }): Statement[] {
  const list = [document.Statement].flat() as Array<Record<string, unknown>>;
  for (const s of list) {
    const unknown = Object.keys(s).filter((k) => !ELEMENTS.has(k));
    if (unknown.length > 0)
      throw new PolicyDocumentError(`the stand-in does not decide ${unknown.join(", ")}`);
    if (s.Effect !== "Allow" && s.Effect !== "Deny")
      throw new PolicyDocumentError(`Effect must be Allow or Deny, not ${String(s.Effect)}`);
    for (const element of ["Action", "Resource"] as const) {
      const values = [s[element]].flat();
      if (values.length === 0 || values.some((v) => typeof v !== "string" || v === ""))
        throw new PolicyDocumentError(`${element} must be a string or a list of strings`);
    }
    for (const operator of Object.keys((s.Condition ?? {}) as object)) operatorOf(operator);
  }
  return list as unknown as Statement[];
}

/** An operator's qualifier and its match. @throws PolicyDocumentError for one it does not know. */
function operatorOf(operator: string) {
  const [first = "", second] = operator.split(":");
  const qualifier = second === undefined ? undefined : first;
  const name = second ?? first;
  const match = MATCH[name];
  if (!match || (qualifier !== undefined && !QUALIFIERS.includes(qualifier as never)))
    throw new PolicyDocumentError(`the stand-in does not know the condition operator ${operator}`);
  return { qualifier, match };
}

/** Whether every operator of a Condition block holds for this context. */
function conditionHolds(condition: Statement["Condition"], context: Context): boolean {
  const lower = Object.fromEntries(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(condition ?? {}).every(([operator, keys]) => {
    const { qualifier, match } = operatorOf(operator);
    return Object.entries(keys).every(([key, patterns]) => {
      const wanted = [patterns].flat();
      const values = lower[key.toLowerCase()] ?? [];
      const matches = (value: string) => wanted.some((p) => match(value, p));
      // IAM's set operators: ForAllValues holds for a key the request has not got at all.
      if (qualifier === "ForAllValues") return values.every(matches);
      if (qualifier === "ForAnyValue") return values.some(matches);
      if (values.length > 1)
        throw new PolicyDocumentError(
          `${operator} on ${key}, which has ${values.length} values: the stand-in decides a single-valued operator on one`,
        );
      return values.length === 1 && matches(values[0] as string);
    });
  });
}

/** Whether a statement applies to this action on this resource, in this context. */
function applies(s: Statement, action: string, resource: string, context: Context): boolean {
  return (
    [s.Action].flat().some((a) => glob(a, true).test(action)) &&
    [s.Resource].flat().some((r) => glob(r, false).test(resource)) &&
    conditionHolds(s.Condition, context)
  );
}

/**
 * IAM's decision on `action` on `resource` in `context`, from these statements.
 * @throws PolicyDocumentError when a condition cannot be decided exactly.
 */
export function decide(
  policy: readonly Statement[],
  action: string,
  resource: string,
  context: Context = {},
): Decision {
  const matching = policy.filter((s) => applies(s, action, resource, context));
  if (matching.some((s) => s.Effect === "Deny")) return "explicitDeny";
  return matching.some((s) => s.Effect === "Allow") ? "allowed" : "implicitDeny";
}
