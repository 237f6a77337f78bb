/**
 * An IAM stand-in on loopback for `SimulatePrincipalPolicy` (moto has not got it), in IAM's Query
 * protocol: a form-encoded POST (`Action`, `Version=2010-05-08`, `PolicySourceArn`,
 * `ActionNames.member.N`, `ResourceArns.member.N`, `ContextEntries.member.N.*`), answered in XML
 * with one `EvaluationResults` member per action and resource. It decides from the role policies
 * it is loaded with (iam-policy.ts), and refuses what IAM refuses: a caller whose own policy does
 * not allow `iam:SimulatePrincipalPolicy` on the role (AccessDenied, 403), a role it has not got
 * (NoSuchEntity, 404), a request without ActionNames (ValidationError, 400), a malformed ARN,
 * action or context entry (InvalidInput, 400), any other action (InvalidAction, 400).
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Context,
  decide,
  PolicyDocumentError,
  type Statement,
  statements,
} from "./iam-policy";

const XMLNS = "https://iam.amazonaws.com/doc/2010-05-08/";
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@/-]{1,512})$/;
const ACTION = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;
/** IAM's context key types; a single-valued type takes exactly one value. */
const KEY_TYPES = new Set([
  "string",
  "stringList",
  "numeric",
  "numericList",
  "boolean",
  "booleanList",
  "ip",
  "ipList",
  "binary",
  "binaryList",
  "date",
  "dateList",
]);

class IamFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const xml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export interface IamStandInOptions {
  /** Each role's identity policy statements, by role ARN. */
  roles: Record<string, Statement[]>;
  /** The caller's own statements: what it may simulate (the deployer's policy). */
  caller: Statement[];
}

export class IamStandIn {
  url = "";
  /** Every SimulatePrincipalPolicy received: the role, its actions, resources and context. */
  readonly calls: Array<{
    role: string;
    actions: string[];
    resources: string[];
    context: Context;
  }> = [];
  /** Answers nothing while set: a hang. */
  hang = false;
  /** While set, each request fails: IAM's 500 (`error`), or the connection cut unanswered (`drop`). */
  fault: "error" | "drop" | undefined;
  /** Fields left out of every evaluation result: an answer missing what it should hold. */
  readonly omit = new Set<"EvalDecision" | "EvalActionName" | "EvalResourceName">();
  readonly roles = new Map<string, Statement[]>();
  caller: Statement[];
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (this.hang) return;
      if (this.fault === "drop") {
        req.socket.destroy();
        return;
      }
      const requestId = randomUUID();
      let status = 200;
      let body: string;
      try {
        if (this.fault === "error")
          throw new IamFault(
            500,
            "ServiceFailure",
            "Request processing has failed due to an unknown error, exception or failure.",
          );
        body = this.answer(new URLSearchParams(Buffer.concat(chunks).toString("utf8")), requestId);
      } catch (error) {
        const fault =
          error instanceof IamFault ? error : new IamFault(500, "ServiceFailure", String(error));
        status = fault.status;
        body = `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${status < 500 ? "Sender" : "Receiver"}</Type><Code>${fault.code}</Code><Message>${xml(fault.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      }
      res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
      res.end(body);
    });
  });

  /** @throws PolicyDocumentError for a policy the stand-in would not decide exactly. */
  constructor(options: IamStandInOptions) {
    for (const [arn, policy] of Object.entries(options.roles)) this.setRole(arn, policy);
    this.caller = statements({ Statement: options.caller });
  }

  /** Loads (or replaces) a role's statements. @throws PolicyDocumentError */
  setRole(arn: string, policy: Statement[]): void {
    if (!ROLE_ARN.test(arn)) throw new PolicyDocumentError(`${arn} is not a role's ARN`);
    this.roles.set(arn, statements({ Statement: policy }));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private answer(form: URLSearchParams, requestId: string): string {
    const action = form.get("Action");
    if (action !== "SimulatePrincipalPolicy" || form.get("Version") !== "2010-05-08")
      throw new IamFault(
        400,
        "InvalidAction",
        `Could not find operation ${action} for version ${form.get("Version")}`,
      );
    const role = form.get("PolicySourceArn") ?? "";
    const actions = list(form, "ActionNames.member");
    if (!role)
      throw new IamFault(
        400,
        "ValidationError",
        "1 validation error detected: Value null at 'policySourceArn' failed to satisfy constraint: Member must not be null",
      );
    if (actions.length === 0)
      throw new IamFault(
        400,
        "ValidationError",
        "1 validation error detected: Value null at 'actionNames' failed to satisfy constraint: Member must not be null",
      );
    const name = ROLE_ARN.exec(role)?.[1];
    if (!name) throw new IamFault(400, "InvalidInput", `ARN ${role} is not valid.`);
    for (const a of actions)
      if (!ACTION.test(a)) throw new IamFault(400, "InvalidInput", `Invalid action name: ${a}`);
    const resources = list(form, "ResourceArns.member");
    for (const r of resources)
      if (!r.startsWith("arn:") && r !== "*")
        throw new IamFault(400, "InvalidInput", `Invalid resource ARN: ${r}`);
    const context = contextOf(form);
    if (decide(this.caller, "iam:SimulatePrincipalPolicy", role) !== "allowed")
      throw new IamFault(
        403,
        "AccessDenied",
        `User is not authorized to perform: iam:SimulatePrincipalPolicy on resource: ${role}`,
      );
    const policy = this.roles.get(role);
    if (!policy)
      throw new IamFault(
        404,
        "NoSuchEntity",
        `The role with name ${name.split("/").at(-1)} cannot be found.`,
      );
    this.calls.push({ role, actions, resources, context });
    const members = actions.flatMap((a) =>
      (resources.length > 0 ? resources : ["*"]).map((r) => {
        let decision: string;
        try {
          decision = decide(policy, a, r, context);
        } catch (error) {
          if (error instanceof PolicyDocumentError)
            throw new IamFault(500, "PolicyEvaluation", error.message);
          throw error;
        }
        const field = (
          tag: "EvalActionName" | "EvalResourceName" | "EvalDecision",
          value: string,
        ) => (this.omit.has(tag) ? "" : `<${tag}>${xml(value)}</${tag}>`);
        return `<member>${field("EvalActionName", a)}${field("EvalResourceName", r)}${field("EvalDecision", decision)}</member>`;
      }),
    );
    return `<SimulatePrincipalPolicyResponse xmlns="${XMLNS}"><SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>${members.join("")}</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>`;
  }
}

/** `prefix.1`, `prefix.2`, … in order, up to the first missing. */
function list(form: URLSearchParams, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${prefix}.${i}`); i++) out.push(form.get(`${prefix}.${i}`) as string);
  return out;
}

/** The request's context entries. @throws IamFault for an entry without a name, a type or values. */
function contextOf(form: URLSearchParams): Context {
  const context: Context = {};
  for (let i = 1; form.has(`ContextEntries.member.${i}.ContextKeyName`); i++) {
    const at = `ContextEntries.member.${i}`;
    const key = form.get(`${at}.ContextKeyName`) ?? "";
    const type = form.get(`${at}.ContextKeyType`) ?? "";
    const values = list(form, `${at}.ContextKeyValues.member`);
    if (
      !key ||
      !KEY_TYPES.has(type) ||
      values.length === 0 ||
      (!type.endsWith("List") && values.length > 1)
    )
      throw new IamFault(
        400,
        "InvalidInput",
        `Invalid context entry ${i}: ${key} (${type}) with ${values.length} values`,
      );
    context[key] = values;
  }
  return context;
}
