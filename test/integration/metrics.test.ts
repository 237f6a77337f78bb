import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { METRIC_NAMESPACE } from "../../lib/metrics";
import { SAMPLE } from "../../local/ecl-simulator/sample";
import type { LocalStack } from "../../local/stack";
import { click, drain, operation, settled, slash, testStack } from "../support/stack-harness";

/** web02 of the sample, by id: it has no image attached, so a detach is recorded and ends noop. */
const WEB02 = "0b9e3f4a-7c21-4d5e-8f60-a1b2c3d4e5f6";

/**
 * The metrics, as CloudWatch would read them: embedded-metric-format lines written by the real
 * handlers (Powertools prints them through the global console in its dev mode, turned on here).
 */
let stack: LocalStack;
const lines: string[] = [];

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
  });
  stack = await testStack({
    taskMs: 150,
    env: {
      POWERTOOLS_METRICS_DISABLED: "false",
      POWERTOOLS_DEV: "true",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    },
  });
});
afterAll(async () => {
  await stack.close();
  vi.restoreAllMocks();
});

interface Emf {
  _aws: {
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

/** Every EMF line so far, as (name, value, dimensions). */
function emitted() {
  return lines.flatMap((line) => {
    let emf: Emf;
    try {
      emf = JSON.parse(line) as Emf;
    } catch {
      return [];
    }
    const directive = emf._aws?.CloudWatchMetrics?.[0];
    if (!directive) return [];
    return directive.Metrics.map((m) => ({
      namespace: directive.Namespace,
      name: m.Name,
      unit: m.Unit,
      value: emf[m.Name],
      dimensions: Object.fromEntries(
        (directive.Dimensions[0] ?? []).map((d) => [d, emf[d]]),
      ) as Record<string, unknown>,
    }));
  });
}

async function runToEnd(id: string | undefined) {
  await drain(stack, async () => {
    await stack.followup(250);
    return settled(stack, id);
  });
}

describe("metrics, as EMF lines in the functions' logs", () => {
  it("a detach: requested, ECL's time, finished done, and how long the front door took", async () => {
    const answer = await slash(stack, `detach web010 ${SAMPLE.image}`);
    await runToEnd(answer.operationId);
    expect((await operation(stack, answer.operationId)).state).toBe("done");

    const seen = emitted();
    expect(
      seen.every((m) => m.namespace === METRIC_NAMESPACE && m.dimensions.service === "bm"),
    ).toBe(true);
    expect(seen).toContainEqual(
      expect.objectContaining({
        name: "OperationRequested",
        value: 1,
        dimensions: { service: "bm", approvals: "none" },
      }),
    );
    expect(seen).toContainEqual(
      expect.objectContaining({
        name: "OperationFinished",
        value: 1,
        dimensions: { service: "bm", outcome: "done" },
      }),
    );
    const detach = seen.find((m) => m.name === "DetachSeconds");
    expect(detach).toMatchObject({ unit: "Seconds", dimensions: { service: "bm" } });
    expect(detach?.value).toBeGreaterThan(0);
    expect(seen.find((m) => m.name === "FrontDoorAnswerMs")).toMatchObject({
      unit: "Milliseconds",
    });
  });

  it("an approval's wait, and ECL's and Slack's errors by code", async () => {
    const request = await slash(stack, `detach db01 ${SAMPLE.otherImage}`, {
      channel: "C0CHANGES",
      user: "U0ALICE",
    });
    await drain(
      stack,
      async () => (await operation(stack, request.operationId)).state === "awaiting_approval",
    );
    await click(stack, await operation(stack, request.operationId), "bm_approve", "U0APPROVER1");
    stack.ecl?.model.inject({ route: "action", status: 500 });
    await runToEnd(request.operationId);

    const seen = emitted();
    expect(seen).toContainEqual(
      expect.objectContaining({ name: "ApprovalWaitSeconds", unit: "Seconds" }),
    );
    expect(seen).toContainEqual(
      expect.objectContaining({ name: "EclError", dimensions: { service: "bm", status: "500" } }),
    );
    expect(seen).toContainEqual(
      expect.objectContaining({
        name: "OperationFinished",
        dimensions: { service: "bm", outcome: "failed" },
      }),
    );

    stack.slack?.refuse("chat.postMessage", "not_in_channel", 1);
    const refused = await slash(stack, `detach ${WEB02} ${SAMPLE.image}`);
    await runToEnd(refused.operationId);
    expect(emitted()).toContainEqual(
      expect.objectContaining({
        name: "SlackError",
        dimensions: { service: "bm", error: "not_in_channel" },
      }),
    );
  });
});
