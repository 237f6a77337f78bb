import { describe, expect, it } from "vitest";
import { checkMessage, checkView, type Refusal } from "../../../lib/slack/block-kit-limits";

const text = (n: number, type = "mrkdwn") => ({ type, text: "x".repeat(n) });
const plain = (n: number) => text(n, "plain_text");
const divider = { type: "divider" };
const section = { type: "section", text: text(10) };
const button = (changes: object = {}) => ({
  type: "button",
  text: plain(10),
  action_id: "a",
  value: "v",
  ...changes,
});
/** A confirmation dialog within every limit, with `changes`. */
const dialog = (changes: object = {}) => ({
  title: plain(5),
  text: plain(5),
  confirm: plain(5),
  deny: plain(5),
  ...changes,
});
/** An address of exactly `n` characters. */
const url = (n: number) => `https://x.test/${"p".repeat(n - 15)}`;
/** A message of one block. */
const one = (block: object) => ({ blocks: [block] });
/** A message of one actions block holding `elements`. */
const actions = (...elements: unknown[]) => one({ type: "actions", elements });
/** Slack's refusal of a message or view for its blocks, with its errors in order. */
const refused = (...errors: string[]): Refusal => ({ error: "invalid_blocks", errors });

/** A modal with no more than views.open requires, and `changes`. */
const modal = (changes: object = {}) => ({
  type: "modal",
  title: plain(5),
  blocks: [],
  ...changes,
});
/** A modal of one input block: a plain text input with `element`, the block with `changes`. */
const input = (element: object = {}, changes: object = {}) =>
  modal({
    blocks: [
      {
        type: "input",
        label: plain(5),
        element: { type: "plain_text_input", action_id: "r", ...element },
        ...changes,
      },
    ],
  });

