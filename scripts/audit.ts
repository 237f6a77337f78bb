/**
 * `npm run audit -- [--since DATE] [--format jsonl|csv] [--table NAME]`: the audit table, oldest
 * first, on standard output.
 * `npm run audit -- --verify [--since DATE] [--bucket NAME]`: recomputes every chain, against the
 * operations' records, the days' seals and the archive (--bucket or BM_AUDIT_BUCKET, when set:
 * S3 is the SDK's own, AWS_ENDPOINT_URL_S3 included); exit 0 when all hold, 1 naming each
 * finding, 2 for a mistake in the command or a read that failed.
 * `npm run audit -- --seal`: seals every day not sealed yet, up to yesterday (the stack's daily
 * check does this by itself).
 * The tables are BM_AUDIT_TABLE and BM_TABLE, or the local stack's; DynamoDB is the SDK's own
 * (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB), or the local stack's dynalite.
 */
import type { TrailSource } from "../lib/audit/check";
import { commandLine } from "../local/command-line";

// Node 20 here, 22 on Lambda: the SDK's warning about it is noise on a terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const USAGE = `usage: npm run audit -- [--since DATE] [--format jsonl|csv] [--table NAME]
       npm run audit -- --verify [--since DATE] [--table NAME] [--operations-table NAME] [--bucket NAME]
       npm run audit -- --seal [--table NAME]
`;

const fail = (message: string): never => {
  process.stderr.write(`audit: ${message}\n`);
  process.exit(2);
};

const { values } = commandLine("audit", USAGE, {
  options: {
    since: { type: "string" },
    format: { type: "string", default: "jsonl" },
    table: { type: "string" },
    "operations-table": { type: "string" },
    bucket: { type: "string" },
    verify: { type: "boolean" },
    seal: { type: "boolean" },
  },
});
if (values.verify && values.seal)
  fail("--verify and --seal are two commands: run them one at a time");
if (values.format !== "jsonl" && values.format !== "csv") fail("--format is jsonl or csv");
const since = values.since ? new Date(values.since) : undefined;
if (since && Number.isNaN(since.getTime()))
  fail(`--since must be a date, such as 2026-11-01 or 2026-11-01T09:00:00Z, not "${values.since}"`);

// Loaded once the command line is read (the SDK and the local stack take a second or two): a
// mistake in it is said at once.
const { DynamoDBClient } = await import("@aws-sdk/client-dynamodb");
const { S3Client } = await import("@aws-sdk/client-s3");
const { findingLine, sealDays, verdictLine, verifyTrail } = await import("../lib/audit/check");
const { archivedTrail, archiveSinceDay } = await import("../lib/audit/daily-check");
const { readAudit, readAuditItems, readHeads, toCsv, toJsonLines } = await import(
  "../lib/aws/audit-export"
);
const { DynamoAuditLog } = await import("../lib/aws/dynamo/audit-log");
const { documentClient } = await import("../lib/aws/dynamo/documents");
const { readArchive } = await import("../lib/aws/s3-audit-archive");
const { LOCAL_AUDIT_TABLE, LOCAL_DYNAMO_URL, LOCAL_OPERATIONS_TABLE } = await import(
  "../local/stack"
);

const table = values.table ?? process.env.BM_AUDIT_TABLE ?? LOCAL_AUDIT_TABLE;
const operations = values["operations-table"] ?? process.env.BM_TABLE ?? LOCAL_OPERATIONS_TABLE;
const local = table === LOCAL_AUDIT_TABLE && !process.env.AWS_ENDPOINT_URL_DYNAMODB;
const client = local
  ? new DynamoDBClient({
      endpoint: LOCAL_DYNAMO_URL,
      region: "ap-northeast-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    })
  : new DynamoDBClient({});
const db = documentClient(client);
const bucket = values.bucket ?? (process.env.BM_AUDIT_BUCKET?.trim() || undefined);
const hint = local ? ` (is the local stack running? start it with npm start)` : "";

try {
  if (values.verify) {
    // One scan of the table: the verifier's, and (with --since) the first day of the archive to
    // read, that of the oldest event of an operation it verifies whole.
    const items = readAuditItems(db, table);
    const source: TrailSource = {
      items: () => items,
      heads: () => readHeads(db, operations),
      ...(bucket
        ? {
            archive: async () =>
              archivedTrail(
                await readArchive(
                  new S3Client({}),
                  bucket,
                  since ? archiveSinceDay(await items, since) : undefined,
                ),
              ),
          }
        : {}),
    };
    const verdict = await verifyTrail(source, { ...(since ? { since } : {}), now: new Date() });
    for (const finding of verdict.findings) process.stdout.write(`${findingLine(finding)}\n`);
    process.stdout.write(`${verdictLine(verdict, source.archive !== undefined)}\n`);
    process.exit(verdict.findings.length === 0 ? 0 : 1);
  } else if (values.seal) {
    const audit = new DynamoAuditLog(db, table);
    const made = await sealDays(
      await readAuditItems(db, table),
      (seal) => audit.append(seal),
      new Date(),
    );
    for (const seal of made)
      process.stdout.write(
        `sealed ${seal.facts.day}: ${seal.facts.count} events, seal ${seal.hash}\n`,
      );
    if (made.length === 0)
      process.stdout.write("audit: every day up to yesterday is sealed already.\n");
  } else {
    const events = await readAudit(db, table, since);
    process.stdout.write(values.format === "csv" ? toCsv(events) : toJsonLines(events));
  }
} catch (error) {
  fail(
    `could not read or write ${table}${bucket ? ` or read the archive ${bucket}` : ""}: ${(error as Error).name}${hint}`,
  );
}
