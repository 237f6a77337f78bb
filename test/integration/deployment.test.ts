// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${…} references, as the template holds them
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zipEntries } from "../../lib/deploy/package-check";
import { INDEX, OPERATION_KEY, ROLE_CALLS, type Target } from "../../lib/doctor/role-calls";
import { METRIC_NAMESPACE, METRICS } from "../../lib/metrics";
import { decide } from "../../local/stand-ins/iam-policy";
import { npmRun, type ShipResult } from "../support/ship";
import {
  created,
  holds,
  packTemplate as pack,
  parameterValues,
  refusal,
  resolve,
  resourceText,
  rights,
  roleStatements,
  type Template,
  violations,
} from "../support/template";

/**
 * `osls package`, offline, on serverless.yml: the CloudFormation template it generates is what
 * a deployment would create, checked here before anyone deploys.
 */
let dir: string;
let template: Template;
/** The template packaged with a --param for each CloudFormation parameter's default. */
let withParams: Template;
let zips: string[];
const R = () => template.Resources;
const props = (id: string) => R()[id]?.Properties as Record<string, unknown>;

/** What `npm run package` said: it builds the bundles, then packages, then checks each zip. */
let packaged: ShipResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bm-package-"));
  // As a deployer packages: through the checks of scripts/ship.ts, which build the bundles the
  // second package (osls alone) reuses.
  packaged = await npmRun("package", [
    "--stage",
    "ci",
    "--region",
    "ap-northeast-1",
    "--param=policyFile=infra/policy.example.yml",
    "--package",
    dir,
  ]);
  if (packaged.code !== 0) throw new Error(`${packaged.stdout}\n${packaged.stderr}`);
  template = JSON.parse(
    await readFile(join(dir, "cloudformation-template-update-stack.json"), "utf8"),
  );
  const { readdir } = await import("node:fs/promises");
  zips = (await readdir(dir)).filter((f) => f.endsWith(".zip")).sort();
  const other = await mkdtemp(join(tmpdir(), "bm-package-params-"));
  try {
    withParams = await pack(other, [
      `alarmTopicArn=${TOPIC}`,
      "alarmEmail=ops@example.com",
      "workerMaxConcurrency=4",
      "frontDoorBurstLimit=10",
      "frontDoorRateLimit=5",
      "logLevel=DEBUG",
      "auditRetentionDays=30",
      `auditEventBusArn=${BUS}`,
    ]);
  } finally {
    await rm(other, { recursive: true, force: true });
  }
}, 240_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:ops-alerts";
const BUS = "arn:aws:events:ap-northeast-1:123456789012:event-bus/security";

