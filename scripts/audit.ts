/**
 * `npm run audit -- [--since DATE] [--format jsonl|csv] [--table NAME]`: the audit table, oldest
 * first, on standard output. The table is BM_AUDIT_TABLE, or the local stack's; DynamoDB is the
 * SDK's own (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB), or the local stack's dynalite.
 */
import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { readAudit, toCsv, toJsonLines } from "../lib/aws/audit-export";
import { documentClient } from "../lib/aws/dynamo/documents";
import { LOCAL_AUDIT_TABLE, LOCAL_DYNAMO_URL } from "../local/stack";

// Node 20 here, 22 on Lambda: the SDK's warning about it is noise on a terminal.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values } = parseArgs({
  options: {
    since: { type: "string" },
    format: { type: "string", default: "jsonl" },
    table: { type: "string" },
  },
});
const fail = (message: string) => {
  process.stderr.write(`audit: ${message}\n`);
  process.exit(2);
};
if (values.format !== "jsonl" && values.format !== "csv") fail("--format is jsonl or csv");
const since = values.since ? new Date(values.since) : undefined;
if (since && Number.isNaN(since.getTime()))
  fail(`--since must be a date, such as 2026-11-01 or 2026-11-01T09:00:00Z, not "${values.since}"`);

const table = values.table ?? process.env.BM_AUDIT_TABLE ?? LOCAL_AUDIT_TABLE;
const local = table === LOCAL_AUDIT_TABLE && !process.env.AWS_ENDPOINT_URL_DYNAMODB;
const client = local
  ? new DynamoDBClient({
      endpoint: LOCAL_DYNAMO_URL,
      region: "ap-northeast-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    })
  : new DynamoDBClient({});
try {
  const events = await readAudit(documentClient(client), table, since);
  process.stdout.write(values.format === "csv" ? toCsv(events) : toJsonLines(events));
} catch (error) {
  const hint = local ? ` (is the local stack running? start it with npm start)` : "";
  fail(`could not read ${table}: ${(error as Error).name}${hint}`);
}
