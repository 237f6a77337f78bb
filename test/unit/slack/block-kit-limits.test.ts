import { describe, expect, it } from "vitest";
import { checkMessage, checkView } from "../../../lib/slack/block-kit-limits";

const text = (n: number, type = "mrkdwn") => ({ type, text: "x".repeat(n) });
const section = { type: "section", text: text(10) };
const button = (changes: object = {}) => ({
  type: "button",
  text: text(10, "plain_text"),
  action_id: "a",
  value: "v",
  ...changes,
});

describe("checkMessage refuses what Slack refuses", () => {
  it.each([
    ["nothing at all", {}, "no_text", undefined],
    ["blank text", { text: "  " }, "no_text", undefined],
    ["text over 40,000", { text: "x".repeat(40_001) }, "msg_too_long", undefined],
    [
      "51 blocks",
      { blocks: Array(51).fill(section) },
      "invalid_blocks",
      "no more than 50 items allowed [json-pointer:/blocks]",
    ],
    [
      "section text over 3000",
      { blocks: [{ type: "section", text: text(3001) }] },
      "invalid_blocks",
      "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ],
    [
      "an empty text object",
      { blocks: [{ type: "section", text: text(0) }] },
      "invalid_blocks",
      "must be more than 0 characters [json-pointer:/blocks/0/text/text]",
    ],
    [
      "11 fields",
      { blocks: [{ type: "section", fields: Array(11).fill(text(1)) }] },
      "invalid_blocks",
      "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ],
    [
      "a field over 2000",
      { blocks: [{ type: "section", fields: [text(2001)] }] },
      "invalid_blocks",
      "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ],
    [
      "a section with neither",
      { blocks: [{ type: "section" }] },
      "invalid_blocks",
      "must provide either text or fields [json-pointer:/blocks/0]",
    ],
    [
      "a block_id twice",
      {
        blocks: [
          { ...section, block_id: "b1" },
          { type: "divider", block_id: "b1" },
        ],
      },
      "invalid_blocks",
      "block_id must be unique [json-pointer:/blocks/1/block_id]",
    ],
    [
      "an action_id twice in one block",
      { blocks: [{ type: "actions", elements: [button(), button()] }] },
      "invalid_blocks",
      "action_id must be unique in its block [json-pointer:/blocks/0/elements/1/action_id]",
    ],
    [
      "11 context elements",
      { blocks: [{ type: "context", elements: Array(11).fill(text(1)) }] },
      "invalid_blocks",
      "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ],
    [
      "a header over 150",
      { blocks: [{ type: "header", text: text(151, "plain_text") }] },
      "invalid_blocks",
      "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ],
    [
      "a header in mrkdwn",
      { blocks: [{ type: "header", text: text(5) }] },
      "invalid_blocks",
      "must be a plain_text object [json-pointer:/blocks/0/text]",
    ],
    [
      "button text over 75",
      { blocks: [{ type: "actions", elements: [button({ text: text(76, "plain_text") })] }] },
      "invalid_blocks",
      "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ],
    [
      "button value over 2000",
      { blocks: [{ type: "actions", elements: [button({ value: "v".repeat(2001) })] }] },
      "invalid_blocks",
      "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ],
    [
      "action_id over 255",
      { blocks: [{ type: "actions", elements: [button({ action_id: "a".repeat(256) })] }] },
      "invalid_blocks",
      "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
    ],
    [
      "block_id over 255",
      { blocks: [{ ...section, block_id: "b".repeat(256) }] },
      "invalid_blocks",
      "must be less than 256 characters [json-pointer:/blocks/0/block_id]",
    ],
    [
      "26 buttons",
      { blocks: [{ type: "actions", elements: Array(26).fill(button()) }] },
      "invalid_blocks",
      "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
    ],
    [
      "a bad style",
      { blocks: [{ type: "actions", elements: [button({ style: "loud" })] }] },
      "invalid_blocks",
      'must be one of "primary", "danger" [json-pointer:/blocks/0/elements/0/style]',
    ],
    [
      "an unknown block",
      { blocks: [{ type: "table" }] },
      "invalid_blocks",
      'unsupported type "table" [json-pointer:/blocks/0/type]',
    ],
  ])("%s", (_, message, error, first) => {
    const refused = checkMessage(message);
    expect(refused?.error).toBe(error);
    expect(refused?.errors?.[0]).toBe(first);
  });

  it("takes a message at every limit", () => {
    expect(
      checkMessage({
        text: "x".repeat(40_000),
        blocks: [
          { type: "section", text: text(3000), fields: Array(10).fill(text(2000)) },
          { type: "context", elements: Array(10).fill(text(3000)) },
          { type: "header", text: text(150, "plain_text") },
          {
            type: "actions",
            block_id: "b".repeat(255),
            elements: Array.from({ length: 25 }, (_, i) =>
              button({ text: text(75, "plain_text"), value: "v".repeat(2000), action_id: `a${i}` }),
            ),
          },
          ...Array(46).fill({ type: "divider" }),
        ],
      }),
    ).toBeUndefined();
  });
});

describe("checkView refuses what views.open refuses", () => {
  const modal = (changes: object = {}) => ({
    type: "modal",
    title: text(24, "plain_text"),
    submit: text(24, "plain_text"),
    close: text(24, "plain_text"),
    private_metadata: "m".repeat(3000),
    blocks: [
      {
        type: "input",
        label: text(2000, "plain_text"),
        element: { type: "plain_text_input", action_id: "r", max_length: 3000 },
      },
      ...Array(99).fill({ type: "divider" }),
    ],
    ...changes,
  });

  it("takes a modal at every limit", () => {
    expect(checkView(modal())).toBeUndefined();
  });

  it.each([
    [
      "a title over 24",
      { title: text(25, "plain_text") },
      "must be less than 25 characters [json-pointer:/view/title/text]",
    ],
    [
      "a submit over 24",
      { submit: text(25, "plain_text") },
      "must be less than 25 characters [json-pointer:/view/submit/text]",
    ],
    [
      "a close over 24",
      { close: text(25, "plain_text") },
      "must be less than 25 characters [json-pointer:/view/close/text]",
    ],
    [
      "private_metadata over 3000",
      { private_metadata: "m".repeat(3001) },
      "must be less than 3001 characters [json-pointer:/view/private_metadata]",
    ],
    [
      "101 blocks",
      { blocks: Array(101).fill({ type: "divider" }) },
      "no more than 100 items allowed [json-pointer:/view/blocks]",
    ],
    [
      "a label over 2000",
      {
        blocks: [
          {
            type: "input",
            label: text(2001, "plain_text"),
            element: { type: "plain_text_input", action_id: "r" },
          },
        ],
      },
      "must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]",
    ],
    [
      "no title",
      { title: undefined },
      "must provide a plain_text object [json-pointer:/view/title]",
    ],
  ])("%s", (_, changes, first) => {
    expect(checkView(modal(changes))?.errors?.[0]).toBe(first);
  });
});
