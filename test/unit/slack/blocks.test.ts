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
      text: { type: "mrkdwn", verbatim: true, text: "*a* &lt;b&gt;" },
    });
    expect(section(a(3000))).toEqual({
      type: "section",
      text: { type: "mrkdwn", verbatim: true, text: "a".repeat(3000) },
    });
    expect(section(a(3001))).toEqual({
      type: "section",
      text: { type: "mrkdwn", verbatim: true, text: cut(3000) },
    });
  });
});

describe("fields", () => {
  it("are mrkdwn, each fitted to 2000 characters", () => {
    expect(fields([md`${"<x>"}`, a(2000), a(2001)])).toEqual({
      type: "section",
      fields: [
        { type: "mrkdwn", verbatim: true, text: "&lt;x&gt;" },
        { type: "mrkdwn", verbatim: true, text: "a".repeat(2000) },
        { type: "mrkdwn", verbatim: true, text: cut(2000) },
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
    const ten = Array.from({ length: 10 }, (_, i) => ({
      type: "mrkdwn",
      verbatim: true,
      text: `f${i}`,
    }));
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
        { type: "mrkdwn", verbatim: true, text: "&amp;" },
        { type: "mrkdwn", verbatim: true, text: "a".repeat(3000) },
        { type: "mrkdwn", verbatim: true, text: cut(3000) },
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
    const ten = Array.from({ length: 10 }, (_, i) => ({
      type: "mrkdwn",
      verbatim: true,
      text: `e${i}`,
    }));
    expect(atLimit).toEqual({ type: "context", elements: ten });
    expect(over).toEqual({ type: "context", elements: ten });
    expect(checkMessage({ blocks: [over] })).toBeUndefined();
  });
});

describe("button", () => {
  it("is plain text, with what a screen reader says, without a style or dialog unless given", () => {
    expect(button("Approve <b>", "approve", "op-1", { label: "Approve op-1" })).toStrictEqual({
      type: "button",
      text: { type: "plain_text", text: "Approve <b>" },
      action_id: "approve",
      value: "op-1",
      accessibility_label: "Approve op-1",
    });
  });

  it.each(["primary", "danger"] as const)("takes the style %s", (style) => {
    expect(button("Go", "go", "v", { label: "Go on", style })).toStrictEqual({
      type: "button",
      text: { type: "plain_text", text: "Go" },
      action_id: "go",
      value: "v",
      accessibility_label: "Go on",
      style,
    });
  });

  it("fits its text and its accessibility label to 75 characters", () => {
    const at = button("b".repeat(75), "go", "v", { label: "l".repeat(75) });
    const over = button("b".repeat(76), "go", "v", { label: "l".repeat(76) });
    expect([at.text.text, at.accessibility_label]).toEqual(["b".repeat(75), "l".repeat(75)]);
    expect([over.text.text, over.accessibility_label]).toEqual([
      `${"b".repeat(74)}…`,
      `${"l".repeat(74)}…`,
    ]);
  });

  it("carries a confirmation dialog in plain text, its style when given one", () => {
    const words = { title: "Sure?", text: "It <cannot> be undone", confirm: "Yes", deny: "No" };
    expect(button("Go", "go", "v", { label: "Go", confirm: words }).confirm).toStrictEqual({
      title: { type: "plain_text", text: "Sure?" },
      text: { type: "plain_text", text: "It <cannot> be undone" },
      confirm: { type: "plain_text", text: "Yes" },
      deny: { type: "plain_text", text: "No" },
    });
    expect(
      button("Go", "go", "v", { label: "Go", confirm: { ...words, style: "danger" } }).confirm
        ?.style,
    ).toBe("danger");
  });

  it("fits the dialog to Slack's limits: title 100, text 300, its buttons 30", () => {
    // Prepare
    const words = (n: number) => ({
      title: "t".repeat(100 + n),
      text: "x".repeat(300 + n),
      confirm: "c".repeat(30 + n),
      deny: "d".repeat(30 + n),
    });
    // Act
    const at = button("Go", "go", "v", { label: "Go", confirm: words(0) }).confirm;
    const over = button("Go", "go", "v", { label: "Go", confirm: words(1) });
    // Assess
    expect([at?.title?.text, at?.text.text, at?.confirm?.text, at?.deny?.text]).toEqual([
      "t".repeat(100),
      "x".repeat(300),
      "c".repeat(30),
      "d".repeat(30),
    ]);
    expect(over.confirm?.title?.text).toBe(`${"t".repeat(99)}…`);
    expect(over.confirm?.text.text).toBe(`${"x".repeat(299)}…`);
    expect(over.confirm?.confirm?.text).toBe(`${"c".repeat(29)}…`);
    expect(over.confirm?.deny?.text).toBe(`${"d".repeat(29)}…`);
    expect(checkMessage({ blocks: [{ type: "actions", elements: [over] }] })).toBeUndefined();
  });
});
