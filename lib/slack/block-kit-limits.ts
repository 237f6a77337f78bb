/**
 * Slack's published limits on messages, Block Kit and modals, and a check of a message or view
 * against them that answers as Slack does (`invalid_blocks` with its `errors` list, `no_text`,
 * `msg_too_long`). Pure: the strict Slack stand-in refuses with it, the message builders fit to
 * the same numbers, and the property tests hold every message bm can build against it.
 */

/** The numbers, from Slack's Block Kit reference and `chat.postMessage` documentation. */
export const LIMITS = {
  messageText: 40_000,
  messageBlocks: 50,
  viewBlocks: 100,
  textObject: 3000,
  sectionText: 3000,
  sectionFields: 10,
  sectionField: 2000,
  contextElements: 10,
  actionsElements: 25,
  headerText: 150,
  buttonText: 75,
  /** A button's `accessibility_label`, read by screen readers instead of its text. */
  accessibilityLabel: 75,
  /** A confirmation dialog's title, text, and the texts of its two buttons. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  buttonValue: 2000,
  buttonUrl: 3000,
  id: 255,
  viewTitle: 24,
  viewSubmit: 24,
  viewClose: 24,
  privateMetadata: 3000,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  inputLength: 3000,
} as const;

/** Why Slack refused a message: its error code, and the `errors` list of `invalid_blocks`. */
export interface Refusal {
  error: "invalid_blocks" | "no_text" | "msg_too_long" | "invalid_arguments";
  errors?: string[];
}

type Json = Record<string, unknown>;

/**
 * Checks a message as `chat.postMessage`, `chat.update`, `chat.postEphemeral` and a response_url
 * do. Returns Slack's refusal, or undefined when Slack would take it.
 */
export function checkMessage(message: { text?: unknown; blocks?: unknown }): Refusal | undefined {
  const text = typeof message.text === "string" ? message.text : "";
  const hasBlocks = Array.isArray(message.blocks) && message.blocks.length > 0;
  if (message.blocks !== undefined && !Array.isArray(message.blocks))
    return { error: "invalid_blocks", errors: ["must be an array [json-pointer:/blocks]"] };
  if (!text.trim() && !hasBlocks) return { error: "no_text" };
  if (text.length > LIMITS.messageText) return { error: "msg_too_long" };
  if (!hasBlocks) return undefined;
  const errors = checkBlocks(message.blocks as unknown[], LIMITS.messageBlocks, "/blocks");
  return errors.length > 0 ? { error: "invalid_blocks", errors } : undefined;
}

/**
 * Checks a view as Slack does: a modal as `views.open` does, a Home tab as `views.publish` does
 * (type "home", no title nor buttons: those are a modal's; 100 blocks either way).
 */
export function checkView(view: unknown, kind: "modal" | "home" = "modal"): Refusal | undefined {
  if (!isObject(view)) return { error: "invalid_arguments" };
  const errors: string[] = [];
  if (view.type !== kind) errors.push(`must be "${kind}" [json-pointer:/view/type]`);
  if (kind === "modal") {
    plainText(errors, view.title, LIMITS.viewTitle, "/view/title", true);
    plainText(errors, view.submit, LIMITS.viewSubmit, "/view/submit", false);
    plainText(errors, view.close, LIMITS.viewClose, "/view/close", false);
  }
  maxLength(errors, view.private_metadata, LIMITS.privateMetadata, "/view/private_metadata");
  maxLength(errors, view.callback_id, LIMITS.id, "/view/callback_id");
  if (!Array.isArray(view.blocks)) errors.push("must be an array [json-pointer:/view/blocks]");
  else errors.push(...checkBlocks(view.blocks, LIMITS.viewBlocks, "/view/blocks"));
  return errors.length > 0 ? { error: "invalid_blocks", errors } : undefined;
}

function checkBlocks(blocks: unknown[], max: number, at: string): string[] {
  const errors: string[] = [];
  if (blocks.length > max) errors.push(`no more than ${max} items allowed [json-pointer:${at}]`);
  // A block_id names one block of the message: Slack refuses a message that repeats one.
  const ids = new Set<unknown>();
  blocks.forEach((block, i) => {
    checkBlock(errors, block, `${at}/${i}`);
    const id = isObject(block) ? block.block_id : undefined;
    if (id === undefined) return;
    if (ids.has(id)) errors.push(`block_id must be unique [json-pointer:${at}/${i}/block_id]`);
    ids.add(id);
  });
  return errors;
}

function checkBlock(errors: string[], block: unknown, at: string): void {
  if (!isObject(block)) {
    errors.push(`must be an object [json-pointer:${at}]`);
    return;
  }
  maxLength(errors, block.block_id, LIMITS.id, `${at}/block_id`);
  switch (block.type) {
    case "section": {
      if (block.text === undefined && block.fields === undefined)
        errors.push(`must provide either text or fields [json-pointer:${at}]`);
      if (block.text !== undefined)
        textObject(errors, block.text, LIMITS.sectionText, `${at}/text`);
      if (block.fields !== undefined) {
        const fields = list(errors, block.fields, 1, LIMITS.sectionFields, `${at}/fields`);
        fields.forEach((f, i) => {
          textObject(errors, f, LIMITS.sectionField, `${at}/fields/${i}`);
        });
      }
      if (block.accessory !== undefined) element(errors, block.accessory, `${at}/accessory`);
      return;
    }
    case "context": {
      const elements = list(errors, block.elements, 1, LIMITS.contextElements, `${at}/elements`);
      elements.forEach((e, i) => {
        textObject(errors, e, LIMITS.textObject, `${at}/elements/${i}`);
      });
      return;
    }
    case "actions": {
      const elements = list(errors, block.elements, 1, LIMITS.actionsElements, `${at}/elements`);
      // An action_id names one element of its block: a click must say which it was.
      const ids = new Set<unknown>();
      elements.forEach((e, i) => {
        element(errors, e, `${at}/elements/${i}`);
        const id = isObject(e) ? e.action_id : undefined;
        if (id === undefined) return;
        if (ids.has(id))
          errors.push(
            `action_id must be unique in its block [json-pointer:${at}/elements/${i}/action_id]`,
          );
        ids.add(id);
      });
      return;
    }
    case "header":
      plainText(errors, block.text, LIMITS.headerText, `${at}/text`, true);
      return;
    case "divider":
      return;
    case "input":
      plainText(errors, block.label, LIMITS.inputLabel, `${at}/label`, true);
      plainText(errors, block.hint, LIMITS.inputHint, `${at}/hint`, false);
      element(errors, block.element, `${at}/element`);
      return;
    default:
      errors.push(`unsupported type ${JSON.stringify(block.type)} [json-pointer:${at}/type]`);
  }
}

/** An interactive element: the kinds bm uses (button, plain text input). */
function element(errors: string[], value: unknown, at: string): void {
  if (!isObject(value)) {
    errors.push(`must be an object [json-pointer:${at}]`);
    return;
  }
  maxLength(errors, value.action_id, LIMITS.id, `${at}/action_id`);
  if (value.type === "button") {
    plainText(errors, value.text, LIMITS.buttonText, `${at}/text`, true);
    maxLength(errors, value.value, LIMITS.buttonValue, `${at}/value`);
    maxLength(errors, value.url, LIMITS.buttonUrl, `${at}/url`);
    style(errors, value.style, `${at}/style`);
    if (value.accessibility_label !== undefined)
      textLength(
        errors,
        value.accessibility_label,
        LIMITS.accessibilityLabel,
        `${at}/accessibility_label`,
      );
    if (value.confirm !== undefined) confirm(errors, value.confirm, `${at}/confirm`);
    return;
  }
  if (value.type === "plain_text_input") {
    plainText(errors, value.placeholder, LIMITS.placeholder, `${at}/placeholder`, false);
    for (const key of ["min_length", "max_length"] as const) {
      const n = value[key];
      if (n !== undefined && (typeof n !== "number" || n < 0 || n > LIMITS.inputLength))
        errors.push(`must be between 0 and ${LIMITS.inputLength} [json-pointer:${at}/${key}]`);
    }
    return;
  }
  errors.push(`unsupported type ${JSON.stringify(value.type)} [json-pointer:${at}/type]`);
}

/** A button's or a dialog's `style`: Slack knows two. */
function style(errors: string[], value: unknown, at: string): void {
  if (value !== undefined && value !== "primary" && value !== "danger")
    errors.push(`must be one of "primary", "danger" [json-pointer:${at}]`);
}

/**
 * A confirmation dialog (the `confirm` composition object): a title, a text, and the words of its
 * confirm and deny buttons, all required, each within its limit; a style of the two.
 */
function confirm(errors: string[], value: unknown, at: string): void {
  if (!isObject(value)) {
    errors.push(`must be an object [json-pointer:${at}]`);
    return;
  }
  plainText(errors, value.title, LIMITS.confirmTitle, `${at}/title`, true);
  if (value.text === undefined) errors.push(`must provide a text object [json-pointer:${at}/text]`);
  else textObject(errors, value.text, LIMITS.confirmText, `${at}/text`);
  plainText(errors, value.confirm, LIMITS.confirmButton, `${at}/confirm`, true);
  plainText(errors, value.deny, LIMITS.confirmButton, `${at}/deny`, true);
  style(errors, value.style, `${at}/style`);
}

/**
 * A text object: mrkdwn or plain_text, never empty, at most `max` characters. `verbatim` is a
 * boolean of mrkdwn only, `emoji` one of plain_text only (Slack's text object reference).
 */
function textObject(errors: string[], value: unknown, max: number, at: string): void {
  if (!isObject(value) || (value.type !== "mrkdwn" && value.type !== "plain_text")) {
    errors.push(`must be a text object [json-pointer:${at}]`);
    return;
  }
  textLength(errors, value.text, max, `${at}/text`);
  flag(errors, value, "verbatim", "mrkdwn", at);
  flag(errors, value, "emoji", "plain_text", at);
}

/** A boolean field that only one type of text object may carry. */
function flag(errors: string[], value: Json, key: string, type: string, at: string): void {
  if (value[key] === undefined) return;
  if (value.type !== type) errors.push(`only usable with type ${type} [json-pointer:${at}/${key}]`);
  else if (typeof value[key] !== "boolean")
    errors.push(`must be a boolean [json-pointer:${at}/${key}]`);
}

function plainText(errors: string[], value: unknown, max: number, at: string, required: boolean) {
  if (value === undefined) {
    if (required) errors.push(`must provide a plain_text object [json-pointer:${at}]`);
    return;
  }
  if (!isObject(value) || value.type !== "plain_text") {
    errors.push(`must be a plain_text object [json-pointer:${at}]`);
    return;
  }
  textLength(errors, value.text, max, `${at}/text`);
  flag(errors, value, "verbatim", "mrkdwn", at);
  flag(errors, value, "emoji", "plain_text", at);
}

function textLength(errors: string[], text: unknown, max: number, at: string): void {
  if (typeof text !== "string" || text.length === 0)
    errors.push(`must be more than 0 characters [json-pointer:${at}]`);
  else if (text.length > max)
    errors.push(`must be less than ${max + 1} characters [json-pointer:${at}]`);
}

function maxLength(errors: string[], value: unknown, max: number, at: string): void {
  if (value === undefined) return;
  if (typeof value !== "string") errors.push(`must be a string [json-pointer:${at}]`);
  else if (value.length > max)
    errors.push(`must be less than ${max + 1} characters [json-pointer:${at}]`);
}

function list(errors: string[], value: unknown, min: number, max: number, at: string): unknown[] {
  if (!Array.isArray(value)) {
    errors.push(`must be an array [json-pointer:${at}]`);
    return [];
  }
  if (value.length < min) errors.push(`must provide at least ${min} items [json-pointer:${at}]`);
  if (value.length > max) errors.push(`no more than ${max} items allowed [json-pointer:${at}]`);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
