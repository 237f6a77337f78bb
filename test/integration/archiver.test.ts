/**
 * The archiver against moto: the audit table of serverless.yml with its stream, events appended
 * by the real DynamoAuditLog, the stream read with DynamoDB Streams' own API and handed to the
 * real handler as Lambda would, and the bucket of serverless.yml with Object Lock. Skipped,
 * saying so, without BM_TEST_MOTO_URL.
 */

import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from "@aws-sdk/client-dynamodb-streams";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chained } from "../../lib/audit/chain";
import { DynamoAuditLog } from "../../lib/aws/dynamo/audit-log";
import { documentClient } from "../../lib/aws/dynamo/documents";
import { readArchive } from "../../lib/aws/s3-audit-archive";
import type { AuditEvent } from "../../lib/operations/operation";
import { createArchiveBucket } from "../../local/archive-bucket";
import { clientOptions, freshAccount } from "../../local/stack/external-aws";
import { createTables } from "../../local/tables";
import { expectErrorLogs } from "../support/error-logs";
import { MOTO_URL } from "../support/stack-harness";

const SERVERLESS_YML = join(import.meta.dirname, "../../serverless.yml");
const REGION = "ap-northeast-1";
const DAY_MS = 24 * 3600 * 1000;

if (!MOTO_URL)
  console.warn(
    "archiver tests against moto skipped: BM_TEST_MOTO_URL is not set (.ci/run starts moto_server)",
  );

/** An audit event as bm appends it. */
function auditEvent(operationId: string, seq: number, at: string, userId: string): AuditEvent {
  // Hashed as bm writes them (unlinked: the archiver keeps what it is given, chain or none).
  return chained<AuditEvent>({
    operationId,
    seq,
    at,
    action: seq === 1 ? "requested" : "approved",
    actor: { userId, name: userId.toLowerCase() },
    facts: { channel: "C0CHANGES", tally: seq },
  } as unknown as AuditEvent);
}

