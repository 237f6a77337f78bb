// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${…} references, as the template holds them
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC_NAMESPACE, METRICS } from "../../lib/metrics";
import { buildBundles } from "../../scripts/build";
import { rights, type Template, violations } from "../support/template";

/**
 * `osls package`, offline, on serverless.yml: the CloudFormation template it generates is what
 * a deployment would create, checked here before anyone deploys.
 */
let dir: string;
let template: Template;
let zips: string[];
const R = () => template.Resources;
const props = (id: string) => R()[id]?.Properties as Record<string, unknown>;

beforeAll(async () => {
  await buildBundles();
  dir = await mkdtemp(join(tmpdir(), "bm-package-"));
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
        "--package",
        dir,
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
  template = JSON.parse(
    await readFile(join(dir, "cloudformation-template-update-stack.json"), "utf8"),
  );
  const { readdir } = await import("node:fs/promises");
  zips = (await readdir(dir)).filter((f) => f.endsWith(".zip")).sort();
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the generated template", () => {
  it("has the three functions, on nodejs22.x and arm64, each with its own role and its bundle", () => {
    for (const [fn, role, memory, timeout] of [
      ["Slack", "SlackRole", 1024, 5],
      ["Worker", "WorkerRole", 512, 60],
      ["Followup", "FollowupRole", 512, 60],
    ] as const) {
      expect(props(`${fn}LambdaFunction`)).toMatchObject({
        Handler: `dist/${fn.toLowerCase()}.handler`,
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        MemorySize: memory,
        Timeout: timeout,
        Role: { "Fn::GetAtt": [role, "Arn"] },
        Environment: {
          Variables: expect.objectContaining({
            BM_POLICY: "/var/task/infra/policy.example.yml",
            BM_SLACK_SECRET_ID: "bm/slack",
          }),
        },
      });
    }
    expect(zips).toEqual(["followup.zip", "slack.zip", "worker.zip"]);
    expect(Object.values(R()).filter((r) => r.Type === "AWS::IAM::Role")).toHaveLength(3);
  });

  it("routes POST /slack/events to the front door, SQS to the worker, rate(1 minute) to the follow-up", () => {
    expect(props("HttpApiRoutePostSlackEvents")?.RouteKey).toBe("POST /slack/events");
    expect(JSON.stringify(props("HttpApiIntegrationSlack"))).toContain("SlackLambdaFunction");
    expect(props("WorkerEventSourceMappingSQSWorkQueue")).toMatchObject({
      EventSourceArn: { "Fn::GetAtt": ["WorkQueue", "Arn"] },
      FunctionName: { "Fn::GetAtt": ["WorkerLambdaFunction", "Arn"] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
    const schedule = Object.values(R()).find((r) => r.Type === "AWS::Events::Rule")?.Properties;
    expect(schedule).toMatchObject({
      ScheduleExpression: "rate(1 minute)",
      Targets: [{ Arn: { "Fn::GetAtt": ["FollowupLambdaFunction", "Arn"] } }],
    });
    expect(props("FollowupLambdaFunction")?.ReservedConcurrentExecutions).toBe(1);
  });

  it("has the queue with a dead-letter queue after 5 receives, and a visibility timeout above the worker's", () => {
    expect(props("WorkQueue")).toMatchObject({
      RedrivePolicy: {
        deadLetterTargetArn: { "Fn::GetAtt": ["DeadLetterQueue", "Arn"] },
        maxReceiveCount: 5,
      },
    });
    expect(props("WorkQueue")?.VisibilityTimeout as number).toBeGreaterThan(
      props("WorkerLambdaFunction")?.Timeout as number,
    );
    expect(props("DeadLetterAlarm")).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Dimensions: [
        { Name: "QueueName", Value: { "Fn::GetAtt": ["DeadLetterQueue", "QueueName"] } },
      ],
      Threshold: 0,
      ComparisonOperator: "GreaterThanThreshold",
    });
  });

  it("has both tables on demand, with point-in-time recovery and encryption; TTL only on operations; the audit table protected", () => {
    for (const table of ["OperationsTable", "AuditTable"]) {
      expect(props(table)).toMatchObject({
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
    }
    expect(props("OperationsTable")?.TimeToLiveSpecification).toEqual({
      AttributeName: "expiresAt",
      Enabled: true,
    });
    expect(props("AuditTable")?.TimeToLiveSpecification).toBeUndefined();
    expect(props("AuditTable")?.DeletionProtectionEnabled).toBe(true);
    expect(R().AuditTable?.DeletionPolicy).toBe("Retain");
  });

  it("keeps the functions' logs 90 days", () => {
    const logs = Object.values(R()).filter((r) => r.Type === "AWS::Logs::LogGroup");
    expect(logs.map((l) => l.Properties.RetentionInDays)).toEqual([90, 90, 90]);
  });
});

describe("the dashboard and the alarms", () => {
  /** The bm metric names a text of the template names: `"bm","Name"` or `MetricName=\"Name\"`. */
  const bmMetricsIn = (text: string) =>
    new Set(
      [
        ...text.matchAll(/"bm","([A-Za-z]+)"/g),
        ...text.matchAll(/MetricName=\\?"([A-Za-z]+)\\?"/g),
      ].map((m) => m[1] as string),
    );
  const dashboardBody = () => {
    const body = props("Dashboard").DashboardBody as { "Fn::Sub": string };
    return body["Fn::Sub"];
  };
  const alarms = () =>
    Object.entries(R()).filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm") as Array<
      [string, { Properties: Record<string, unknown> }]
    >;

  it("has one dashboard whose JSON is valid once CloudFormation fills in its references", () => {
    const filled = dashboardBody().replace(/\$\{[^}]+\}/g, "x");
    const widgets = (JSON.parse(filled) as { widgets: unknown[] }).widgets;
    expect(widgets.length).toBeGreaterThanOrEqual(8);
  });

  it("names only metrics the code emits, and shows every one of them", async () => {
    const named = bmMetricsIn(dashboardBody());
    for (const [, alarm] of alarms())
      if (alarm.Properties.Namespace === METRIC_NAMESPACE)
        named.add(String(alarm.Properties.MetricName));
    const contract = Object.keys(METRICS);
    expect([...named].filter((n) => !contract.includes(n))).toEqual([]);
    expect(contract.filter((n) => !named.has(n))).toEqual([]);
    // Every name of the contract is put somewhere in lib/.
    const { execFileSync } = await import("node:child_process");
    const code = execFileSync("grep", ["-rhoE", 'put\\("[A-Za-z]+"', "lib"], { encoding: "utf8" });
    const emitted = new Set([...code.matchAll(/put\("([A-Za-z]+)"/g)].map((m) => m[1]));
    expect(contract.filter((n) => !emitted.has(n))).toEqual([]);
  });

  it("alarms on dead letters, worker and follow-up errors, a silent schedule, a slow front door and audit write errors, each to the optional topic", () => {
    const summary = alarms()
      .map(([id, a]) => {
        const p = a.Properties;
        const dims = (p.Dimensions as Array<{ Value: unknown }>).map((d) =>
          typeof d.Value === "string" ? d.Value : "ref",
        );
        return `${id}: ${p.Namespace}/${p.MetricName} [${dims}] ${p.ExtendedStatistic ?? p.Statistic} ${p.ComparisonOperator} ${p.Threshold} missing=${p.TreatMissingData}`;
      })
      .sort();
    expect(summary).toEqual([
      "AuditWriteErrorAlarm: bm/AuditWriteError [bm] Sum GreaterThanThreshold 0 missing=notBreaching",
      "DeadLetterAlarm: AWS/SQS/ApproximateNumberOfMessagesVisible [ref] Maximum GreaterThanThreshold 0 missing=notBreaching",
      "FollowupErrorsAlarm: AWS/Lambda/Errors [bm-ci-followup] Sum GreaterThanThreshold 0 missing=notBreaching",
      "FollowupNotInvokedAlarm: AWS/Lambda/Invocations [bm-ci-followup] Sum LessThanThreshold 1 missing=breaching",
      "FrontDoorSlowAlarm: bm/FrontDoorAnswerMs [bm] p99 GreaterThanThreshold 2000 missing=notBreaching",
      "WorkerErrorsAlarm: AWS/Lambda/Errors [bm-ci-worker] Sum GreaterThanThreshold 0 missing=notBreaching",
    ]);
    for (const [, alarm] of alarms())
      expect(alarm.Properties.AlarmActions).toHaveProperty("Fn::If");
  });

  it("lets the worker alone start the follow-up, which drops a start it cannot take within a minute", () => {
    expect(R().WorkerLambdaFunction?.Properties).toMatchObject({
      Environment: { Variables: { BM_FOLLOWUP_FUNCTION: "bm-ci-followup" } },
    });
    const invokeConfig = Object.values(R()).find(
      (r) => r.Type === "AWS::Lambda::EventInvokeConfig",
    );
    expect(invokeConfig?.Properties).toMatchObject({
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    for (const role of ["SlackRole", "FollowupRole"])
      expect(rights(template, role).filter((r) => r.startsWith("lambda:"))).toEqual([]);
  });
});

describe("least privilege", () => {
  const logs = (fn: string) => [
    `logs:CreateLogStream on arn:aws:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/bm-ci-${fn}:*`,
    `logs:PutLogEvents on arn:aws:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/bm-ci-${fn}:*`,
  ];
  const slackSecret =
    "secretsmanager:GetSecretValue on arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:bm/slack-??????";
  const tenantSecrets =
    "secretsmanager:GetSecretValue on arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:bm/tenant/*";
  const operations = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"].flatMap((a) => [
    `dynamodb:${a} on OperationsTable.Arn`,
    `dynamodb:${a} on \${OperationsTable.Arn}/index/*`,
  ]);
  const audit = "dynamodb:PutItem on AuditTable.Arn";

  it("gives the front door the Slack secret, the tables and the queue, and no tenant secret", () => {
    expect(rights(template, "SlackRole")).toEqual(
      [
        ...logs("slack"),
        slackSecret,
        ...operations,
        audit,
        "sqs:SendMessage on WorkQueue.Arn",
      ].sort(),
    );
  });

  it("gives the worker the tenant secrets under the prefix, and the queue as its event source", () => {
    const queue = ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"].map(
      (a) => `sqs:${a} on WorkQueue.Arn`,
    );
    expect(rights(template, "WorkerRole")).toEqual(
      [
        ...logs("worker"),
        slackSecret,
        tenantSecrets,
        ...operations,
        audit,
        ...queue,
        "lambda:InvokeFunction on arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:bm-ci-followup",
      ].sort(),
    );
  });

  it("gives the follow-up what it polls and posts with", () => {
    expect(rights(template, "FollowupRole")).toEqual(
      [
        ...logs("followup"),
        slackSecret,
        tenantSecrets,
        ...operations,
        "dynamodb:Scan on ${OperationsTable.Arn}/index/inflight",
        audit,
        "sqs:SendMessage on WorkQueue.Arn",
      ].sort(),
    );
  });

  it("allows each function every DynamoDB call the operation store makes on the operations table", async () => {
    const source = (
      await Promise.all(
        ["operation-store", "locks", "choice-store", "conditional-writes"].map((file) =>
          readFile(`lib/aws/dynamo/${file}.ts`, "utf8"),
        ),
      )
    ).join("\n");
    const ACTION: Record<string, string> = {
      Get: "GetItem",
      Put: "PutItem",
      Update: "UpdateItem",
      Delete: "DeleteItem",
      Query: "Query",
    };
    const used = [...source.matchAll(/new (Get|Put|Update|Delete|Query)Command\(/g)].map(
      (m) => `dynamodb:${ACTION[m[1] as string]} on OperationsTable.Arn`,
    );
    expect(new Set(used).size).toBeGreaterThanOrEqual(4);
    for (const role of ["SlackRole", "WorkerRole", "FollowupRole"])
      for (const right of used) expect(rights(template, role)).toContain(right);
  });

  it("breaks no rule: no '*', nothing but PutItem and Query on the audit table, no tenant secret for the front door", () => {
    expect(violations(template, "bm/tenant/")).toEqual([]);
  });

  it("would catch a role that gains a forbidden right", () => {
    const mutated = structuredClone(template);
    const statements = (id: string) => {
      const policies = mutated.Resources[id]?.Properties?.Policies as
        | Array<{ PolicyDocument: { Statement: unknown[] } }>
        | undefined;
      return policies?.[0]?.PolicyDocument.Statement;
    };
    statements("SlackRole")?.push({
      Effect: "Allow",
      Action: "secretsmanager:GetSecretValue",
      Resource: {
        "Fn::Sub":
          "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:bm/tenant/*",
      },
    });
    statements("WorkerRole")?.push({
      Effect: "Allow",
      Action: ["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
      Resource: { "Fn::GetAtt": ["AuditTable", "Arn"] },
    });
    statements("FollowupRole")?.push({ Effect: "Allow", Action: "s3:*", Resource: "*" });
    expect(violations(mutated, "bm/tenant/")).toEqual([
      "SlackRole: the front door may read tenant secrets (arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:bm/tenant/*)",
      "WorkerRole: dynamodb:DeleteItem on the append-only audit table",
      "WorkerRole: dynamodb:UpdateItem on the append-only audit table",
      "FollowupRole: s3:* on every resource",
      "FollowupRole: every action of s3:*",
    ]);
  });
});

describe("the Slack app manifest", () => {
  /** The bot scope each Web API method bm calls needs (Slack's method reference); null: none. */
  const SCOPES: Record<string, string | null> = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.getPermalink": null,
    "usergroups.users.list": "usergroups:read",
    "views.open": null,
  };

  it("asks for exactly the bot scopes the code uses, with /bm and interactivity on one URL", async () => {
    const { parse } = await import("yaml");
    const manifest = parse(await readFile("infra/slack-app-manifest.yml", "utf8"));
    const code = await readFile("lib/slack/chat.ts", "utf8");
    const methods = [...code.matchAll(/client\.((?:[a-z]+\.)+[a-zA-Z]+)\(/g)].map(
      (m) => m[1] as string,
    );
    expect(methods.length).toBeGreaterThan(0);
    for (const method of methods) expect(Object.keys(SCOPES)).toContain(method);
    const needed = new Set([
      "commands",
      ...methods.map((m) => SCOPES[m]).filter((s): s is string => !!s),
    ]);
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(needed);
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({ command: "/bm", url: "REQUEST_URL" }),
    ]);
    expect(manifest.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: "REQUEST_URL",
    });
  });
});
