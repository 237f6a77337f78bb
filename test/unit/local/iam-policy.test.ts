import { describe, expect, it } from "vitest";
import {
  decide,
  glob,
  PolicyDocumentError,
  type Statement,
  statements,
} from "../../../local/stand-ins/iam-policy";

const TABLE = "arn:aws:dynamodb:ap-northeast-1:123456789012:table/ops";
const allow = (extra: Partial<Statement> = {}): Statement => ({
  Effect: "Allow",
  Action: "dynamodb:DeleteItem",
  Resource: TABLE,
  ...extra,
});
const onlyLocks: Statement["Condition"] = {
  "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["lock#*"] },
};

describe("the IAM stand-in's decision", () => {
  it("allows what an Allow names, denies by default, and lets a Deny win", () => {
    expect(decide([allow()], "dynamodb:DeleteItem", TABLE)).toBe("allowed");
    expect(decide([allow()], "dynamodb:PutItem", TABLE)).toBe("implicitDeny");
    expect(decide([allow()], "dynamodb:DeleteItem", `${TABLE}2`)).toBe("implicitDeny");
    expect(decide([allow(), allow({ Effect: "Deny" })], "dynamodb:DeleteItem", TABLE)).toBe(
      "explicitDeny",
    );
    expect(decide([allow({ Effect: "Deny" })], "dynamodb:DeleteItem", TABLE)).toBe("explicitDeny");
    expect(decide([], "dynamodb:DeleteItem", TABLE)).toBe("implicitDeny");
  });

  it("matches actions whatever their case, with wildcards; resources in their case, with * and ?", () => {
    expect(decide([allow({ Action: "DynamoDB:deleteitem" })], "dynamodb:DeleteItem", TABLE)).toBe(
      "allowed",
    );
    expect(decide([allow({ Action: "dynamodb:*" })], "dynamodb:Scan", TABLE)).toBe("allowed");
    expect(decide([allow({ Action: "dynamodb:*" })], "sqs:SendMessage", TABLE)).toBe(
      "implicitDeny",
    );
    expect(
      decide([allow({ Action: ["sqs:Send*", "dynamodb:Get?tem"] })], "dynamodb:GetItem", TABLE),
    ).toBe("allowed");
    const secret = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:bm/slack-??????";
    const policy = [allow({ Action: "secretsmanager:GetSecretValue", Resource: secret })];
    expect(
      decide(policy, "secretsmanager:GetSecretValue", secret.replace("??????", "AbC123")),
    ).toBe("allowed");
    expect(decide(policy, "secretsmanager:GetSecretValue", secret.replace("??????", "AbC12"))).toBe(
      "implicitDeny",
    );
    expect(decide(policy, "secretsmanager:GetSecretValue", secret.replace("slack", "SLACK"))).toBe(
      "implicitDeny",
    );
    expect(decide([allow({ Resource: "*" })], "dynamodb:DeleteItem", TABLE)).toBe("allowed");
    expect(
      decide(
        [allow({ Resource: `${TABLE}/index/*` })],
        "dynamodb:DeleteItem",
        `${TABLE}/index/a/b`,
      ),
    ).toBe("allowed");
  });

  it("reads a pattern's dots, brackets and dollars as themselves", () => {
    expect(glob("a.b", false).test("axb")).toBe(false);
    expect(glob("a(b)$", false).test("a(b)$")).toBe(true);
    expect(glob("a*", true).test("A\nb")).toBe(true);
    expect(glob("a", false).test("ba")).toBe(false);
    expect(glob("a", false).test("ab")).toBe(false);
  });

  it("holds ForAllValues:StringLike for every key value matching, and for a request without the key", () => {
    const policy = [allow({ Condition: onlyLocks })];
    const keys = (...v: string[]) => ({ "dynamodb:LeadingKeys": v });
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, keys("lock#a"))).toBe("allowed");
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, keys("lock#a", "lock#b"))).toBe("allowed");
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, keys("op-1"))).toBe("implicitDeny");
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, keys("lock#a", "op-1"))).toBe(
      "implicitDeny",
    );
    // IAM's own rule, and why the doctor always names the key it deletes.
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, {})).toBe("allowed");
    // Condition keys are read whatever their case.
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, { "DynamoDB:leadingkeys": ["op-1"] })).toBe(
      "implicitDeny",
    );
    const two = [
      allow({
        Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["lock#*", "lease#*"] } },
      }),
    ];
    expect(decide(two, "dynamodb:DeleteItem", TABLE, keys("lease#followup"))).toBe("allowed");
  });

  it("holds ForAnyValue for one value matching, never for a request without the key", () => {
    const policy = [allow({ Condition: { "ForAnyValue:StringEquals": { k: ["a"] } } })];
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, { k: ["b", "a"] })).toBe("allowed");
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, { k: ["b"] })).toBe("implicitDeny");
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, {})).toBe("implicitDeny");
  });

  it("holds a single-valued operator for the one value it has, never without it; every operator and key must hold", () => {
    const policy = [
      allow({ Condition: { StringEquals: { a: "x" }, Bool: { "aws:SecureTransport": "true" } } }),
    ];
    expect(
      decide(policy, "dynamodb:DeleteItem", TABLE, { a: ["x"], "aws:SecureTransport": ["TRUE"] }),
    ).toBe("allowed");
    expect(
      decide(policy, "dynamodb:DeleteItem", TABLE, { a: ["x"], "aws:SecureTransport": ["false"] }),
    ).toBe("implicitDeny");
    expect(decide(policy, "dynamodb:DeleteItem", TABLE, { a: ["x"] })).toBe("implicitDeny");
    expect(
      decide(policy, "dynamodb:DeleteItem", TABLE, { a: ["X"], "aws:SecureTransport": ["true"] }),
    ).toBe("implicitDeny");
    const like = [allow({ Condition: { StringLike: { a: ["x*", "y"] } } })];
    expect(decide(like, "dynamodb:DeleteItem", TABLE, { a: ["xz"] })).toBe("allowed");
    expect(decide(like, "dynamodb:DeleteItem", TABLE, { a: ["y"] })).toBe("allowed");
    expect(() => decide(like, "dynamodb:DeleteItem", TABLE, { a: ["x", "y"] })).toThrow(
      new PolicyDocumentError(
        "StringLike on a, which has 2 values: the stand-in decides a single-valued operator on one",
      ),
    );
  });

  it("refuses, when loaded, what it cannot decide exactly: never an unknown condition taken for allowed", () => {
    const refused = (statement: Record<string, unknown>) => {
      try {
        statements({ Statement: [statement] });
        return "loaded";
      } catch (error) {
        return error instanceof PolicyDocumentError ? error.message : String(error);
      }
    };
    expect(refused({ ...allow(), Condition: { StringLikeIfExists: { a: "x" } } })).toBe(
      "the stand-in does not know the condition operator StringLikeIfExists",
    );
    expect(refused({ ...allow(), Condition: { "ForEachValue:StringLike": { a: "x" } } })).toBe(
      "the stand-in does not know the condition operator ForEachValue:StringLike",
    );
    expect(refused({ ...allow(), Condition: { NumericLessThan: { a: "1" } } })).toBe(
      "the stand-in does not know the condition operator NumericLessThan",
    );
    expect(refused({ Effect: "Allow", NotAction: "s3:*", Resource: "*" })).toBe(
      "the stand-in does not decide NotAction",
    );
    expect(refused({ ...allow(), Effect: "allow" })).toBe(
      "Effect must be Allow or Deny, not allow",
    );
    expect(refused({ ...allow(), Action: [] })).toBe(
      "Action must be a string or a list of strings",
    );
    expect(refused({ ...allow(), Resource: "" })).toBe(
      "Resource must be a string or a list of strings",
    );
    expect(refused({ ...allow(), Resource: [TABLE, { "Fn::Sub": "x" }] })).toBe(
      "Resource must be a string or a list of strings",
    );
    expect(refused({ ...allow(), Sid: "A", Condition: onlyLocks })).toBe("loaded");
    expect(statements({ Statement: allow() })).toEqual([allow()]);
  });
});
