import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LambdaStandIn } from "../../local/stand-ins/lambda";

/** The Lambda stand-in refuses what Lambda refuses, through the real SDK client. */
let lambda: LambdaStandIn;
let client: LambdaClient;

beforeAll(async () => {
  lambda = await new LambdaStandIn({
    functions: { "bm-ci-followup": async () => {} },
    run: false,
  }).start();
  client = new LambdaClient({ endpoint: lambda.url, region: "ap-northeast-1", maxAttempts: 1 });
});
afterAll(async () => {
  client.destroy();
  await lambda.close();
});

const invoke = (FunctionName: string, InvocationType: "Event" | "RequestResponse", size = 10) =>
  client.send(
    new InvokeCommand({ FunctionName, InvocationType, Payload: new Uint8Array(size).fill(32) }),
  );

describe("the Lambda stand-in", () => {
  it("takes an asynchronous invoke of a function that exists, answering 202", async () => {
    const result = await invoke("bm-ci-followup", "Event");
    expect(result.StatusCode).toBe(202);
    expect(lambda.events.at(-1)?.functionName).toBe("bm-ci-followup");
  });

  it.each([
    ["an unknown function", "bm-ci-nope", "Event", 10, "ResourceNotFoundException"],
    [
      "a synchronous invoke (bm makes none)",
      "bm-ci-followup",
      "RequestResponse",
      10,
      "InvalidParameterValueException",
    ],
    [
      "a payload over 256 KB",
      "bm-ci-followup",
      "Event",
      256 * 1024 + 1,
      "RequestTooLargeException",
    ],
  ] as const)("refuses %s as Lambda does", async (_, name, type, size, error) => {
    const before = lambda.events.length;
    await expect(invoke(name, type, size)).rejects.toMatchObject({ name: error });
    expect(lambda.events.length).toBe(before);
  });

  it("refuses an unsigned request", async () => {
    const response = await fetch(`${lambda.url}/2015-03-31/functions/bm-ci-followup/invocations`, {
      method: "POST",
      headers: { "x-amz-invocation-type": "Event" },
      body: "{}",
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("x-amzn-errortype")).toBe("MissingAuthenticationTokenException");
  });
});
