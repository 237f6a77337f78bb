import { describe, expect, it } from "vitest";
import {
  ANSWER_MS,
  budgetFrom,
  budgetOf,
  MARGIN_MS,
  REPLY_MIN_MS,
  REPLY_MS,
  WORK_MS,
} from "../../../lib/front-door/budget";

describe("the budget of a request, from the handler's entry", () => {
  it("is Slack's 3 s less the way there and back: work by 1.8 s, the answer out by 2.5 s", () => {
    expect({ ANSWER_MS, WORK_MS, REPLY_MS, REPLY_MIN_MS, MARGIN_MS }).toEqual({
      ANSWER_MS: 2500,
      WORK_MS: 1800,
      REPLY_MS: 1000,
      REPLY_MIN_MS: 150,
      MARGIN_MS: 50,
    });
  });

  it("ends the work 1.8 s after the entry, wherever the listener starts", () => {
    expect(budgetFrom(10_000, () => 11_500).workBy).toBe(11_800);
    expect(budgetFrom(10_000).startedAt).toBe(10_000);
  });

  it.each([
    // ms since the entry → what a reply may take
    [0, 1000],
    [1000, 1000],
    [1450, 1000],
    [1451, 999],
    [1800, 650],
    [2300, 150],
    [2301, undefined],
    [2500, undefined],
    [4000, undefined],
  ])("a reply %i ms after the entry may take %s ms", (since, ms) => {
    expect(budgetFrom(10_000, () => 10_000 + since).replyMs()).toBe(ms);
  });

  it("counts the time since the entry", () => {
    expect(budgetFrom(10_000, () => 12_345).elapsed()).toBe(2345);
  });
});

describe("budgetOf a listener's context", () => {
  it("is the handler's budget when the context carries it", () => {
    const budget = budgetFrom(10_000);
    expect(budgetOf({ budget })).toBe(budget);
  });

  it.each([
    ["no budget", {}],
    ["something else", { budget: { workBy: "soon" } }],
    ["a budget without its replies", { budget: { workBy: 5 } }],
  ])("with %s, is one from now", (_, context) => {
    const before = Date.now();
    const budget = budgetOf(context);
    expect(budget.workBy).toBeGreaterThanOrEqual(before + WORK_MS);
    expect(budget.workBy).toBeLessThanOrEqual(Date.now() + WORK_MS);
    expect(budget.replyMs()).toBe(REPLY_MS);
  });
});
