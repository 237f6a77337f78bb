import { describe, expect, it } from "vitest";
import { BmError, describeError, isPassing } from "../../../lib/errors";
import { RetryLater } from "../../../lib/worker/retry-later";

describe("RetryLater", () => {
  it("is a passing failure whose message, made by describeError, is shown as it is", () => {
    const cause = new Error("ECL down");
    const error = new RetryLater("ECL at https://ecl.test did not answer in time", { cause });
    expect(error).toBeInstanceOf(BmError);
    expect(error.name).toBe("RetryLater");
    expect(error.cause).toBe(cause);
    expect(isPassing(error)).toBe(true);
    // Written for users: told word for word, not as "internal error (RetryLater)".
    expect(describeError(error)).toBe("ECL at https://ecl.test did not answer in time");
  });
});
