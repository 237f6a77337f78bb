import { afterEach, describe, expect, it, vi } from "vitest";
import { by } from "../../../lib/util/by";

describe("by", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("the work's result when it is done in time, and no timer left behind", async () => {
    vi.useFakeTimers();
    await expect(by(Date.now() + 1000, Promise.resolve("done"))).resolves.toBe("done");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("undefined at the deadline, not before, while the work goes on", async () => {
    vi.useFakeTimers();
    let settled: string | undefined = "pending";
    const result = by(Date.now() + 300, new Promise<string>(() => {})).then((r) => {
      settled = r;
    });
    await vi.advanceTimersByTimeAsync(299);
    expect(settled).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    await result;
    expect(settled).toBeUndefined();
  });

  it("a deadline already past: undefined at once", async () => {
    vi.useFakeTimers();
    const result = by(Date.now() - 5000, new Promise<string>(() => {}));
    await vi.advanceTimersByTimeAsync(0);
    await expect(result).resolves.toBeUndefined();
  });

  it("a failure of the work in time is the work's", async () => {
    const error = new Error("down");
    await expect(by(Date.now() + 1000, Promise.reject(error))).rejects.toBe(error);
  });
});