describe.skipIf(!MOTO_URL)("the archiver against moto", () => {
  const endpoint = MOTO_URL as string;
  const saved = { ...process.env };
  const suffix = Math.random().toString(36).slice(2, 8);
  const bucket = `bm-archive-${suffix}`;
  const tables = { operations: `bm-${suffix}-operations`, audit: `bm-${suffix}-audit` };
  let client: ReturnType<typeof clientOptions> & { maxAttempts: number };
  let dynamo: DynamoDBClient;
  let streams: DynamoDBStreamsClient;
  let s3: S3Client;
  let audit: DynamoAuditLog;
  let streamArn: string;
  let iterator: string | undefined;
  const metricLines: string[] = [];

  /** The stream's records since the last call (one shard: moto's table has one). */
  async function newRecords(): Promise<_Record[]> {
    if (!iterator) {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn }),
      );
      const shard = StreamDescription?.Shards?.[0]?.ShardId;
      ({ ShardIterator: iterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shard,
          ShardIteratorType: "TRIM_HORIZON",
        }),
      ));
    }
    const { Records = [], NextShardIterator } = await streams.send(
      new GetRecordsCommand({ ShardIterator: iterator }),
    );
    iterator = NextShardIterator;
    return Records;
  }

  /** The records as Lambda hands them to the function (times in epoch seconds). */
  function lambdaEvent(records: _Record[]): DynamoDBStreamEvent {
    return {
      Records: records.map(
        (r) =>
          ({
            ...r,
            eventSourceARN: streamArn,
            dynamodb: {
              ...r.dynamodb,
              ApproximateCreationDateTime: Math.floor(
                (r.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0) / 1000,
              ),
            },
          }) as DynamoDBRecord,
      ),
    };
  }

  /** The real handler, loaded afresh with this environment (it builds its clients once). */
  async function archiver(env: Record<string, string>) {
    vi.resetModules();
    Object.assign(process.env, env);
    const { handler } = await import("../../handlers/archiver");
    return (event: DynamoDBStreamEvent) => handler(event) as Promise<DynamoDBBatchResponse>;
  }
  const theArchiver = () =>
    archiver({ BM_AUDIT_ARCHIVE_BUCKET: bucket, AWS_ENDPOINT_URL_S3: endpoint });

  /** Every version in the bucket, by key. */
  async function versions(prefix = ""): Promise<Record<string, number>> {
    const { Versions = [] } = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }),
    );
    const count: Record<string, number> = {};
    for (const v of Versions) count[v.Key as string] = (count[v.Key as string] ?? 0) + 1;
    return count;
  }

  async function body(key: string): Promise<string> {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await object.Body?.transformToString()) ?? "";
  }

  /** The AuditTampered values the handler's metric lines (EMF) carry, in order. */
  const tampered = () =>
    metricLines.flatMap((line) => {
      try {
        const emf = JSON.parse(line) as Record<string, unknown>;
        // Powertools puts the values of one invocation in one line: a number, or a list of them.
        return emf.AuditTampered === undefined ? [] : [emf.AuditTampered].flat();
      } catch {
        return [];
      }
    });

  beforeAll(async () => {
    const account = await freshAccount(endpoint, REGION);
    client = { ...clientOptions(endpoint, REGION, account), maxAttempts: 1 };
    dynamo = new DynamoDBClient(client);
    streams = new DynamoDBStreamsClient(client);
    s3 = new S3Client(client);
    await createTables(dynamo, SERVERLESS_YML, tables, { streams: true });
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tables.audit }));
    streamArn = Table?.LatestStreamArn ?? "";
    await createArchiveBucket(s3, SERVERLESS_YML, bucket);
    audit = new DynamoAuditLog(documentClient(dynamo), tables.audit);
    // The handler's clients: this account, moto's S3. Its metrics are read from its output, as
    // CloudWatch reads them, and not printed.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: account.accessKeyId,
      AWS_SECRET_ACCESS_KEY: account.secretAccessKey,
      AWS_SESSION_TOKEN: account.sessionToken,
      AWS_REGION: REGION,
      POWERTOOLS_METRICS_DISABLED: "false",
    });
    const write = process.stdout.write.bind(process.stdout) as (...a: unknown[]) => boolean;
    vi.spyOn(process.stdout, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      const text = String(chunk);
      if (!text.includes('"_aws"')) return write(chunk, ...rest);
      metricLines.push(...text.split("\n").filter(Boolean));
      return true;
    }) as typeof process.stdout.write);
  });
  afterAll(() => {
    vi.restoreAllMocks();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    for (const c of [dynamo, streams, s3]) c?.destroy();
  });

  const first = [
    auditEvent("op-archive-1", 1, "2026-11-30T23:59:58.000Z", "U0REQUESTER"),
    auditEvent("op-archive-1", 2, "2026-12-01T00:00:01.000Z", "U0CEO"),
    // A refusal: seq 0, keyed by its time.
    {
      ...auditEvent("op-archive-1", 0, "2026-12-01T08:00:00.000Z", "U0INTRUDER"),
      action: "refused",
    },
  ];
  let firstBatch: DynamoDBStreamEvent;
  /** The refusal's key, as the table has it. */
  let refusalKey: string;

  it("creates the audit table with its stream of new and old images, and the bucket with Object Lock", async () => {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tables.audit }));
    expect(Table?.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: "NEW_AND_OLD_IMAGES",
    });
    expect(streamArn).toMatch(/^arn:aws:dynamodb:/);
  });

  it("archives each appended event once, as its whole item, locked in compliance mode for 400 days", async () => {
    for (const event of first) await audit.append(event);
    const records = await newRecords();
    expect(records.map((r) => r.eventName)).toEqual(["INSERT", "INSERT", "INSERT"]);
    firstBatch = lambdaEvent(records);

    const handler = await theArchiver();
    expect(await handler(firstBatch)).toEqual({ batchItemFailures: [] });

    refusalKey = records[2]?.dynamodb?.Keys?.event?.S as string;
    const keys = [
      "events/2026-11-30/op-archive-1/e000001.json",
      "events/2026-12-01/op-archive-1/e000002.json",
      `events/2026-12-01/op-archive-1/${encodeURIComponent(refusalKey)}.json`,
    ];
    expect(await versions()).toEqual(Object.fromEntries(keys.map((k) => [k, 1])));
    expect(JSON.parse(await body(keys[1] as string))).toEqual({ ...first[1], event: "e000002" });
    // The lock of each object, as HeadObject shows it (moto 5.2.1 has no GetObjectRetention).
    for (const key of keys) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ObjectLockMode).toBe("COMPLIANCE");
      const until = head.ObjectLockRetainUntilDate?.getTime() ?? 0;
      expect(Math.abs(until - (Date.now() + 400 * DAY_MS))).toBeLessThan(DAY_MS);
    }
  });

  it("refuses deleting an archived version: the lock holds whoever asks", async () => {
    const key = "events/2026-12-01/op-archive-1/e000002.json";
    const { Versions = [] } = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }),
    );
    await expect(
      s3.send(
        new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: Versions[0]?.VersionId }),
      ),
    ).rejects.toMatchObject({ name: "AccessDenied" });
    expect(await versions(key)).toEqual({ [key]: 1 });
  });

  it("writes nothing new when the same batch comes again (a replay): one version each", async () => {
    const before = await versions();
    const handler = await theArchiver();
    expect(await handler(firstBatch)).toEqual({ batchItemFailures: [] });
    expect(await versions()).toEqual(before);
    expect(tampered()).toEqual([]);
  });

  it("keeps a rewrite (an unconditional PutItem) and a delete under changes/, counted as AuditTampered, the archived event untouched", async () => {
    const key = "events/2026-12-01/op-archive-1/e000002.json";
    const archived = await body(key);
    // An insider with a function role's PutItem rewrites the approver.
    await dynamo.send(
      new PutItemCommand({
        TableName: tables.audit,
        Item: marshall({ ...first[1], event: "e000002", actor: { userId: "U0APPROVER2" } }),
      }),
    );
    await dynamo.send(
      new DeleteItemCommand({
        TableName: tables.audit,
        Key: marshall({ operationId: "op-archive-1", event: "e000001" }),
      }),
    );
    const records = await newRecords();
    expect(records.map((r) => r.eventName)).toEqual(["MODIFY", "REMOVE"]);
    const errors = expectErrorLogs(/audit event (changed|removed)/);

    const handler = await theArchiver();
    const batch = lambdaEvent(records);
    expect(await handler(batch)).toEqual({ batchItemFailures: [] });

    const today = new Date().toISOString().slice(0, 10);
    const [modify, remove] = records.map((r) => r.dynamodb?.SequenceNumber);
    const changes = await versions("changes/");
    expect(changes).toEqual({
      [`changes/${today}/op-archive-1/e000002/${modify}.json`]: 1,
      [`changes/${today}/op-archive-1/e000001/${remove}.json`]: 1,
    });
    const change = JSON.parse(
      await body(`changes/${today}/op-archive-1/e000002/${modify}.json`),
    ) as Record<string, { actor: { userId: string } } | string>;
    expect(change).toMatchObject({
      eventName: "MODIFY",
      why: "changed",
      sequenceNumber: modify,
      oldImage: { actor: { userId: "U0CEO" } },
      newImage: { actor: { userId: "U0APPROVER2" } },
    });
    expect(await body(key)).toBe(archived);
    expect(await versions(key)).toEqual({ [key]: 1 });
    expect(tampered()).toEqual([1, 1]);
    expect(errors.lines).toHaveLength(2);
    expect(errors.lines[0]).toContain('"operationId":"op-archive-1"');

    // Again (a replay): nothing new, not counted twice.
    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    expect(await versions("changes/")).toEqual(changes);
    expect(tampered()).toEqual([1, 1]);
  });

  it("reads the archive back for the verifier: events since a day, and the changes", async () => {
    const all = await readArchive(s3, bucket);
    expect(all.events.map((e) => e.item.event).sort()).toEqual(
      ["e000001", "e000002", refusalKey].sort(),
    );
    const since = await readArchive(s3, bucket, "2026-12-01");
    expect(since.events.map((e) => e.key)).not.toContain(
      "events/2026-11-30/op-archive-1/e000001.json",
    );
    expect(since.events).toHaveLength(2);
    expect(all.changes.map((c) => c.change.eventName).sort()).toEqual(["MODIFY", "REMOVE"]);
  });

  it("reports every record from the one S3 failed on, and a retry then writes each event exactly once", async () => {
    const events = [
      auditEvent("op-archive-2", 1, "2026-12-02T09:00:00.000Z", "U0REQUESTER"),
      auditEvent("op-archive-2", 2, "2026-12-02T09:00:01.000Z", "U0APPROVER"),
      auditEvent("op-archive-2", 3, "2026-12-02T09:00:02.000Z", "U0APPROVER"),
    ];
    for (const event of events) await audit.append(event);
    const batch = lambdaEvent(await newRecords());
    const seqs = batch.Records.map((r) => r.dynamodb?.SequenceNumber);
    expect(seqs).toHaveLength(3);
    const errors = expectErrorLogs(/audit record not archived/);

    // A bucket of that name does not exist: the first record fails, and so every one.
    const wrong = await archiver({
      BM_AUDIT_ARCHIVE_BUCKET: `${bucket}-gone`,
      AWS_ENDPOINT_URL_S3: endpoint,
    });
    expect(await wrong(batch)).toEqual({
      batchItemFailures: seqs.map((itemIdentifier) => ({ itemIdentifier })),
    });

    // S3 fails the second event's put (500, every try): the first is archived, the rest not.
    const faulty = await s3Failing(endpoint, "op-archive-2/e000002.json");
    try {
      const failing = await archiver({
        BM_AUDIT_ARCHIVE_BUCKET: bucket,
        AWS_ENDPOINT_URL_S3: faulty.url,
      });
      expect(await failing(batch)).toEqual({
        batchItemFailures: seqs.slice(1).map((itemIdentifier) => ({ itemIdentifier })),
      });
    } finally {
      await faulty.close();
    }
    expect(Object.keys(await versions("events/2026-12-02/op-archive-2/"))).toEqual([
      "events/2026-12-02/op-archive-2/e000001.json",
    ]);
    expect(errors.lines).toHaveLength(2);

    // Lambda retries from the failed record on (here: the whole batch again, as after a crash).
    const handler = await theArchiver();
    expect(await handler(batch)).toEqual({ batchItemFailures: [] });
    expect(await versions("events/2026-12-02/op-archive-2/")).toEqual({
      "events/2026-12-02/op-archive-2/e000001.json": 1,
      "events/2026-12-02/op-archive-2/e000002.json": 1,
      "events/2026-12-02/op-archive-2/e000003.json": 1,
    });
  });

  it("archives an event once when S3's answer to its put is lost: the SDK's retry finds it there", async () => {
    await audit.append(auditEvent("op-archive-4", 1, "2026-12-02T11:00:00.000Z", "U0REQUESTER"));
    const batch = lambdaEvent(await newRecords());
    const lossy = await s3Failing(endpoint, "op-archive-4/e000001.json", "lost-answer", 1);
    try {
      const handler = await archiver({
        BM_AUDIT_ARCHIVE_BUCKET: bucket,
        AWS_ENDPOINT_URL_S3: lossy.url,
      });
      expect(await handler(batch)).toEqual({ batchItemFailures: [] });
      expect(lossy.hits()).toBe(1);
    } finally {
      await lossy.close();
    }
    expect(await versions("events/2026-12-02/op-archive-4/")).toEqual({
      "events/2026-12-02/op-archive-4/e000001.json": 1,
    });
    expect(tampered()).toEqual([1, 1]);
  });

  it("gives up on a put S3 never answers within BM_AWS_TIMEOUT_MS a try, and reports the record", async () => {
    await audit.append(auditEvent("op-archive-5", 1, "2026-12-02T12:00:00.000Z", "U0REQUESTER"));
    const batch = lambdaEvent(await newRecords());
    const silent = await s3Failing(endpoint, "op-archive-5/e000001.json", "hang");
    const errors = expectErrorLogs(/audit record not archived/);
    const started = Date.now();
    try {
      const handler = await archiver({
        BM_AUDIT_ARCHIVE_BUCKET: bucket,
        AWS_ENDPOINT_URL_S3: silent.url,
        BM_AWS_TIMEOUT_MS: "300",
      });
      expect(await handler(batch)).toEqual({
        batchItemFailures: [{ itemIdentifier: batch.Records[0]?.dynamodb?.SequenceNumber }],
      });
    } finally {
      await silent.close();
      delete process.env.BM_AWS_TIMEOUT_MS;
    }
    // Three tries of 300 ms, and the SDK's back-off between them: seconds, not the function's 60.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(errors.lines).toHaveLength(1);
    expect(await versions("events/2026-12-02/op-archive-5/")).toEqual({});
  });

  it("puts each new event on the EventBridge bus BM_AUDIT_EVENT_BUS names, where a rule routes it", async () => {
    const events = new EventBridgeClient(client);
    const sqs = new SQSClient(client);
    try {
      const { EventBusArn } = await events.send(
        new CreateEventBusCommand({ Name: `bm-audit-${suffix}` }),
      );
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `siem-${suffix}` }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
      );
      await events.send(
        new PutRuleCommand({
          Name: "to-siem",
          EventBusName: EventBusArn,
          EventPattern: JSON.stringify({ source: ["bm.audit"], "detail-type": ["bm audit event"] }),
        }),
      );
      await events.send(
        new PutTargetsCommand({
          Rule: "to-siem",
          EventBusName: EventBusArn,
          Targets: [{ Id: "siem", Arn: Attributes?.QueueArn }],
        }),
      );
      const appended = Array.from({ length: 12 }, (_, i) =>
        auditEvent("op-archive-3", i + 1, "2026-12-02T10:00:00.000Z", "U0REQUESTER"),
      );
      for (const event of appended) await audit.append(event);
      const batch = lambdaEvent(await newRecords());

      const handler = await archiver({
        BM_AUDIT_ARCHIVE_BUCKET: bucket,
        AWS_ENDPOINT_URL_S3: endpoint,
        BM_AUDIT_EVENT_BUS: EventBusArn as string,
        AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
        // moto delivers to the queue inside PutEvents: slow on a busy machine.
        BM_AWS_TIMEOUT_MS: "15000",
      });
      expect(await handler(batch)).toEqual({ batchItemFailures: [] });

      const received: Array<{ source: string; "detail-type": string; detail: { event: string } }> =
        [];
      for (let tries = 0; tries < 5 && received.length < 12; tries++) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        received.push(...Messages.map((m) => JSON.parse(m.Body ?? "{}")));
      }
      expect(received.map((m) => [m.source, m["detail-type"]])).toEqual(
        appended.map(() => ["bm.audit", "bm audit event"]),
      );
      expect(received.map((m) => m.detail.event).sort()).toEqual(
        appended.map((e) => `e${String(e.seq).padStart(6, "0")}`),
      );
    } finally {
      delete process.env.BM_AWS_TIMEOUT_MS;
      events.destroy();
      sqs.destroy();
    }
  });
});

/**
 * S3 in front of moto, with a fault on the PUTs of a key that ends with `keyEnd` (the first
 * `times` of them; every one by default): `error` answers a 500 (the SDK tries again, and fails
 * again), `hang` never answers, `lost-answer` lets moto write the object and cuts the connection
 * before its answer. Every other call passes through.
 */
async function s3Failing(
  upstream: string,
  keyEnd: string,
  kind: "error" | "hang" | "lost-answer" = "error",
  times = Number.POSITIVE_INFINITY,
): Promise<{ url: string; hits: () => number; close(): Promise<void> }> {
  const target = new URL(upstream);
  let hits = 0;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "").split("?")[0] ?? "");
    const faulty = req.method === "PUT" && path.endsWith(keyEnd) && hits < times;
    if (faulty) hits++;
    if (faulty && kind === "error") {
      req.resume();
      res.writeHead(500, { "content-type": "application/xml" });
      res.end("<Error><Code>InternalError</Code><Message>injected</Message></Error>");
      return;
    }
    if (faulty && kind === "hang") {
      req.resume();
      return;
    }
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        if (faulty) {
          // The write is done; its answer never reaches the archiver.
          answer.resume();
          answer.on("end", () => res.socket?.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