describe("checkMessage: each of Slack's limits at its edge", () => {
  it.each<[string, number, (n: number) => object, Refusal]>([
    ["text", 40_000, (n) => ({ text: "x".repeat(n) }), { error: "msg_too_long" }],
    [
      "text beside blocks",
      40_000,
      (n) => ({ text: "x".repeat(n), blocks: [divider] }),
      { error: "msg_too_long" },
    ],
    [
      "blocks",
      50,
      (n) => ({ blocks: Array(n).fill(divider) }),
      refused("no more than 50 items allowed [json-pointer:/blocks]"),
    ],
    [
      "a section's text",
      3000,
      (n) => one({ type: "section", text: text(n) }),
      refused("must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
    ],
    [
      "a section's plain text",
      3000,
      (n) => one({ type: "section", text: plain(n) }),
      refused("must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
    ],
    [
      "a section's fields",
      10,
      (n) => one({ type: "section", fields: Array(n).fill(text(1)) }),
      refused("no more than 10 items allowed [json-pointer:/blocks/0/fields]"),
    ],
    [
      "a field",
      2000,
      (n) => one({ type: "section", fields: [text(1), text(n)] }),
      refused("must be less than 2001 characters [json-pointer:/blocks/0/fields/1/text]"),
    ],
    [
      "a context's elements",
      10,
      (n) => one({ type: "context", elements: Array(n).fill(text(1)) }),
      refused("no more than 10 items allowed [json-pointer:/blocks/0/elements]"),
    ],
    [
      "a context element",
      3000,
      (n) => one({ type: "context", elements: [text(1), text(n)] }),
      refused("must be less than 3001 characters [json-pointer:/blocks/0/elements/1/text]"),
    ],
    [
      "an actions block's elements",
      25,
      (n) => actions(...Array.from({ length: n }, (_, i) => button({ action_id: `a${i}` }))),
      refused("no more than 25 items allowed [json-pointer:/blocks/0/elements]"),
    ],
    [
      "a header",
      150,
      (n) => one({ type: "header", text: plain(n) }),
      refused("must be less than 151 characters [json-pointer:/blocks/0/text/text]"),
    ],
    [
      "a button's text",
      75,
      (n) => actions(button({ text: plain(n) })),
      refused("must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"),
    ],
    [
      "a button's value",
      2000,
      (n) => actions(button({ value: "v".repeat(n) })),
      refused("must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"),
    ],
    [
      "a button's url",
      3000,
      (n) => actions(button({ url: url(n) })),
      refused("must be less than 3001 characters [json-pointer:/blocks/0/elements/0/url]"),
    ],
    [
      "an action_id",
      255,
      (n) => actions(button({ action_id: "a".repeat(n) })),
      refused("must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]"),
    ],
    [
      "a block_id",
      255,
      (n) => one({ ...section, block_id: "b".repeat(n) }),
      refused("must be less than 256 characters [json-pointer:/blocks/0/block_id]"),
    ],
    [
      "a button's accessibility_label",
      75,
      (n) => actions(button({ accessibility_label: "l".repeat(n) })),
      refused(
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/accessibility_label]",
      ),
    ],
    [
      "a confirmation dialog's title",
      100,
      (n) => actions(button({ confirm: dialog({ title: plain(n) }) })),
      refused(
        "must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]",
      ),
    ],
    [
      "a confirmation dialog's text",
      300,
      (n) => actions(button({ confirm: dialog({ text: text(n) }) })),
      refused(
        "must be less than 301 characters [json-pointer:/blocks/0/elements/0/confirm/text/text]",
      ),
    ],
    [
      "a confirmation dialog's confirm",
      30,
      (n) => actions(button({ confirm: dialog({ confirm: plain(n) }) })),
      refused(
        "must be less than 31 characters [json-pointer:/blocks/0/elements/0/confirm/confirm/text]",
      ),
    ],
    [
      "a confirmation dialog's deny",
      30,
      (n) => one({ ...section, accessory: button({ confirm: dialog({ deny: plain(n) }) }) }),
      refused(
        "must be less than 31 characters [json-pointer:/blocks/0/accessory/confirm/deny/text]",
      ),
    ],
    [
      "an accessory's text",
      75,
      (n) => one({ ...section, accessory: button({ text: plain(n) }) }),
      refused("must be less than 76 characters [json-pointer:/blocks/0/accessory/text/text]"),
    ],
  ])("%s: %i taken, one more refused", (_, limit, build, refusal) => {
    // Prepare
    const atLimit = build(limit);
    const over = build(limit + 1);
    // Act
    const taken = checkMessage(atLimit);
    const refusedOver = checkMessage(over);
    // Assess
    expect(taken).toBeUndefined();
    expect(refusedOver).toEqual(refusal);
  });

  it("takes a message at every limit at once", () => {
    expect(
      checkMessage({
        text: "x".repeat(40_000),
        blocks: [
          { type: "section", text: text(3000), fields: Array(10).fill(text(2000)) },
          { type: "context", elements: Array(10).fill(text(3000)) },
          { type: "header", text: plain(150) },
          {
            type: "actions",
            block_id: "b".repeat(255),
            elements: Array.from({ length: 25 }, (_, i) =>
              button({
                text: plain(75),
                value: "v".repeat(2000),
                url: url(3000),
                action_id: `a${i}`,
              }),
            ),
          },
          ...Array(46).fill(divider),
        ],
      }),
    ).toBeUndefined();
  });
});

describe("checkMessage refuses what Slack refuses, and takes the rest", () => {
  it.each<[string, { text?: unknown; blocks?: unknown }, Refusal | undefined]>([
    ["nothing at all", {}, { error: "no_text" }],
    ["blank text", { text: " \n\t" }, { error: "no_text" }],
    ["text that is not a string", { text: 42 }, { error: "no_text" }],
    ["no text and no blocks in the list", { blocks: [] }, { error: "no_text" }],
    ["text and an empty list of blocks", { text: "hi", blocks: [] }, undefined],
    ["text alone", { text: "hi" }, undefined],
    ["blocks alone", { blocks: [divider] }, undefined],
    [
      "blocks that are not a list",
      { text: "hi", blocks: divider },
      refused("must be an array [json-pointer:/blocks]"),
    ],
    [
      "blocks that are not objects",
      { blocks: [null, [divider], "divider", 7] },
      refused(
        "must be an object [json-pointer:/blocks/0]",
        "must be an object [json-pointer:/blocks/1]",
        "must be an object [json-pointer:/blocks/2]",
        "must be an object [json-pointer:/blocks/3]",
      ),
    ],
    [
      "a block of an unknown type",
      one({ type: "table" }),
      refused('unsupported type "table" [json-pointer:/blocks/0/type]'),
    ],
    [
      "a block without a type",
      one({}),
      refused("unsupported type undefined [json-pointer:/blocks/0/type]"),
    ],
    [
      "a block_id twice",
      {
        blocks: [
          { ...section, block_id: "b1" },
          { ...divider, block_id: "b1" },
        ],
      },
      refused("block_id must be unique [json-pointer:/blocks/1/block_id]"),
    ],
    [
      "a block_id three times",
      { blocks: Array(3).fill({ ...divider, block_id: "b1" }) },
      refused(
        "block_id must be unique [json-pointer:/blocks/1/block_id]",
        "block_id must be unique [json-pointer:/blocks/2/block_id]",
      ),
    ],
    [
      "different block_ids",
      {
        blocks: [
          { ...divider, block_id: "b1" },
          { ...divider, block_id: "b2" },
        ],
      },
      undefined,
    ],
    [
      "a block_id that is not a string",
      one({ ...divider, block_id: 7 }),
      refused("must be a string [json-pointer:/blocks/0/block_id]"),
    ],
    [
      "a section with neither text nor fields",
      one({ type: "section" }),
      refused("must provide either text or fields [json-pointer:/blocks/0]"),
    ],
    ["a section of fields alone", one({ type: "section", fields: [text(1), plain(1)] }), undefined],
    [
      "a section text that is a string",
      one({ type: "section", text: "hello" }),
      refused("must be a text object [json-pointer:/blocks/0/text]"),
    ],
    [
      "a section text that is null",
      one({ type: "section", text: null }),
      refused("must be a text object [json-pointer:/blocks/0/text]"),
    ],
    [
      "a section text of another type",
      one({ type: "section", text: text(5, "markdown") }),
      refused("must be a text object [json-pointer:/blocks/0/text]"),
    ],
    [
      "a text object without its text",
      one({ type: "section", text: { type: "mrkdwn" } }),
      refused("must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    ],
    [
      "a text object whose text is a number",
      one({ type: "section", text: { type: "mrkdwn", text: 12345 } }),
      refused("must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    ],
    [
      "an empty text object",
      one({ type: "section", text: text(0) }),
      refused("must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    ],
    [
      "fields that are not a list",
      one({ type: "section", fields: text(1) }),
      refused("must be an array [json-pointer:/blocks/0/fields]"),
    ],
    [
      "an empty list of fields",
      one({ type: "section", fields: [] }),
      refused("must provide at least 1 items [json-pointer:/blocks/0/fields]"),
    ],
    [
      "a field that is not a text object",
      one({ type: "section", fields: [text(1), "x"] }),
      refused("must be a text object [json-pointer:/blocks/0/fields/1]"),
    ],
    ["a section with a button beside it", one({ ...section, accessory: button() }), undefined],
    [
      "an accessory that is not an object",
      one({ ...section, accessory: "button" }),
      refused("must be an object [json-pointer:/blocks/0/accessory]"),
    ],
    [
      "a button with a confirmation dialog, a style and an accessibility label",
      actions(
        button({ accessibility_label: "l", confirm: dialog({ style: "danger" }) }),
        button({ action_id: "b", confirm: dialog({ style: "primary", text: text(1) }) }),
      ),
      undefined,
    ],
    [
      "an empty accessibility label",
      actions(button({ accessibility_label: "" })),
      refused(
        "must be more than 0 characters [json-pointer:/blocks/0/elements/0/accessibility_label]",
      ),
    ],
    [
      "a confirmation dialog that is not an object",
      actions(button({ confirm: "sure?" })),
      refused("must be an object [json-pointer:/blocks/0/elements/0/confirm]"),
    ],
    [
      "a confirmation dialog with nothing in it",
      actions(button({ confirm: {} })),
      refused(
        "must provide a plain_text object [json-pointer:/blocks/0/elements/0/confirm/title]",
        "must provide a text object [json-pointer:/blocks/0/elements/0/confirm/text]",
        "must provide a plain_text object [json-pointer:/blocks/0/elements/0/confirm/confirm]",
        "must provide a plain_text object [json-pointer:/blocks/0/elements/0/confirm/deny]",
      ),
    ],
    [
      "a confirmation dialog of a bad style, its title in mrkdwn",
      actions(button({ confirm: dialog({ style: "loud", title: text(5) }) })),
      refused(
        "must be a plain_text object [json-pointer:/blocks/0/elements/0/confirm/title]",
        'must be one of "primary", "danger" [json-pointer:/blocks/0/elements/0/confirm/style]',
      ),
    ],
    [
      "verbatim mrkdwn, and plain text with its emoji",
      one({
        type: "section",
        text: { ...text(1), verbatim: true },
        fields: [
          { ...text(1), verbatim: false },
          { ...plain(1), emoji: true },
        ],
      }),
      undefined,
    ],
    [
      "verbatim that is not a boolean, emoji that is not one",
      one({
        type: "section",
        text: { ...text(1), verbatim: "yes" },
        fields: [{ ...plain(1), emoji: 1 }],
      }),
      refused(
        "must be a boolean [json-pointer:/blocks/0/text/verbatim]",
        "must be a boolean [json-pointer:/blocks/0/fields/0/emoji]",
      ),
    ],
    [
      "a button's and a header's plain text with emoji",
      {
        blocks: [
          { type: "header", text: { ...plain(1), emoji: true } },
          actions(button({ text: { ...plain(1), emoji: false } })).blocks[0],
        ],
      },
      undefined,
    ],
    [
      "a header's emoji that is not a boolean",
      one({ type: "header", text: { ...plain(1), emoji: "yes" } }),
      refused("must be a boolean [json-pointer:/blocks/0/text/emoji]"),
    ],
    [
      "verbatim on plain text, emoji on mrkdwn",
      one({
        type: "section",
        text: { ...plain(1), verbatim: true },
        fields: [{ ...text(1), emoji: true }],
        accessory: button({ text: { ...plain(1), verbatim: false } }),
      }),
      refused(
        "only usable with type mrkdwn [json-pointer:/blocks/0/text/verbatim]",
        "only usable with type plain_text [json-pointer:/blocks/0/fields/0/emoji]",
        "only usable with type mrkdwn [json-pointer:/blocks/0/accessory/text/verbatim]",
      ),
    ],
    [
      "an accessory of a bad style",
      one({ ...section, accessory: button({ style: "loud" }) }),
      refused('must be one of "primary", "danger" [json-pointer:/blocks/0/accessory/style]'),
    ],
    [
      "context elements that are not a list",
      one({ type: "context", elements: text(1) }),
      refused("must be an array [json-pointer:/blocks/0/elements]"),
    ],
    [
      "an empty context",
      one({ type: "context", elements: [] }),
      refused("must provide at least 1 items [json-pointer:/blocks/0/elements]"),
    ],
    [
      "a context element that is not a text object",
      one({ type: "context", elements: [text(1), button()] }),
      refused("must be a text object [json-pointer:/blocks/0/elements/1]"),
    ],
    [
      "an empty context element",
      one({ type: "context", elements: [text(0)] }),
      refused("must be more than 0 characters [json-pointer:/blocks/0/elements/0/text]"),
    ],
    [
      "actions elements that are not a list",
      one({ type: "actions", elements: button() }),
      refused("must be an array [json-pointer:/blocks/0/elements]"),
    ],
    [
      "an empty actions block",
      actions(),
      refused("must provide at least 1 items [json-pointer:/blocks/0/elements]"),
    ],
    [
      "an element that is not an object",
      actions(button(), null),
      refused("must be an object [json-pointer:/blocks/0/elements/1]"),
    ],
    [
      "an element of an unknown type",
      actions({ type: "datepicker", action_id: "d" }),
      refused('unsupported type "datepicker" [json-pointer:/blocks/0/elements/0/type]'),
    ],
    [
      "an action_id twice in one block",
      actions(button(), button()),
      refused(
        "action_id must be unique in its block [json-pointer:/blocks/0/elements/1/action_id]",
      ),
    ],
    [
      "one action_id in two blocks",
      { blocks: [actions(button()).blocks[0], actions(button()).blocks[0]] },
      undefined,
    ],
    [
      "buttons without action_ids",
      actions(button({ action_id: undefined }), button({ action_id: undefined })),
      undefined,
    ],
    [
      "an action_id that is not a string",
      actions(button({ action_id: 7 })),
      refused("must be a string [json-pointer:/blocks/0/elements/0/action_id]"),
    ],
    [
      "a button without text",
      actions(button({ text: undefined })),
      refused("must provide a plain_text object [json-pointer:/blocks/0/elements/0/text]"),
    ],
    [
      "a button in mrkdwn",
      actions(button({ text: text(5) })),
      refused("must be a plain_text object [json-pointer:/blocks/0/elements/0/text]"),
    ],
    [
      "an empty button",
      actions(button({ text: plain(0) })),
      refused("must be more than 0 characters [json-pointer:/blocks/0/elements/0/text/text]"),
    ],
    [
      "a button value that is not a string",
      actions(button({ value: 7 })),
      refused("must be a string [json-pointer:/blocks/0/elements/0/value]"),
    ],
    [
      "a button url that is not a string",
      actions(button({ url: 7 })),
      refused("must be a string [json-pointer:/blocks/0/elements/0/url]"),
    ],
    [
      "a primary and a danger button",
      actions(button({ action_id: "p", style: "primary" }), button({ style: "danger" })),
      undefined,
    ],
    [
      "a bad style",
      actions(button({ style: "loud" })),
      refused('must be one of "primary", "danger" [json-pointer:/blocks/0/elements/0/style]'),
    ],
    [
      "a header without text",
      one({ type: "header" }),
      refused("must provide a plain_text object [json-pointer:/blocks/0/text]"),
    ],
    [
      "a header in mrkdwn",
      one({ type: "header", text: text(5) }),
      refused("must be a plain_text object [json-pointer:/blocks/0/text]"),
    ],
    [
      "a header that is a string",
      one({ type: "header", text: "Title" }),
      refused("must be a plain_text object [json-pointer:/blocks/0/text]"),
    ],
    [
      "several faults, each listed in order",
      {
        blocks: [
          { type: "section", block_id: 7 },
          { type: "header", block_id: 7 },
          { type: "context", elements: [] },
        ],
      },
      refused(
        "must be a string [json-pointer:/blocks/0/block_id]",
        "must provide either text or fields [json-pointer:/blocks/0]",
        "must be a string [json-pointer:/blocks/1/block_id]",
        "must provide a plain_text object [json-pointer:/blocks/1/text]",
        "block_id must be unique [json-pointer:/blocks/1/block_id]",
        "must provide at least 1 items [json-pointer:/blocks/2/elements]",
      ),
    ],
  ])("%s", (_, message, refusal) => {
    // Act
    const answer = checkMessage(message);
    // Assess
    expect(answer).toEqual(refusal);
  });
});

describe("checkView: each of Slack's limits at its edge", () => {
  it.each<[string, number, (n: number) => object, string]>([
    [
      "blocks",
      100,
      (n) => modal({ blocks: Array(n).fill(divider) }),
      "no more than 100 items allowed [json-pointer:/view/blocks]",
    ],
    [
      "the title",
      24,
      (n) => modal({ title: plain(n) }),
      "must be less than 25 characters [json-pointer:/view/title/text]",
    ],
    [
      "the submit button",
      24,
      (n) => modal({ submit: plain(n) }),
      "must be less than 25 characters [json-pointer:/view/submit/text]",
    ],
    [
      "the close button",
      24,
      (n) => modal({ close: plain(n) }),
      "must be less than 25 characters [json-pointer:/view/close/text]",
    ],
    [
      "private_metadata",
      3000,
      (n) => modal({ private_metadata: "m".repeat(n) }),
      "must be less than 3001 characters [json-pointer:/view/private_metadata]",
    ],
    [
      "callback_id",
      255,
      (n) => modal({ callback_id: "c".repeat(n) }),
      "must be less than 256 characters [json-pointer:/view/callback_id]",
    ],
    [
      "an input's label",
      2000,
      (n) => input({}, { label: plain(n) }),
      "must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]",
    ],
    [
      "an input's hint",
      2000,
      (n) => input({}, { hint: plain(n) }),
      "must be less than 2001 characters [json-pointer:/view/blocks/0/hint/text]",
    ],
    [
      "an input's placeholder",
      150,
      (n) => input({ placeholder: plain(n) }),
      "must be less than 151 characters [json-pointer:/view/blocks/0/element/placeholder/text]",
    ],
    [
      "an input's max_length",
      3000,
      (n) => input({ max_length: n }),
      "must be between 0 and 3000 [json-pointer:/view/blocks/0/element/max_length]",
    ],
    [
      "an input's min_length",
      3000,
      (n) => input({ min_length: n }),
      "must be between 0 and 3000 [json-pointer:/view/blocks/0/element/min_length]",
    ],
  ])("%s: %i taken, one more refused", (_, limit, build, error) => {
    // Prepare
    const atLimit = build(limit);
    const over = build(limit + 1);
    // Act
    const taken = checkView(atLimit);
    const refusedOver = checkView(over);
    // Assess
    expect(taken).toBeUndefined();
    expect(refusedOver).toEqual(refused(error));
  });

  it("takes a modal at every limit at once", () => {
    expect(
      checkView({
        type: "modal",
        callback_id: "c".repeat(255),
        title: plain(24),
        submit: plain(24),
        close: plain(24),
        private_metadata: "m".repeat(3000),
        blocks: [
          {
            type: "input",
            label: plain(2000),
            hint: plain(2000),
            element: {
              type: "plain_text_input",
              action_id: "r",
              placeholder: plain(150),
              min_length: 0,
              max_length: 3000,
            },
          },
          ...Array(99).fill(divider),
        ],
      }),
    ).toBeUndefined();
  });
});

describe("checkView refuses what views.open refuses, and takes the rest", () => {
  it.each<[string, unknown, Refusal | undefined]>([
    ["nothing", undefined, { error: "invalid_arguments" }],
    ["null", null, { error: "invalid_arguments" }],
    ["a list", [modal()], { error: "invalid_arguments" }],
    ["a string", "modal", { error: "invalid_arguments" }],
    ["the least a modal needs", modal(), undefined],
    ["a modal of one plain text input", input(), undefined],
    [
      "a view that is not a modal",
      modal({ type: "home" }),
      refused('must be "modal" [json-pointer:/view/type]'),
    ],
    [
      "a view without a type",
      modal({ type: undefined }),
      refused('must be "modal" [json-pointer:/view/type]'),
    ],
    [
      "no title",
      modal({ title: undefined }),
      refused("must provide a plain_text object [json-pointer:/view/title]"),
    ],
    [
      "a title in mrkdwn",
      modal({ title: text(5) }),
      refused("must be a plain_text object [json-pointer:/view/title]"),
    ],
    [
      "an empty title",
      modal({ title: plain(0) }),
      refused("must be more than 0 characters [json-pointer:/view/title/text]"),
    ],
    [
      "a submit button in mrkdwn",
      modal({ submit: text(5) }),
      refused("must be a plain_text object [json-pointer:/view/submit]"),
    ],
    [
      "an empty close button",
      modal({ close: plain(0) }),
      refused("must be more than 0 characters [json-pointer:/view/close/text]"),
    ],
    [
      "private_metadata that is not a string",
      modal({ private_metadata: { id: 1 } }),
      refused("must be a string [json-pointer:/view/private_metadata]"),
    ],
    [
      "blocks that are missing",
      modal({ blocks: undefined }),
      refused("must be an array [json-pointer:/view/blocks]"),
    ],
    [
      "blocks that are not a list",
      modal({ blocks: divider }),
      refused("must be an array [json-pointer:/view/blocks]"),
    ],
    [
      "a block_id twice",
      modal({
        blocks: [
          { ...divider, block_id: "b" },
          { ...divider, block_id: "b" },
        ],
      }),
      refused("block_id must be unique [json-pointer:/view/blocks/1/block_id]"),
    ],
    [
      "an input without a label",
      input({}, { label: undefined }),
      refused("must provide a plain_text object [json-pointer:/view/blocks/0/label]"),
    ],
    [
      "an input labelled in mrkdwn",
      input({}, { label: text(5) }),
      refused("must be a plain_text object [json-pointer:/view/blocks/0/label]"),
    ],
    [
      "an input with a hint in mrkdwn",
      input({}, { hint: text(5) }),
      refused("must be a plain_text object [json-pointer:/view/blocks/0/hint]"),
    ],
    [
      "an input without an element",
      input({}, { element: undefined }),
      refused("must be an object [json-pointer:/view/blocks/0/element]"),
    ],
    [
      "an input element of an unknown type",
      input({ type: "static_select" }),
      refused('unsupported type "static_select" [json-pointer:/view/blocks/0/element/type]'),
    ],
    [
      "an input element whose action_id is too long",
      input({ action_id: "r".repeat(256) }),
      refused("must be less than 256 characters [json-pointer:/view/blocks/0/element/action_id]"),
    ],
    [
      "an empty placeholder",
      input({ placeholder: plain(0) }),
      refused(
        "must be more than 0 characters [json-pointer:/view/blocks/0/element/placeholder/text]",
      ),
    ],
    [
      "a placeholder in mrkdwn",
      input({ placeholder: text(5) }),
      refused("must be a plain_text object [json-pointer:/view/blocks/0/element/placeholder]"),
    ],
    ["lengths of 0", input({ min_length: 0, max_length: 0 }), undefined],
    [
      "a min_length below 0",
      input({ min_length: -1 }),
      refused("must be between 0 and 3000 [json-pointer:/view/blocks/0/element/min_length]"),
    ],
    [
      "a max_length below 0",
      input({ max_length: -1 }),
      refused("must be between 0 and 3000 [json-pointer:/view/blocks/0/element/max_length]"),
    ],
    [
      "lengths that are strings",
      input({ min_length: "1", max_length: "10" }),
      refused(
        "must be between 0 and 3000 [json-pointer:/view/blocks/0/element/min_length]",
        "must be between 0 and 3000 [json-pointer:/view/blocks/0/element/max_length]",
      ),
    ],
    [
      "everything wrong at once, each listed in order",
      {
        type: "home",
        title: text(5),
        submit: plain(0),
        close: "Close",
        private_metadata: 7,
        callback_id: 7,
        blocks: [null],
      },
      refused(
        'must be "modal" [json-pointer:/view/type]',
        "must be a plain_text object [json-pointer:/view/title]",
        "must be more than 0 characters [json-pointer:/view/submit/text]",
        "must be a plain_text object [json-pointer:/view/close]",
        "must be a string [json-pointer:/view/private_metadata]",
        "must be a string [json-pointer:/view/callback_id]",
        "must be an object [json-pointer:/view/blocks/0]",
      ),
    ],
  ])("%s", (_, view, refusal) => {
    // Act
    const answer = checkView(view);
    // Assess
    expect(answer).toEqual(refusal);
  });
});
