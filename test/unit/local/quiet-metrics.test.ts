import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { metricLines, quietMetrics } from "../../../local/quiet-metrics";

/** An EMF line as Powertools prints it: `values` by metric name, one dimension set. */
const emf = (values: Record<string, number | number[]>, dims: Record<string, string> = {}) =>
  JSON.stringify({
    _aws: {
      Timestamp: 1,
      CloudWatchMetrics: [
        {
          Namespace: "bm",
          Dimensions: [["service", ...Object.keys(dims)]],
          Metrics: Object.keys(values).map((Name) => ({ Name, Unit: "Count" })),
        },
      ],
    },
    service: "bm",
    ...dims,
    ...values,
  });

describe("npm start's metric lines", () => {
  it("a gauge at 0 is quiet, its first non-zero value is printed, and so is the 0 that ends it", () => {
    const print = metricLines();
    const seen = [0, 0, 2, 2, 0, 0, 0, 1].map((n) => print(emf({ AuditOutboxStale: n })));
    expect(seen).toEqual([false, false, true, true, true, false, false, true]);
  });

  it("each metric and dimension value on its own", () => {
    const print = metricLines();
    expect(print(emf({ ActionFailed: 1 }, { tenant: "a" }))).toBe(true);
    expect(print(emf({ ActionFailed: 0 }, { tenant: "b" }))).toBe(false);
    expect(print(emf({ ActionFailed: 0 }, { tenant: "a" }))).toBe(true);
    expect(print(emf({ OtherMetric: 0 }))).toBe(false);
  });

  it("a line of several metrics is printed when any of them is worth it; a list of values counts as one", () => {
    const print = metricLines();
    expect(print(emf({ A: 0, B: 0 }))).toBe(false);
    expect(print(emf({ A: 0, B: 3 }))).toBe(true);
    expect(print(emf({ A: [0, 0] }))).toBe(false);
    expect(print(emf({ A: [0, 4] }))).toBe(true);
  });

  it("timings and counts are printed as they come", () => {
    const print = metricLines();
    expect(print(emf({ FrontDoorAnswerMs: 12 }))).toBe(true);
    expect(print(emf({ FrontDoorAnswerMs: 9 }))).toBe(true);
  });

  it.each([
    ["a log line", "front door: POST /slack/events -> 200 in 12 ms"],
    ["JSON that is not EMF", '{"level":"WARN","message":"x"}'],
    ["a broken EMF line", '{"_aws": {'],
    ["EMF without metrics", '{"_aws":{"CloudWatchMetrics":[]}}'],
    ["EMF without directives", '{"_aws":{}}'],
    ["an empty line", ""],
  ])("%s passes unchanged", (_, line) => {
    expect(metricLines()(line)).toBe(true);
  });
});

describe("quietMetrics, on the terminal's stream", () => {
  it("drops the quiet metric lines of each write and passes the rest as written", async () => {
    const stream = new PassThrough();
    const out: string[] = [];
    stream.on("data", (chunk: Buffer) => out.push(chunk.toString()));
    quietMetrics(stream);
    const quiet = emf({ AuditOutboxStale: 0 });
    const loud = emf({ AuditOutboxStale: 2 });
    const done: string[] = [];
    expect(stream.write(`${quiet}\n`, () => done.push("quiet"))).toBe(true);
    stream.write(`front door: GET / -> 200\n${quiet}\n`);
    stream.write("half a line");
    stream.write(Buffer.from(`${loud}\n`), () => done.push("loud"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(out.join("")).toBe(`front door: GET / -> 200\nhalf a line${loud}\n`);
    expect(done).toEqual(["quiet", "loud"]);
  });
});
