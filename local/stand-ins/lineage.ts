/**
 * Lambda's recursive loop detection, as the local stack's SQS, Lambda and schedule stand-ins keep
 * it. Lambda counts how many times one triggering event has invoked functions, through SQS, SNS
 * and Lambda's own Invoke, and stops the next invocation past 16 ("Use Lambda recursive loop
 * detection to prevent infinite loops", AWS Lambda developer guide). It carries the count in the
 * X-Ray trace header: the runtime hands each invocation its header, the SDK sends it with every
 * call (`X-Amzn-Trace-Id`, from the invoke store or `_X_AMZN_TRACE_ID`), SQS keeps it as the
 * message's `AWSTraceHeader`, and the next invocation continues its chain.
 *
 * Here the header is handed to an invocation through the invoke store the SDK reads, in its
 * multi-concurrency form (an AsyncLocalStorage), so that the worker, the follow-up and the front
 * door, running side by side in one process, each send their own. Strict where Lambda is vague: a
 * batch continues the longest chain among its messages; a message sent while a function handles
 * anything continues that invocation's chain; only the front door's requests and the schedule's
 * rounds start new chains.
 */
import { randomBytes } from "node:crypto";
import { InvokeStore } from "@aws/lambda-invoke-store";

/** Invocations in one chain that Lambda lets through; the next is dropped. */
export const CHAIN_LIMIT = 16;

const TRACE_KEY = Symbol.for("_AWS_LAMBDA_X_RAY_TRACE_ID");

/** The invocation count a trace header carries; 0 for a header of no chain (or none). */
export function depthOf(header: string | undefined): number {
  const match = /(?:^|;)Lineage=[0-9a-f]+:(\d+)(?:;|$)/.exec(header ?? "");
  return match ? Number(match[1]) : 0;
}

/** A trace header of a new chain, as Lambda starts one for an API request or a schedule. */
export function newChain(): string {
  const seconds = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${seconds}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

/** `header` continued to the invocation that is `depth` deep in its chain. */
function continued(header: string | undefined, depth: number): string {
  const base = (header ?? newChain())
    .split(";")
    .filter((part) => part !== "" && !part.startsWith("Lineage="))
    .join(";");
  const hash = /Root=1-[0-9a-f]+-([0-9a-f]{8})/.exec(base)?.[1] ?? "00000000";
  return `${base};Lineage=${hash}:${depth}`;
}

/** What Lambda's detection saw: the deepest chain, and each function's dropped invocations. */
export class Lineage {
  deepest = 0;
  /** `RecursiveInvocationsDropped`, by function name. */
  readonly dropped = new Map<string, number>();
  private store: Awaited<ReturnType<typeof InvokeStore.getInstanceAsync>> | undefined;

  /**
   * Takes the SDK's invoke store in its multi-concurrency form. Must run before the process's
   * first AWS SDK call, which would otherwise fix it in its one-invocation-at-a-time form.
   */
  async start(): Promise<this> {
    const store = await InvokeStore.getInstanceAsync(true);
    if (!("als" in store)) {
      throw new Error(
        "the SDK's invoke store was taken before the local stack started: start the stack before any AWS SDK call",
      );
    }
    this.store = store;
    // The SDK adds the trace header only inside a Lambda function.
    process.env.AWS_LAMBDA_FUNCTION_NAME ??= "bm-local";
    return this;
  }

  /** Dropped invocations of one function, or of all. */
  droppedOf(functionName?: string): number {
    if (functionName) return this.dropped.get(functionName) ?? 0;
    return [...this.dropped.values()].reduce((a, b) => a + b, 0);
  }

  /**
   * Runs one invocation of `functionName` caused by events carrying `causes` (their trace headers;
   * "new" for the front door's requests and the schedule's rounds). Returns false, without
   * running it, when Lambda would drop it.
   */
  async invoke(
    functionName: string,
    causes: Array<string | undefined> | "new",
    run: () => Promise<unknown>,
  ): Promise<boolean> {
    const header =
      causes === "new"
        ? undefined
        : causes.reduce<string | undefined>(
            (deepest, h) => (depthOf(h) >= depthOf(deepest) && h ? h : deepest),
            undefined,
          );
    const depth = (causes === "new" ? 0 : depthOf(header)) + 1;
    if (depth > CHAIN_LIMIT) {
      this.dropped.set(functionName, (this.dropped.get(functionName) ?? 0) + 1);
      return false;
    }
    this.deepest = Math.max(this.deepest, depth);
    const trace = continued(header, depth);
    if (!this.store) throw new Error("Lineage.start() was not awaited");
    await this.store.run({ [TRACE_KEY]: trace }, run);
    return true;
  }
}