describe("the generated template", () => {
  it("has the five functions, on nodejs22.x and arm64, each with its own role and its bundle", () => {
    for (const [fn, role, memory, timeout] of [
      ["Slack", "SlackRole", 1024, 5],
      ["Worker", "WorkerRole", 512, 60],
      ["Followup", "FollowupRole", 512, 60],
      ["Archiver", "ArchiverRole", 256, 60],
    ] as const) {
      expect(props(`${fn}LambdaFunction`)).toMatchObject({
        Handler: `dist/${fn.toLowerCase()}.handler`,
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        MemorySize: memory,
        Timeout: timeout,
        Role: { "Fn::Sub": `\${${role}.Arn}` },
        Environment: {
          Variables: expect.objectContaining({
            BM_POLICY: "/var/task/infra/policy.example.yml",
            BM_SLACK_SECRET_ID: "bm/slack",
            POWERTOOLS_LOG_LEVEL: { Ref: "LogLevel" },
          }),
        },
      });
    }
    expect(props("AuditCheckLambdaFunction")).toMatchObject({
      Handler: "dist/audit-check.handler",
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      MemorySize: 512,
      Timeout: 300,
      Role: { "Fn::Sub": "${AuditCheckRole.Arn}" },
      FunctionName: "bm-ci-auditCheck",
      Environment: {
        Variables: expect.objectContaining({
          BM_AUDIT_BUCKET: { Ref: "AuditArchiveBucket" },
          BM_AUDIT_TABLE: { Ref: "AuditTable" },
          BM_TABLE: { Ref: "OperationsTable" },
          BM_SLACK_SECRET_ID: "bm/slack",
        }),
      },
    });
    expect(zips).toEqual([
      "archiver.zip",
      "auditCheck.zip",
      "followup.zip",
      "slack.zip",
      "worker.zip",
    ]);
    expect(Object.values(R()).filter((r) => r.Type === "AWS::IAM::Role")).toHaveLength(5);
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
  });

  it("reserves no concurrency: a new account's quota has none to reserve", () => {
    const functions = Object.entries(R()).filter(([, r]) => r.Type === "AWS::Lambda::Function");
    expect(functions.map(([id]) => id).sort()).toEqual([
      "ArchiverLambdaFunction",
      "AuditCheckLambdaFunction",
      "FollowupLambdaFunction",
      "SlackLambdaFunction",
      "WorkerLambdaFunction",
    ]);
    for (const [id, fn] of functions)
      expect([id, fn.Properties.ReservedConcurrentExecutions]).toEqual([id, undefined]);
  });

  it("caps the workers the queue runs at once with WorkerMaxConcurrency, and keeps reporting batch item failures", () => {
    expect(props("WorkerEventSourceMappingSQSWorkQueue")).toMatchObject({
      ScalingConfig: { MaximumConcurrency: { Ref: "WorkerMaxConcurrency" } },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BatchSize: 5,
    });
  });

  it("throttles the HTTP API's default route with FrontDoorBurstLimit and FrontDoorRateLimit", () => {
    const stages = Object.entries(R()).filter(([, r]) => r.Type === "AWS::ApiGatewayV2::Stage");
    expect(stages.map(([id]) => id)).toEqual(["HttpApiStage"]);
    expect(props("HttpApiStage")).toMatchObject({
      ApiId: { Ref: "HttpApi" },
      DefaultRouteSettings: {
        ThrottlingBurstLimit: { Ref: "FrontDoorBurstLimit" },
        ThrottlingRateLimit: { Ref: "FrontDoorRateLimit" },
      },
    });
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

  it("has both tables on demand, with point-in-time recovery and encryption; TTL only on operations; both protected and kept", () => {
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
    expect(props("AuditTable")?.StreamSpecification).toEqual({
      StreamViewType: "NEW_AND_OLD_IMAGES",
    });
    expect(props("OperationsTable")?.StreamSpecification).toBeUndefined();
    for (const table of ["OperationsTable", "AuditTable"]) {
      expect([table, props(table)?.DeletionProtectionEnabled]).toEqual([table, true]);
      expect([table, R()[table]?.DeletionPolicy, R()[table]?.UpdateReplacePolicy]).toEqual([
        table,
        "Retain",
        "Retain",
      ]);
    }
  });

  it("keeps the functions' logs 90 days", () => {
    const logs = Object.values(R()).filter((r) => r.Type === "AWS::Logs::LogGroup");
    expect(logs.map((l) => l.Properties.RetentionInDays)).toEqual([90, 90, 90, 90, 90]);
  });
});

describe("npm run package", () => {
  it("loads the policy, then checks that each function's zip holds its bundle and that very policy", async () => {
    expect(packaged.stdout).toContain(
      "✔ infra/policy.example.yml: the policy loads (2 channels, 1 tenant), its secret names are valid\n",
    );
    expect(packaged.stdout).toContain(
      `✔ ${dir}: each of the 5 functions' zips holds its bundle and infra/policy.example.yml\n`,
    );
    const { crc32 } = await import("node:zlib");
    const policy = await readFile("infra/policy.example.yml");
    for (const [zip, bundle] of [
      ["archiver.zip", "archiver"],
      ["auditCheck.zip", "audit-check"],
      ["followup.zip", "followup"],
      ["slack.zip", "slack"],
      ["worker.zip", "worker"],
    ]) {
      const entries = zipEntries(await readFile(join(dir, zip as string)));
      expect([zip, entries.map((e) => e.name).sort()]).toEqual([
        zip,
        [`dist/${bundle}.js`, "dist/package.json", "infra/policy.example.yml"].sort(),
      ]);
      expect(entries.find((e) => e.name === "infra/policy.example.yml")).toEqual({
        name: "infra/policy.example.yml",
        crc32: crc32(policy),
        size: policy.length,
      });
    }
  });

  it("refuses to deploy a package made from another policy than the one it checks, before osls deploys", async () => {
    const run = await npmRun("deploy", [
      "--stage",
      "ci",
      "--region",
      "ap-northeast-1",
      "--param=policyFile=test/fixtures/policy.yml",
      "--package",
      dir,
    ]);
    const other = (fn: string) =>
      `  - ${fn}LambdaFunction reads BM_POLICY=/var/task/infra/policy.example.yml, not the policy checked, test/fixtures/policy.yml\n`;
    expect(run).toEqual({
      code: 1,
      stdout:
        "✔ test/fixtures/policy.yml: the policy loads (7 channels, 1 tenant), its secret names are valid\n",
      stderr: `✖ npm run deploy refused; nothing was deployed:\n${["Slack", "Worker", "Followup", "Archiver", "AuditCheck"].map(other).join("")}`,
    });
  });
});

describe("the deployer's rights (infra/deployer-policy.json)", () => {
  /**
   * What CloudFormation calls, with the deployer's own credentials, to create each kind of
   * resource the template holds: a kind added to serverless.yml without its rights fails here.
   */
  const NEEDS: Record<string, string[]> = {
    "AWS::S3::Bucket": [
      "s3:CreateBucket",
      "s3:PutEncryptionConfiguration",
      "s3:PutBucketPublicAccessBlock",
      "s3:PutBucketOwnershipControls",
      "s3:PutBucketVersioning",
      "s3:PutBucketObjectLockConfiguration",
    ],
    "AWS::S3::BucketPolicy": ["s3:PutBucketPolicy", "s3:GetBucketPolicy"],
    "AWS::Logs::LogGroup": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
    "AWS::Lambda::Function": [
      "lambda:CreateFunction",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:GetFunction",
      "iam:PassRole",
    ],
    "AWS::Lambda::Version": ["lambda:PublishVersion", "lambda:ListVersionsByFunction"],
    "AWS::Lambda::EventInvokeConfig": ["lambda:PutFunctionEventInvokeConfig"],
    "AWS::Lambda::Permission": ["lambda:AddPermission", "lambda:RemovePermission"],
    "AWS::Lambda::EventSourceMapping": [
      "lambda:CreateEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
      "lambda:GetEventSourceMapping",
    ],
    "AWS::Events::Rule": ["events:PutRule", "events:PutTargets", "events:DescribeRule"],
    "AWS::ApiGatewayV2::Api": ["apigateway:POST", "apigateway:GET"],
    "AWS::ApiGatewayV2::Stage": ["apigateway:POST", "apigateway:PATCH"],
    "AWS::ApiGatewayV2::Integration": ["apigateway:POST"],
    "AWS::ApiGatewayV2::Route": ["apigateway:POST"],
    "AWS::SNS::Topic": ["sns:CreateTopic", "sns:GetTopicAttributes"],
    "AWS::SNS::Subscription": ["sns:Subscribe", "sns:GetSubscriptionAttributes"],
    "AWS::DynamoDB::Table": [
      "dynamodb:CreateTable",
      "dynamodb:DescribeTable",
      "dynamodb:UpdateTimeToLive",
      "dynamodb:UpdateContinuousBackups",
    ],
    "AWS::SQS::Queue": ["sqs:CreateQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes"],
    "AWS::CloudWatch::Alarm": ["cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms"],
    "AWS::CloudWatch::Dashboard": ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard"],
    "AWS::IAM::Role": ["iam:CreateRole", "iam:PutRolePolicy", "iam:GetRole"],
  };

  it("allows what each kind of resource of the template needs, and the stack itself", async () => {
    const policy = JSON.parse(await readFile("infra/deployer-policy.json", "utf8")) as {
      Statement: Array<{ Effect: string; Action: string | string[] }>;
    };
    const allowed = new Set(
      policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => [s.Action].flat()),
    );
    const create = JSON.parse(
      await readFile(join(dir, "cloudformation-template-create-stack.json"), "utf8"),
    ) as Template;
    const kinds = new Set(
      [template, create].flatMap((t) => Object.values(t.Resources).map((r) => r.Type)),
    );
    expect([...kinds].filter((k) => !(k in NEEDS))).toEqual([]);
    const needed = [
      ...[...kinds].flatMap((k) => NEEDS[k] ?? []),
      "cloudformation:CreateStack",
      "cloudformation:UpdateStack",
      "cloudformation:DescribeStacks",
      "cloudformation:DescribeStackEvents",
      "cloudformation:ValidateTemplate",
      // The deployment bucket's artifacts: osls uploads, lists and prunes them.
      "s3:PutObject",
      "s3:ListBucket",
      "s3:DeleteObject",
      // npm run doctor's role checks (test/integration/doctor.test.ts loads this very policy).
      "iam:SimulatePrincipalPolicy",
    ];
    expect(needed.filter((a) => !allowed.has(a))).toEqual([]);
    // No wildcard action: each right is named.
    expect([...allowed].filter((a) => a.includes("*"))).toEqual([]);
  });
});

describe("the audit archive", () => {
  const ARCHIVE = ["AuditArchiveBucket.Arn", "${AuditArchiveBucket.Arn}/*"];
  const statements = () =>
    (
      props("AuditArchiveBucketPolicy").PolicyDocument as {
        Statement: Array<Record<string, unknown>>;
      }
    ).Statement;

  it("feeds the audit table's stream to the archiver, in order, from the oldest record, a dead-letter queue after 50 tries", () => {
    const mappings = Object.entries(R()).filter(
      ([, r]) => r.Type === "AWS::Lambda::EventSourceMapping",
    );
    expect(mappings.map(([id]) => id).sort()).toEqual([
      "ArchiverEventSourceMappingDynamodbAuditTable",
      "WorkerEventSourceMappingSQSWorkQueue",
    ]);
    expect(props("ArchiverEventSourceMappingDynamodbAuditTable")).toEqual({
      EventSourceArn: { "Fn::GetAtt": ["AuditTable", "StreamArn"] },
      FunctionName: { "Fn::GetAtt": ["ArchiverLambdaFunction", "Arn"] },
      Enabled: true,
      BatchSize: 100,
      StartingPosition: "TRIM_HORIZON",
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 50,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      DestinationConfig: {
        OnFailure: { Destination: { "Fn::GetAtt": ["ArchiverDeadLetterQueue", "Arn"] } },
      },
    });
    expect(props("ArchiverDeadLetterQueue")).toEqual({
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
    expect(props("ArchiverLambdaFunction")).toMatchObject({
      Environment: {
        Variables: {
          BM_AUDIT_ARCHIVE_BUCKET: { Ref: "AuditArchiveBucket" },
          BM_AUDIT_EVENT_BUS: { Ref: "AuditEventBusArn" },
        },
      },
    });
  });

  it("is a bucket with Object Lock in compliance mode for AuditRetentionDays, versioned, encrypted, private and kept", () => {
    expect(R().AuditArchiveBucket).toMatchObject({
      Type: "AWS::S3::Bucket",
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
    expect(props("AuditArchiveBucket")).toEqual({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: "Enabled",
        Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: { Ref: "AuditRetentionDays" } } },
      },
      VersioningConfiguration: { Status: "Enabled" },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
    });
    // The bucket has no lifecycle rule: nothing expires it, even after its retention.
    expect(props("AuditArchiveBucket").LifecycleConfiguration).toBeUndefined();
  });

  it("refuses plain HTTP to everyone", () => {
    expect(props("AuditArchiveBucketPolicy").Bucket).toEqual({ Ref: "AuditArchiveBucket" });
    const tls = statements().filter((s) => s.Sid === "DenyInsecureTransport");
    expect(tls).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [
          { "Fn::GetAtt": ["AuditArchiveBucket", "Arn"] },
          { "Fn::Sub": "${AuditArchiveBucket.Arn}/*" },
        ],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("denies every bm function role deleting, unlocking or reconfiguring it", () => {
    const roles = Object.entries(R())
      .filter(([, r]) => r.Type === "AWS::IAM::Role")
      .map(([id]) => id)
      .sort();
    expect(roles).toEqual([
      "ArchiverRole",
      "AuditCheckRole",
      "FollowupRole",
      "SlackRole",
      "WorkerRole",
    ]);
    const deny = statements().filter((s) => s.Sid === "DenyBmFunctionsChangingTheArchive");
    expect(deny).toHaveLength(1);
    const [statement] = deny as [Record<string, unknown>];
    expect(statement.Effect).toBe("Deny");
    const principals = (statement.Principal as { AWS: unknown[] }).AWS.map(resourceText).sort();
    expect(principals).toEqual(roles.map((r) => `${r}.Arn`));
    expect([statement.Action].flat().sort()).toEqual(
      [
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:PutObjectRetention",
        "s3:PutObjectLegalHold",
        "s3:BypassGovernanceRetention",
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutLifecycleConfiguration",
        "s3:PutBucketVersioning",
      ].sort(),
    );
    expect((statement.Resource as unknown[]).map(resourceText)).toEqual(ARCHIVE);
    expect(statement.Condition).toBeUndefined();
    expect(statements()).toHaveLength(2);
  });

  it("names the bucket and the audit table in the outputs", () => {
    expect(template.Outputs?.AuditArchiveBucket).toMatchObject({
      Value: { Ref: "AuditArchiveBucket" },
    });
    expect(template.Outputs?.AuditTableName).toMatchObject({ Value: { Ref: "AuditTable" } });
  });
});

describe("the stack's outputs", () => {
  const value = (name: string) =>
    (template.Outputs?.[name] as { Value?: unknown } | undefined)?.Value;

  it("name everything an operator needs: both tables, the queues, the dashboard, the alarm topic, the logs, Slack's URL, the archive, the roles", () => {
    // The framework's own (the deployment bucket, each function's version, the HTTP API) aside.
    const ours = Object.keys(template.Outputs ?? {}).filter(
      (name) =>
        !/^(ServerlessDeploymentBucketName|HttpApi(Id|Url)|\w+LambdaFunctionQualifiedArn)$/.test(
          name,
        ),
    );
    expect(Object.fromEntries(ours.map((name) => [name, value(name)]))).toEqual({
      SlackRequestUrl: {
        "Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/slack/events",
      },
      FrontDoorLogGroup: { Ref: "SlackLogGroup" },
      OperationsTableName: { Ref: "OperationsTable" },
      AuditTableName: { Ref: "AuditTable" },
      WorkQueueUrl: { Ref: "WorkQueue" },
      WorkQueueName: { "Fn::GetAtt": ["WorkQueue", "QueueName"] },
      DeadLetterQueueUrl: { Ref: "DeadLetterQueue" },
      DeadLetterQueueName: { "Fn::GetAtt": ["DeadLetterQueue", "QueueName"] },
      ArchiverDeadLetterQueueUrl: { Ref: "ArchiverDeadLetterQueue" },
      DashboardName: { Ref: "Dashboard" },
      DashboardUrl: {
        "Fn::Sub":
          "https://${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=${AWS::Region}#dashboards/dashboard/${Dashboard}",
      },
      AlarmTopicArn: {
        "Fn::If": ["CreateAlarmTopic", { Ref: "AlarmTopic" }, { Ref: "AlarmTopicArn" }],
      },
      AuditArchiveBucket: { Ref: "AuditArchiveBucket" },
      // npm run doctor's role checks: BM_SLACK_ROLE_ARN and the others.
      SlackRoleArn: { "Fn::GetAtt": ["SlackRole", "Arn"] },
      WorkerRoleArn: { "Fn::GetAtt": ["WorkerRole", "Arn"] },
      FollowupRoleArn: { "Fn::GetAtt": ["FollowupRole", "Arn"] },
      AuditCheckRoleArn: { "Fn::GetAtt": ["AuditCheckRole", "Arn"] },
    });
    for (const name of ours)
      expect([
        name,
        ((template.Outputs?.[name] ?? {}) as { Description?: string }).Description ?? "",
      ]).toEqual([name, expect.stringMatching(/^\S.{9,}/)]);
    // What they refer to: the front door's log group, the stack's dashboard.
    expect(R().SlackLogGroup).toMatchObject({
      Type: "AWS::Logs::LogGroup",
      Properties: { LogGroupName: "/aws/lambda/bm-ci-slack" },
    });
    for (const id of ["OperationsTable", "WorkQueue", "DeadLetterQueue", "ArchiverDeadLetterQueue"])
      expect([id, R()[id]?.Type]).toEqual([
        id,
        expect.stringMatching(/^AWS::(DynamoDB::Table|SQS::Queue)$/),
      ]);
    expect(props("Dashboard").DashboardName).toBe("bm-ci");
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

  it("alarms on the plumbing and on bm's own metrics, each with its metric, dimension, threshold and missing data", () => {
    const summary = alarms()
      .map(([id, a]) => {
        const p = a.Properties;
        const dims = (p.Dimensions as Array<{ Name: string; Value: unknown }>).map(
          (d) => `${d.Name}=${resourceText(d.Value)}`,
        );
        return `${id}: ${p.Namespace}/${p.MetricName} [${dims}] ${p.ExtendedStatistic ?? p.Statistic} ${p.Period}s ${p.ComparisonOperator} ${p.Threshold} missing=${p.TreatMissingData}`;
      })
      .sort();
    expect(summary).toEqual([
      "ArchiverDeadLetterAlarm: AWS/SQS/ApproximateNumberOfMessagesVisible [QueueName=ArchiverDeadLetterQueue.QueueName] Maximum 300s GreaterThanThreshold 0 missing=notBreaching",
      "ArchiverErrorsAlarm: AWS/Lambda/Errors [FunctionName=bm-ci-archiver] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "ArchiverIteratorAgeAlarm: AWS/Lambda/IteratorAge [FunctionName=bm-ci-archiver] Maximum 300s GreaterThanThreshold 300000 missing=notBreaching",
      "AuditCheckErrorsAlarm: AWS/Lambda/Errors [FunctionName=bm-ci-auditCheck] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "AuditCheckNotInvokedAlarm: AWS/Lambda/Invocations [FunctionName=bm-ci-auditCheck] Sum 86400s LessThanThreshold 1 missing=breaching",
      "AuditConflictAlarm: bm/AuditConflict [service=bm] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "AuditFindingsAlarm: bm/AuditFindings [service=bm] Maximum 86400s GreaterThanThreshold 0 missing=notBreaching",
      "AuditOutboxStaleAlarm: bm/AuditOutboxStale [service=bm] Maximum 300s GreaterThanThreshold 0 missing=notBreaching",
      "AuditTamperedAlarm: bm/AuditTampered [service=bm] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "AuditWriteErrorAlarm: bm/AuditWriteError [service=bm] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "DeadLetterAlarm: AWS/SQS/ApproximateNumberOfMessagesVisible [QueueName=DeadLetterQueue.QueueName] Maximum 300s GreaterThanThreshold 0 missing=notBreaching",
      "FollowupErrorsAlarm: AWS/Lambda/Errors [FunctionName=bm-ci-followup] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "FollowupNotInvokedAlarm: AWS/Lambda/Invocations [FunctionName=bm-ci-followup] Sum 300s LessThanThreshold 1 missing=breaching",
      "FollowupRecursionAlarm: AWS/Lambda/RecursiveInvocationsDropped [FunctionName=bm-ci-followup] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "FrontDoorErrorsAlarm: AWS/Lambda/Errors [FunctionName=bm-ci-slack] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "FrontDoorSlowAlarm: bm/FrontDoorAnswerMs [service=bm] p99 300s GreaterThanThreshold 2000 missing=notBreaching",
      "HttpApi5xxAlarm: AWS/ApiGateway/5xx [ApiId=Ref HttpApi] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "WorkQueueAgeAlarm: AWS/SQS/ApproximateAgeOfOldestMessage [QueueName=WorkQueue.QueueName] Maximum 300s GreaterThanThreshold 300 missing=notBreaching",
      "WorkerErrorsAlarm: AWS/Lambda/Errors [FunctionName=bm-ci-worker] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
      "WorkerRecursionAlarm: AWS/Lambda/RecursiveInvocationsDropped [FunctionName=bm-ci-worker] Sum 300s GreaterThanThreshold 0 missing=notBreaching",
    ]);
    // The functions the alarms name are the template's.
    for (const fn of ["slack", "worker", "followup", "archiver"])
      expect(props(`${fn[0]?.toUpperCase()}${fn.slice(1)}LambdaFunction`)?.FunctionName).toBe(
        `bm-ci-${fn}`,
      );
  });

  it("notifies, from every alarm, the stack's own topic when no AlarmTopicArn is given, with an e-mail subscription only when AlarmEmail is", () => {
    const alarmIds = alarms().map(([id]) => id);
    const topicAndSubscription = (values: Record<string, string>) =>
      created(template, parameterValues(template, values)).filter((id) =>
        ["AlarmTopic", "AlarmEmailSubscription"].includes(id),
      );
    const actions = (values: Record<string, string>) =>
      alarms().map(([id, a]) => [
        id,
        resolve(template, a.Properties.AlarmActions, parameterValues(template, values)),
      ]);

    expect(R().AlarmTopic?.Type).toBe("AWS::SNS::Topic");
    expect(topicAndSubscription({})).toEqual(["AlarmTopic"]);
    expect(actions({})).toEqual(alarmIds.map((id) => [id, [{ Ref: "AlarmTopic" }]]));

    const email = { AlarmEmail: "ops@example.com" };
    expect(topicAndSubscription(email)).toEqual(["AlarmEmailSubscription", "AlarmTopic"]);
    expect(R().AlarmEmailSubscription?.Type).toBe("AWS::SNS::Subscription");
    expect(
      resolve(template, props("AlarmEmailSubscription"), parameterValues(template, email)),
    ).toEqual({
      TopicArn: { Ref: "AlarmTopic" },
      Protocol: "email",
      Endpoint: "ops@example.com",
    });
    expect(actions(email)).toEqual(alarmIds.map((id) => [id, [{ Ref: "AlarmTopic" }]]));

    // A topic of one's own: no topic made, no subscription to it, whatever the e-mail.
    for (const given of [{ AlarmTopicArn: TOPIC }, { AlarmTopicArn: TOPIC, ...email }]) {
      expect(topicAndSubscription(given)).toEqual([]);
      expect(actions(given)).toEqual(alarmIds.map((id) => [id, [TOPIC]]));
    }

    // The output names the topic the alarms notify, either way.
    const output = (values: Record<string, string>) =>
      resolve(template, template.Outputs?.AlarmTopicArn, parameterValues(template, values));
    expect(output({})).toMatchObject({ Value: { Ref: "AlarmTopic" } });
    expect(output({ AlarmTopicArn: TOPIC })).toMatchObject({ Value: TOPIC });
  });

  it("lets the worker alone start the follow-up, which drops a start it cannot take within a minute", () => {
    expect(R().WorkerLambdaFunction?.Properties).toMatchObject({
      Environment: { Variables: { BM_FOLLOWUP_FUNCTION: "bm-ci-followup" } },
    });
    const invokeConfig = Object.values(R()).find(
      (r) =>
        r.Type === "AWS::Lambda::EventInvokeConfig" &&
        JSON.stringify(r.Properties).includes("Followup"),
    );
    expect(invokeConfig?.Properties).toMatchObject({
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
    for (const role of ["SlackRole", "FollowupRole"])
      expect(rights(template, role).filter((r) => r.startsWith("lambda:"))).toEqual([]);
  });
});

describe("the CloudFormation parameters", () => {
  /** What differs between accounts, and the default a new account deploys with. */
  const EXPECTED = {
    AlarmTopicArn: { Type: "String", Default: "" },
    AlarmEmail: { Type: "String", Default: "" },
    WorkerMaxConcurrency: { Type: "Number", Default: "2", MinValue: 2, MaxValue: 1000 },
    FrontDoorBurstLimit: { Type: "Number", Default: "50", MinValue: 1 },
    FrontDoorRateLimit: { Type: "Number", Default: "20", MinValue: 1 },
    LogLevel: {
      Type: "String",
      Default: "INFO",
      AllowedValues: ["DEBUG", "INFO", "WARN", "ERROR"],
    },
    AuditRetentionDays: { Type: "Number", Default: "400", MinValue: 1, MaxValue: 36500 },
    AuditEventBusArn: { Type: "String", Default: "" },
  };
  const parameter = (name: keyof typeof EXPECTED) => {
    const p = template.Parameters?.[name];
    if (!p) throw new Error(`no parameter ${name}`);
    return p;
  };

  it("are what differs between accounts, each described, with a default its own constraints accept", () => {
    expect(Object.keys(template.Parameters ?? {}).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [name, expected] of Object.entries(EXPECTED)) {
      const p = parameter(name as keyof typeof EXPECTED);
      expect([name, p]).toEqual([name, expect.objectContaining(expected)]);
      expect([name, (p.Description ?? "").length > 0]).toEqual([name, true]);
      expect([name, refusal(p, String(p.Default))]).toEqual([name, null]);
    }
  });

  it.each([
    ["AlarmTopicArn", TOPIC, null],
    ["AlarmTopicArn", "arn:aws-cn:sns:cn-north-1:123456789012:ops", null],
    ["AlarmTopicArn", "ops-alerts", "refused"],
    ["AlarmTopicArn", "arn:aws:sqs:ap-northeast-1:123456789012:ops", "refused"],
    ["AlarmTopicArn", `${TOPIC} `, "refused"],
    ["AlarmEmail", "ops@example.com", null],
    ["AlarmEmail", "ops", "refused"],
    ["AlarmEmail", "ops team@example.com", "refused"],
    ["WorkerMaxConcurrency", "1", "1 is under 2"],
    ["WorkerMaxConcurrency", "1000", null],
    ["WorkerMaxConcurrency", "1001", "1001 is over 1000"],
    ["FrontDoorBurstLimit", "0", "0 is under 1"],
    ["FrontDoorRateLimit", "0", "0 is under 1"],
    ["LogLevel", "DEBUG", null],
    ["LogLevel", "TRACE", "TRACE is not one of DEBUG, INFO, WARN, ERROR"],
    ["AuditRetentionDays", "0", "0 is under 1"],
    ["AuditRetentionDays", "1", null],
    ["AuditRetentionDays", "3650", null],
    ["AuditRetentionDays", "36501", "36501 is over 36500"],
    ["AuditEventBusArn", BUS, null],
    ["AuditEventBusArn", "security", "refused"],
    ["AuditEventBusArn", TOPIC, "refused"],
    ["AuditEventBusArn", `${BUS} `, "refused"],
  ] as const)("%s takes %j: %s", (name, value, expected) => {
    const why = refusal(parameter(name), value);
    if (expected === "refused") expect(why).toMatch(/does not match/);
    else expect(why).toBe(expected);
  });

  it("are each used by the template", () => {
    const text = JSON.stringify({ ...template, Parameters: undefined });
    for (const name of Object.keys(EXPECTED))
      expect([name, text.includes(JSON.stringify({ Ref: name }))]).toEqual([name, true]);
  });

  it("take their defaults from a --param of the same name in camelCase, and the template holds no account's value without one", () => {
    expect(
      Object.fromEntries(
        Object.entries(withParams.Parameters ?? {}).map(([name, p]) => [name, p.Default]),
      ),
    ).toEqual({
      AlarmTopicArn: TOPIC,
      AlarmEmail: "ops@example.com",
      WorkerMaxConcurrency: "4",
      FrontDoorBurstLimit: "10",
      FrontDoorRateLimit: "5",
      LogLevel: "DEBUG",
      AuditRetentionDays: "30",
      AuditEventBusArn: BUS,
    });
    // An account id (12 digits) or an e-mail address, baked in at package time, would tie the
    // template to one account.
    expect(JSON.stringify(template).match(/\b\d{12}\b|[\w.+-]+@[\w-]+\.[\w.]+/g)).toBeNull();
  });

  it("decide the alarm conditions by their values alone", () => {
    expect(holds(template, "CreateAlarmTopic", parameterValues(template))).toBe(true);
    expect(holds(template, "HasAlarmEmail", parameterValues(template))).toBe(false);
    expect(
      holds(template, "HasAlarmEmail", parameterValues(template, { AlarmEmail: "a@example.com" })),
    ).toBe(true);
    expect(
      holds(template, "CreateAlarmTopic", parameterValues(template, { AlarmTopicArn: TOPIC })),
    ).toBe(false);
  });
});

/** cfn-lint, AWS's own linter for CloudFormation: on PATH, or where pyenv puts it. */
function findCfnLint(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? "")
      .split(delimiter)
      .filter(Boolean)
      .map((d) => join(d, "cfn-lint")),
    "/root/.pyenv/shims/cfn-lint",
  ].filter((c) => existsSync(c));
  // A pyenv shim can exist for a Python that lacks cfn-lint: only one that runs counts.
  return candidates.find((c) => {
    try {
      execFileSync(c, ["--version"], { stdio: "ignore", timeout: 30_000 });
      return true;
    } catch {
      return false;
    }
  });
}
const CFN_LINT = findCfnLint();
if (!CFN_LINT)
  console.warn(
    "cfn-lint test skipped: no cfn-lint on PATH nor at /root/.pyenv/shims/cfn-lint (pip install cfn-lint)",
  );

describe("AWS's own linter", () => {
  it.skipIf(!CFN_LINT)(
    "finds no error and no warning in the template, packaged with the defaults or with every --param",
    async () => {
      const other = join(dir, "with-params.json");
      await writeFile(other, JSON.stringify(withParams, null, 2));
      const files = [join(dir, "cloudformation-template-update-stack.json"), other];
      const { code, output } = await new Promise<{ code: number; output: string }>((done) =>
        execFile(
          CFN_LINT as string,
          ["--", ...files],
          { timeout: 60_000 },
          (error, stdout, stderr) =>
            done({ code: error ? Number(error.code ?? -1) : 0, output: `${stdout}${stderr}` }),
        ),
      );
      // The whole of cfn-lint's output is in the failure's diff.
      expect({ code, output }).toEqual({ code: 0, output: "" });
    },
    60_000,
  );
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
  const onlyKeys = (...keys: string[]) =>
    ` when {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":${JSON.stringify(keys)}}}`;
  const operations = ["GetItem", "PutItem", "UpdateItem", "Query"]
    .flatMap((a) => [
      `dynamodb:${a} on OperationsTable.Arn`,
      `dynamodb:${a} on \${OperationsTable.Arn}/index/*`,
    ])
    .concat(`dynamodb:DeleteItem on OperationsTable.Arn${onlyKeys("lock#*")}`);
  const audit = ["dynamodb:PutItem on AuditTable.Arn", "dynamodb:GetItem on AuditTable.Arn"];

  it("gives the front door the Slack secret, the tables, the in-flight index and the queue, and no tenant secret", () => {
    expect(rights(template, "SlackRole")).toEqual(
      [
        ...logs("slack"),
        slackSecret,
        ...operations,
        // The Home tab reads what is in flight (lib/front-door/open-home.ts).
        "dynamodb:Scan on ${OperationsTable.Arn}/index/inflight",
        ...audit,
        "sqs:SendMessage on WorkQueue.Arn",
      ].sort(),
    );
  });

  it("gives the worker the tenant secrets under the prefix, and the queue as its event source", () => {
    // ChangeMessageVisibility: a passing failure backed off on its own message.
    const queue = [
      "SendMessage",
      "ChangeMessageVisibility",
      "ReceiveMessage",
      "DeleteMessage",
      "GetQueueAttributes",
    ].map((a) => `sqs:${a} on WorkQueue.Arn`);
    expect(rights(template, "WorkerRole")).toEqual(
      [
        ...logs("worker"),
        slackSecret,
        tenantSecrets,
        ...operations,
        // The Home tabs a change shows in (lib/front-door/republish-home.ts).
        "dynamodb:Scan on ${OperationsTable.Arn}/index/inflight",
        ...audit,
        ...queue,
        "lambda:InvokeFunction on arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:bm-ci-followup",
      ].sort(),
    );
  });

  it("lets the follow-up take, renew and drop its lease on the operations table itself (lease#followup)", () => {
    const followup = rights(template, "FollowupRole");
    for (const action of ["GetItem", "PutItem", "UpdateItem"])
      expect(followup).toContain(`dynamodb:${action} on OperationsTable.Arn`);
    expect(followup).toContain(
      `dynamodb:DeleteItem on OperationsTable.Arn${onlyKeys("lock#*", "lease#*")}`,
    );
  });

  it("gives the follow-up what it polls and posts with", () => {
    expect(rights(template, "FollowupRole")).toEqual(
      [
        ...logs("followup"),
        slackSecret,
        tenantSecrets,
        ...operations.filter((r) => !r.startsWith("dynamodb:DeleteItem")),
        `dynamodb:DeleteItem on OperationsTable.Arn${onlyKeys("lock#*", "lease#*")}`,
        "dynamodb:Scan on ${OperationsTable.Arn}/index/inflight",
        ...audit,
        "sqs:SendMessage on WorkQueue.Arn",
      ].sort(),
    );
  });

  const archiver = [
    ...logs("archiver"),
    ...["DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"].map(
      (a) => `dynamodb:${a} on AuditTable.StreamArn`,
    ),
    "s3:PutObject on ${AuditArchiveBucket.Arn}/*",
    "s3:GetObject on ${AuditArchiveBucket.Arn}/*",
    "sqs:SendMessage on ArchiverDeadLetterQueue.Arn",
  ];

  it("gives the archiver the audit stream, new objects in the archive, its dead-letter queue, and no bus by default", () => {
    expect(rights(template, "ArchiverRole")).toEqual(archiver.sort());
  });

  it("lets the archiver put events on the bus AuditEventBusArn names, and on no other", () => {
    const values = parameterValues(template, { AuditEventBusArn: BUS });
    expect(rights(template, "ArchiverRole", values)).toEqual(
      [...archiver, `events:PutEvents on ${BUS}`].sort(),
    );
    for (const role of ["SlackRole", "WorkerRole", "FollowupRole"])
      expect(rights(template, role, values).filter((r) => !r.startsWith("dynamodb:"))).toEqual(
        rights(template, role).filter((r) => !r.startsWith("dynamodb:")),
      );
  });

  it("gives the audit check reads of both tables, the seal's put, reads of the archive and the Slack secret", () => {
    expect(rights(template, "AuditCheckRole")).toEqual(
      [
        ...logs("auditCheck"),
        slackSecret,
        "dynamodb:Scan on OperationsTable.Arn",
        "dynamodb:Scan on AuditTable.Arn",
        ...audit,
        "s3:ListBucket on AuditArchiveBucket.Arn",
        "s3:GetObject on ${AuditArchiveBucket.Arn}/*",
      ].sort(),
    );
  });

  it("schedules the audit check at 00:30 UTC, once, not retried", () => {
    expect(
      Object.values(R()).filter(
        (r) =>
          r.Type === "AWS::Events::Rule" &&
          JSON.stringify(r.Properties.Targets).includes("AuditCheckLambdaFunction"),
      ),
    ).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({ ScheduleExpression: "cron(30 0 * * ? *)" }),
      }),
    ]);
    expect(
      Object.values(R()).find(
        (r) =>
          r.Type === "AWS::Lambda::EventInvokeConfig" &&
          JSON.stringify(r.Properties).includes("AuditCheck"),
      )?.Properties,
    ).toMatchObject({ MaximumRetryAttempts: 0 });
  });

  it("gives no role but the archiver and the audit check any S3 right, nor any role a right to delete, unlock or reconfigure", () => {
    for (const role of ["SlackRole", "WorkerRole", "FollowupRole"])
      expect([role, rights(template, role).filter((r) => r.startsWith("s3:"))]).toEqual([role, []]);
    for (const role of [
      "SlackRole",
      "WorkerRole",
      "FollowupRole",
      "ArchiverRole",
      "AuditCheckRole",
    ])
      expect([
        role,
        rights(template, role, parameterValues(template, { AuditEventBusArn: BUS })).filter((r) =>
          /^s3:(Delete|PutObjectRetention|PutObjectLegalHold|Bypass|PutBucket|PutLifecycle)/.test(
            r,
          ),
        ),
      ]).toEqual([role, []]);
  });

  it("allows each function every DynamoDB call the operation store makes on the operations table", async () => {
    const source = (
      await Promise.all(
        [
          "operation-store",
          "locks",
          "choice-store",
          "conditional-writes",
          "lease",
          "sightings",
        ].map((file) => readFile(`lib/aws/dynamo/${file}.ts`, "utf8")),
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
      for (const right of used)
        expect(
          rights(template, role).some((r) => r === right || r.startsWith(`${right} when `)),
        ).toBe(true);
    // And npm run doctor asks IAM about each of them (Query: on the index it reads), for each
    // of these functions.
    const table: Target[] = ["operations", "tenant index", "inflight index"];
    for (const role of ["SlackRole", "WorkerRole", "FollowupRole"]) {
      const asked = (ROLE_CALLS.find((r) => r.role === role)?.calls ?? [])
        .filter((c) => table.includes(c.on))
        .flatMap((c) => c.actions);
      const missing = [...new Set(used)]
        .map((u) => u.replace(" on OperationsTable.Arn", ""))
        .filter((action) => !asked.includes(action));
      expect([role, missing]).toEqual([role, []]);
    }
  });

  it("grants each role every call npm run doctor asks IAM about (lib/doctor/role-calls.ts), with the keys it names", () => {
    const account = "123456789012";
    const table = (name: string) => `arn:aws:dynamodb:ap-northeast-1:${account}:table/${name}`;
    const place = {
      partition: "aws",
      region: "ap-northeast-1",
      account,
      attributes: {
        OperationsTable: { Arn: table("ops") },
        AuditTable: { Arn: table("audit") },
        WorkQueue: { Arn: `arn:aws:sqs:ap-northeast-1:${account}:bm-work` },
        AuditArchiveBucket: { Arn: "arn:aws:s3:::bm-archive" },
      },
    };
    const secret = (id: string) =>
      `arn:aws:secretsmanager:ap-northeast-1:${account}:secret:${id}-AbC123`;
    const RESOURCE: Record<Target, string> = {
      operations: table("ops"),
      "inflight index": `${table("ops")}/index/${INDEX["inflight index"]}`,
      "tenant index": `${table("ops")}/index/${INDEX["tenant index"]}`,
      audit: table("audit"),
      queue: `arn:aws:sqs:ap-northeast-1:${account}:bm-work`,
      "Slack secret": secret("bm/slack"),
      "tenant secrets": secret("bm/tenant/prod"),
    };
    expect(ROLE_CALLS.map((r) => r.role)).toEqual([
      "SlackRole",
      "WorkerRole",
      "FollowupRole",
      "AuditCheckRole",
    ]);
    for (const { role, output, calls } of ROLE_CALLS) {
      const policy = roleStatements(template, role, place);
      const refused = calls.flatMap((call) =>
        call.actions
          .filter(
            (action) =>
              decide(
                policy,
                action,
                RESOURCE[call.on],
                call.key ? { "dynamodb:LeadingKeys": [call.key] } : {},
              ) !== "allowed",
          )
          .map((action) => `${action} on ${call.on}`),
      );
      expect([role, refused]).toEqual([role, []]);
      expect(template.Outputs?.[output]).toMatchObject({ Value: { "Fn::GetAtt": [role, "Arn"] } });
    }
    // The keys matter: no role may delete an operation.
    for (const role of ["SlackRole", "WorkerRole", "FollowupRole"])
      expect(
        decide(roleStatements(template, role, place), "dynamodb:DeleteItem", table("ops"), {
          "dynamodb:LeadingKeys": [OPERATION_KEY],
        }),
      ).toBe("implicitDeny");
  });

  it("breaks no rule: no '*', nothing but PutItem, GetItem and Query on the audit table and reads of its stream, nothing that alters the archive, no tenant secret for the front door", () => {
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
    // An operation deleted loses the audit events still in its outbox.
    statements("FollowupRole")?.push({
      Effect: "Allow",
      Action: "dynamodb:DeleteItem",
      Resource: { "Fn::GetAtt": ["OperationsTable", "Arn"] },
    });
    statements("WorkerRole")?.push({
      Effect: "Allow",
      Action: "dynamodb:DeleteItem",
      Resource: { "Fn::GetAtt": ["OperationsTable", "Arn"] },
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["op-*"] } },
    });
    statements("ArchiverRole")?.push({
      Effect: "Allow",
      Action: ["s3:DeleteObjectVersion", "s3:BypassGovernanceRetention", "dynamodb:PutItem"],
      Resource: { "Fn::GetAtt": ["AuditTable", "StreamArn"] },
    });
    expect(violations(mutated, "bm/tenant/")).toEqual([
      "SlackRole: the front door may read tenant secrets (arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:bm/tenant/*)",
      "WorkerRole: dynamodb:DeleteItem on the append-only audit table",
      'WorkerRole: dynamodb:DeleteItem of operations (OperationsTable.Arn when {"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["op-*"]}})',
      "WorkerRole: dynamodb:UpdateItem on the append-only audit table",
      "FollowupRole: dynamodb:DeleteItem of operations (OperationsTable.Arn)",
      "FollowupRole: s3:* on every resource",
      "FollowupRole: every action of s3:*",
      "ArchiverRole: dynamodb:PutItem on the append-only audit table",
      "ArchiverRole: s3:BypassGovernanceRetention on the append-only audit table",
      "ArchiverRole: s3:BypassGovernanceRetention may alter the audit archive",
      "ArchiverRole: s3:DeleteObjectVersion on the append-only audit table",
      "ArchiverRole: s3:DeleteObjectVersion may alter the audit archive",
    ]);
  });
});

describe("the Slack app manifest", () => {
  /** The manifest's placeholder for the SlackRequestUrl output (slack-manifest.test.ts). */
  const PLACEHOLDER_URL = "https://replace-with-your-slack-request-url.invalid/slack/events";
  /** The bot scope each Web API method bm calls needs (Slack's method reference); null: none. */
  const SCOPES: Record<string, string | null> = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.delete": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.getPermalink": null,
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
    "views.open": null,
    // The cards' refusal modal (a non-approver's Reject): no scope either.
    "views.update": null,
    // The Home tab: no scope (Slack's method reference), the tab enabled in the manifest instead.
    "views.publish": null,
    // npm run doctor's reads (lib/slack/doctor-probe.ts); conversations.info needs the scope
    // of the channel's kind, so both.
    "auth.test": null,
    "conversations.info": "channels:read groups:read",
    "usergroups.list": "usergroups:read",
  };

  it("asks for exactly the bot scopes the code uses, with /bm, interactivity and events on one URL", async () => {
    const { parse } = await import("yaml");
    const manifest = parse(await readFile("infra/slack-app-manifest.yml", "utf8"));
    const code = [
      await readFile("lib/slack/chat.ts", "utf8"),
      await readFile("lib/slack/doctor-probe.ts", "utf8"),
    ].join("\n");
    const methods = [...code.matchAll(/client\.((?:[a-z]+\.)+[a-zA-Z]+)\(/g)].map(
      (m) => m[1] as string,
    );
    expect(methods.length).toBeGreaterThan(0);
    for (const method of methods) expect(Object.keys(SCOPES)).toContain(method);
    const needed = new Set(["commands", ...methods.flatMap((m) => SCOPES[m]?.split(" ") ?? [])]);
    expect(new Set(manifest.oauth_config.scopes.bot)).toEqual(needed);
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({ command: "/bm", url: PLACEHOLDER_URL }),
    ]);
    expect(manifest.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: PLACEHOLDER_URL,
    });
    expect(manifest.settings.event_subscriptions.request_url).toBe(PLACEHOLDER_URL);
    expect(manifest.features.app_home.home_tab_enabled).toBe(methods.includes("views.publish"));
  });
});
