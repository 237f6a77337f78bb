/**
 * The Block Kit pieces: each is cut to Slack's limits after escaping, so that Slack takes every
 * message built of them, however long the text from outside.
 */
import { describe, expect, it } from "vitest";
import { checkMessage } from "../../../lib/slack/block-kit-limits";
import { button, context, fields, message, section } from "../../../lib/slack/blocks";
import { md } from "../../../lib/slack/mrkdwn";

const a = (n: number) => md`${"a".repeat(n)}`;
/** What fitMrkdwn leaves of a longer run of a's cut to `max`. */
const cut = (max: number) => `${"a".repeat(max - 2)}…`;

describe("message", () => {
  it("is its text alone, without blocks", () => {
    expect(message(md`hi ${"<b>"}`)).toStrictEqual({ text: "hi &lt;b&gt;" });
  });

  it("fits its text to a section's 3000 characters", () => {
    expect(message(a(3000))).toStrictEqual({ text: "a".repeat(3000) });
    expect(message(a(3001))).toStrictEqual({ text: cut(3000) });
  });

  it("keeps a notification of 3000 characters beside its blocks", () => {
    // Act
    const atLimit = message(a(3000), [{ type: "divider" }]);
    const over = message(a(3001), [{ type: "divider" }]);
    // Assess
    expect(atLimit).toStrictEqual({ text: "a".repeat(3000), blocks: [{ type: "divider" }] });
    expect(over).toStrictEqual({ text: cut(3000), blocks: [{ type: "divider" }] });
  });

  it("keeps at most 50 blocks", () => {
    // Prepare
    const blocks = Array.from({ length: 51 }, (_, i) => ({
      type: "divider" as const,
      block_id: `b${i}`,
    }));
    // Act
    const atLimit = message(md`x`, blocks.slice(0, 50));
    const over = message(md`x`, blocks);
    // Assess
    expect(atLimit.blocks).toEqual(blocks.slice(0, 50));
    expect(over.blocks).toEqual(blocks.slice(0, 50));
    expect(checkMessage(over)).toBeUndefined();
  });
});

describe("section", () => {
  it("is mrkdwn, fitted to 3000 characters", () => {
    expect(section(md`*a* ${"<b>"}`)).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: "*a* &lt;b&gt;" },
    });
    expect(section(a(3000))).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: "a".repeat(3000) },
    });
    expect(section(a(3001))).toEqual({
      type: "section",
      text: { type: "mrkdwn", text: cut(3000) },
    });
  });
});

describe("fields", () => {
  it("are mrkdwn, each fitted to 2000 characters", () => {
    expect(fields([md`${"<x>"}`, a(2000), a(2001)])).toEqual({
      type: "section",
      fields: [
        { type: "mrkdwn", text: "&lt;x&gt;" },
        { type: "mrkdwn", text: "a".repeat(2000) },
        { type: "mrkdwn", text: cut(2000) },
      ],
    });
  });

  it("are at most 10", () => {
    // Prepare
    const items = Array.from({ length: 11 }, (_, i) => md`f${i}`);
    // Act
    const atLimit = fields(items.slice(0, 10));
    const over = fields(items);
    // Assess
    const ten = Array.from({ length: 10 }, (_, i) => ({ type: "mrkdwn", text: `f${i}` }));
    expect(atLimit).toEqual({ type: "section", fields: ten });
    expect(over).toEqual({ type: "section", fields: ten });
    expect(checkMessage({ blocks: [over] })).toBeUndefined();
  });
});

describe("context", () => {
  it("is mrkdwn, each element fitted to 3000 characters", () => {
    expect(context([md`${"&"}`, a(3000), a(3001)])).toEqual({
      type: "context",
      elements: [
        { type: "mrkdwn", text: "&amp;" },
        { type: "mrkdwn", text: "a".repeat(3000) },
        { type: "mrkdwn", text: cut(3000) },
      ],
    });
  });

  it("has at most 10 elements", () => {
    // Prepare
    const items = Array.from({ length: 11 }, (_, i) => md`e${i}`);
    // Act
    const atLimit = context(items.slice(0, 10));
    const over = context(items);
    // Assess
    const ten = Array.from({ length: 10 }, (_, i) => ({ type: "mrkdwn", text: `e${i}` }));
    expect(atLimit).toEqual({ type: "context", elements: ten });
    expect(over).toEqual({ type: "context", elements: ten });
    expect(checkMessage({ blocks: [over] })).toBeUndefined();
  });
});

describe("button", () => {
  it("is plain text, without a style unless given one", () => {
    expect(button("Approve <b>", "approve", "op-1")).toStrictEqual({
      type: "button",
      text: { type: "plain_text", text: "Approve <b>" },
      action_id: "approve",
      value: "op-1",
    });
  });

  it.each(["primary", "danger"] as const)("takes the style %s", (style) => {
    expect(button("Go", "go", "v", style)).toStrictEqual({
      type: "button",
      text: { type: "plain_text", text: "Go" },
      action_id: "go",
      value: "v",
      style,
    });
  });

  it("fits its label to 75 characters", () => {
    expect(button("b".repeat(75), "go", "v").text.text).toBe("b".repeat(75));
    expect(button("b".repeat(76), "go", "v").text.text).toBe(`${"b".repeat(74)}…`);
  });
});
