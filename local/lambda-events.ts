/**
 * What the Lambda runtime hands a function, made locally: a context with a deadline, SQS events,
 * API Gateway HTTP API (v2) events.
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { APIGatewayProxyEventV2, Context, SQSRecord } from "aws-lambda";

/** A context whose `getRemainingTimeInMillis` counts down from `timeoutMs`. */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** An HTTP API (payload 2.0) event for a request, its body base64-encoded as API Gateway does. */
export function httpApiEvent(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: string,
): APIGatewayProxyEventV2 {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined)
      flat[key.toLowerCase()] = Array.isArray(value) ? value.join(",") : value;
  }
  const url = new URL(path, "http://localhost");
  const now = new Date();
  return {
    version: "2.0",
    routeKey: `${method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: flat,
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: {
        method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: "127.0.0.1",
        userAgent: flat["user-agent"] ?? "",
      },
      requestId: randomUUID(),
      routeKey: `${method} ${url.pathname}`,
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    body: Buffer.from(body, "utf8").toString("base64"),
    isBase64Encoded: true,
  };
}

/** An SQS record as the event source mapping builds it. */
export function sqsRecord(
  message: {
    messageId: string;
    receiptHandle: string;
    body: string;
    receiveCount: number;
    sentAt: number;
    /** The message's `AWSTraceHeader`, which SQS keeps from its sender. */
    traceHeader?: string | undefined;
  },
  queueArn: string,
): SQSRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: "local",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(message.traceHeader ? { AWSTraceHeader: message.traceHeader } : {}),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: process.env.AWS_REGION ?? "ap-northeast-1",
  };
}
