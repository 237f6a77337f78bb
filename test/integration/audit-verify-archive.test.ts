import { join } from "node:path";
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { marshall } from "@aws-sdk/util-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { dayOf, eventObjectKey } from "../../lib/audit/archive";
import { canonicalJson, chained } from "../../lib/audit/chain";
import { readAuditItems } from "../../lib/aws/audit-export";
import { DynamoAuditLog } from "../../lib/aws/dynamo/audit-log";
import { documentClient } from "../../lib/aws/dynamo/documents";
import { S3AuditArchive } from "../../lib/aws/s3-audit-archive";
import type { AuditEvent } from "../../lib/operations/operation";
import { createArchiveBucket } from "../../local/archive-bucket";
import { clientOptions, freshAccount } from "../../local/stack/external-aws";
import { createTables } from "../../local/tables";
import { MOTO_URL, runAudit } from "../support/stack-harness";

const SERVERLESS_YML = join(import.meta.dirname, "../../serverless.yml");
const REGION = "ap-northeast-1";

if (!MOTO_URL)
  console.warn(
    "audit --verify with the archive skipped: BM_TEST_MOTO_URL is not set (.ci/run starts moto_server)",
  );

describe.skipIf(!MOTO_URL)("npm run audit -- --verify with the archive, against moto", () => {
  const endpoint = MOTO_URL as string;
  const suffix = Math.random().toString(36).slice(2, 8);
  const bucket = `bm-verify-${suffix}`;
  const tables = { operations: `bm-${suffix}-operations`, audit: `bm-${suffix}-audit` };
  let dynamo: DynamoDBClient;
  let s3: S3Client;
  let env: Record<string, string>;
  const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
  const event = (seq: number, userId: string) =>
    ({
      operationId: "op-archived1",
      seq,
      at: at(60 - seq),
      action: seq === 1 ? "requested" : "approved",
      actor: { teamId: "T0001", userId },
      facts: { channel: "C0CHANGES" },
    }) as Omit<AuditEvent, "prev" | "hash">;
  const first = chained<AuditEvent>(event(1, "U0REQUESTER"));
  const second = chained<AuditEvent>(event(2, "U0APPROVER1"), first);

  const audit = (...args: string[]) => runAudit(env, ...args);

  const put = (value: Record<string, unknown>) =>
    dynamo.send(new PutItemCommand({ TableName: tables.audit, Item: marshall(value) }));

  beforeAll(async () => {
    const account = await freshAccount(endpoint, REGION);
    const client = { ...clientOptions(endpoint, REGION, account), maxAttempts: 1 };
    dynamo = new DynamoDBClient(client);
    s3 = new S3Client(client);
    await createTables(dynamo, SERVERLESS_YML, tables);
    await createArchiveBucket(s3, SERVERLESS_YML, bucket);
    const db = documentClient(dynamo);
    const log = new DynamoAuditLog(db, tables.audit);
    await log.append(first);
    await log.append(second);
    // Archived as the archiver writes each INSERT: the item as stored, under its day.
    const archive = new S3AuditArchive(s3, bucket);
    for (const item of await readAuditItems(db, tables.audit))
      await archive.putOnce({
        key: eventObjectKey(dayOf(item.at), item.operationId, item.event),
        body: canonicalJson(item),
      });
    env = {
      BM_AUDIT_TABLE: tables.audit,
      BM_TABLE: tables.operations,
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: account.accessKeyId,
      AWS_SECRET_ACCESS_KEY: account.secretAccessKey,
      AWS_SESSION_TOKEN: account.sessionToken,
    };
  }, 60_000);

  it("compares every event with its archived copy: all hold", async () => {
    const { code, stdout } = await audit("--verify", "--bucket", bucket);
    expect(stdout).toBe(
      "audit: verified 2 events in 1 chains, 0 seals, 2 compared with the archive: all hold.\n",
    );
    expect(code).toBe(0);
  });

  it("names the last event rewritten and hashed again: changed, which the chain alone cannot see", async () => {
    const stored = { ...second, event: "e000002" };
    await put({ ...chained<AuditEvent>(event(2, "U0APPROVER2"), first), event: "e000002" });
    try {
      const alone = await audit("--verify");
      expect(alone.stdout).toMatch(/\(no archive: the chains and seals alone\): all hold\.\n$/);
      expect(alone.code).toBe(0);
      env.BM_AUDIT_BUCKET = bucket;
      const { code, stdout } = await audit("--verify");
      expect(stdout).toBe(
        "op-archived1 e000002: changed (it differs from its archived copy)\n" +
          "audit: verified 2 events in 1 chains, 0 seals, 2 compared with the archive: 1 finding.\n",
      );
      expect(code).toBe(1);
    } finally {
      delete env.BM_AUDIT_BUCKET;
      await put(stored);
    }
    expect((await audit("--verify", "--bucket", bucket)).code).toBe(0);
  });

  it("names the last event deleted from the table but archived: removed", async () => {
    await dynamo.send(
      new DeleteItemCommand({
        TableName: tables.audit,
        Key: marshall({ operationId: "op-archived1", event: "e000002" }),
      }),
    );
    try {
      expect((await audit("--verify")).code).toBe(0);
      const { code, stdout } = await audit("--verify", "--bucket", bucket);
      expect(stdout).toBe(
        "op-archived1 e000002: removed (the archive has it; the audit table has it no more)\n" +
          "audit: verified 1 events in 1 chains, 0 seals, 1 compared with the archive: 1 finding.\n",
      );
      expect(code).toBe(1);
    } finally {
      await put({ ...second, event: "e000002" });
    }
  });

  it("says an archive it cannot read plainly: exit 2", async () => {
    const { code, stderr } = await audit("--verify", "--bucket", `${bucket}-none`);
    expect(stderr).toBe(
      `audit: could not read or write ${tables.audit} or read the archive ${bucket}-none: NoSuchBucket\n`,
    );
    expect(code).toBe(2);
  });

  it("with --since, reads the archive from the first day of each operation it verifies whole", async () => {
    const older = chained<AuditEvent>({
      ...event(1, "U0REQUESTER"),
      operationId: "op-archived2",
      at: at(3 * 24 * 60),
    });
    const newer = chained<AuditEvent>(
      { ...event(2, "U0APPROVER1"), operationId: "op-archived2", at: at(10) },
      older,
    );
    const db = documentClient(dynamo);
    const log = new DynamoAuditLog(db, tables.audit);
    await log.append(older);
    await log.append(newer);
    const archive = new S3AuditArchive(s3, bucket);
    for (const item of await readAuditItems(db, tables.audit))
      if (item.operationId === "op-archived2")
        await archive.putOnce({
          key: eventObjectKey(dayOf(item.at), item.operationId, item.event),
          body: canonicalJson(item),
        });
    const since = at(24 * 60).slice(0, 10);
    const { code, stdout } = await audit("--verify", "--since", since, "--bucket", bucket);
    expect(stdout).toBe(
      "audit: verified 4 events in 2 chains, 0 seals, 4 compared with the archive: all hold.\n",
    );
    expect(code).toBe(0);
  });
});
