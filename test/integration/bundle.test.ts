import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Context, SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import { httpApiEvent, lambdaContext, sqsRecord } from "../../local/lambda-events";
import { slackHeaders } from "../../local/slack-request";
import type { LocalStack } from "../../local/stack";
import { buildBundles } from "../../scripts/build";
import { operation, slashBody, testStack } from "../support/stack-harness";

/**
 * The built bundles, loaded as Lambda loads them, do the whole job: this guards what the build
 * leaves out (socket mode, Express, OAuth, the SDK's credential chain).
 */
let stack: LocalStack;
let dir: string;
let sizes: Record<string, number>;
type Handler = (event: unknown, context: Context) => Promise<unknown>;
let bundles: {
  slack: Handler;
  worker: Handler;
  followup: Handler;
  archiver: Handler;
  auditCheck: () => Promise<void>;
};

beforeAll(async () => {
  stack = await testStack({ taskMs: 100 });
  dir = await mkdtemp(join(tmpdir(), "bm-dist-"));
  sizes = await buildBundles(dir);
  const load = createRequire(import.meta.url);
  bundles = {
    slack: load(join(dir, "slack.js")).handler,
    worker: load(join(dir, "worker.js")).handler,
    followup: load(join(dir, "followup.js")).handler,
    archiver: load(join(dir, "archiver.js")).handler,
    auditCheck: load(join(dir, "audit-check.js")).handler,
  };
}, 60_000);
afterAll(async () => {
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the Lambda bundles", () => {
  it("are CommonJS files exporting a 2-argument handler (the archiver's: 1, the audit check's: 0), slack.js under 640 KB", () => {
    expect(Object.keys(sizes).sort()).toEqual([
      "archiver.js",
      "audit-check.js",
      "followup.js",
      "slack.js",
      "worker.js",
    ]);
    expect(sizes["slack.js"]).toBeLessThan(640 * 1024);
  });

  it("leave out the local stack and its playground page", async () => {
    const { readFile } = await import("node:fs/promises");
    for (const name of ["slack.js", "worker.js", "followup.js", "archiver.js", "audit-check.js"]) {
      const code = await readFile(join(dir, name), "utf8");
      expect(code).not.toContain("_playground/");
      expect(code).not.toContain("LambdaStandIn");
    }
    expect(bundles.slack.length).toBe(2);
    expect(bundles.worker.length).toBe(2);
    expect(bundles.followup.length).toBe(2);
    expect(bundles.archiver.length).toBe(1);
    expect(bundles.auditCheck.length).toBe(0);
  });

  it("leave out the doctor and its IAM client, which only npm run doctor uses", async () => {
    const { readFile } = await import("node:fs/promises");
    const meta = JSON.parse(await readFile(join(dir, "meta.json"), "utf8")) as {
      outputs: Record<string, { inputs: Record<string, unknown> }>;
    };
    const outputs = Object.entries(meta.outputs).filter(([file]) => file.endsWith(".js"));
    expect(outputs).toHaveLength(5);
    for (const [file, { inputs }] of outputs)
      expect([
        file,
        Object.keys(inputs).filter((i) => /@aws-sdk\/client-iam\/|lib\/doctor\//.test(i)),
      ]).toEqual([file, []]);
  });

  it("stop the archiver's cold start loudly, naming the variable, when its bucket is not set", async () => {
    // The stream's batch then fails as a whole, and is retried: nothing is lost.
    await expect(
      bundles.archiver({ Records: [] }, lambdaContext("archiver", 60_000)),
    ).rejects.toThrow("bm cannot start: BM_AUDIT_ARCHIVE_BUCKET is not set");
  });

  it("run the audit check against the stack's tables: nothing to seal yet, nothing found", async () => {
    await expect(bundles.auditCheck()).resolves.toBeUndefined();
  });

  it("take a signed slash command, detach, and report done", async () => {
    const body = slashBody({ text: `detach ${SAMPLE.web01} ${SAMPLE.image}` });
    const answer = (await bundles.slack(
      httpApiEvent("POST", "/slack/events", slackHeaders(stack.signingSecret, body), body),
      lambdaContext("slack", 6000),
    )) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(200);
    const id = /`(op-[a-z0-9]{10})`/.exec(JSON.parse(answer.body).text)?.[1];

    const [message] = stack.queue?.receive(1) ?? [];
    const event: SQSEvent = {
      Records: [
        sqsRecord(
          {
            ...(message as NonNullable<typeof message>),
            receiptHandle: message?.receiptHandle ?? "",
          },
          "arn:aws:sqs:local:0:q",
        ),
      ],
    };
    expect(await bundles.worker(event, lambdaContext("worker", 60_000))).toEqual({
      batchItemFailures: [],
    });
    expect((await operation(stack, id)).state).toBe("detaching");

    await new Promise((r) => setTimeout(r, 150));
    await bundles.followup({}, lambdaContext("followup", 300));
    expect((await operation(stack, id)).state).toBe("done");
  });

  it("answer a bad signature with 401", async () => {
    const body = slashBody({ text: "help" });
    const answer = (await bundles.slack(
      httpApiEvent("POST", "/slack/events", slackHeaders("wrong", body), body),
      lambdaContext("slack", 6000),
    )) as { statusCode: number };
    expect(answer.statusCode).toBe(401);
  });
});
