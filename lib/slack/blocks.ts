/**
 * Block Kit pieces built from {@link Mrkdwn}, each fitted to Slack's limits after escaping, so
 * that every message bm builds is one Slack takes.
 *
 * Every mrkdwn text object is `verbatim`: bm writes each mention, channel, date and link itself,
 * as Slack's `<…>` tokens, so Slack has nothing to find on its own; without it, Slack would turn
 * an address or a `#name` in a reason, a server's name or an ECL message into a link.
 */
import type {
  Button,
  ConfirmationDialog,
  ContextBlock,
  KnownBlock,
  MrkdwnElement,
  SectionBlock,
} from "@slack/types";
import { LIMITS } from "./block-kit-limits";
import type { SlackMessage } from "./chat";
import { fitMrkdwn, fitPlain, type Mrkdwn } from "./mrkdwn";

/** The notification text of a message: kept short, as a person reads it in a notification. */
const NOTIFICATION = 3000;

/** A message: its text (the whole message, or the notification beside its blocks) and blocks. */
export function message(text: Mrkdwn, blocks?: KnownBlock[]): SlackMessage {
  return {
    text: fitMrkdwn(text, blocks ? NOTIFICATION : LIMITS.sectionText),
    ...(blocks ? { blocks: blocks.slice(0, LIMITS.messageBlocks) } : {}),
  } as SlackMessage;
}

/** A mrkdwn text object, fitted to `max`, never parsed by Slack beyond bm's own tokens. */
function mrkdwn(text: Mrkdwn, max: number): MrkdwnElement {
  return { type: "mrkdwn", text: fitMrkdwn(text, max), verbatim: true };
}

export function section(text: Mrkdwn): SectionBlock {
  return { type: "section", text: mrkdwn(text, LIMITS.sectionText) };
}

/** A section of fields, two columns in Slack: at most ten, each fitted. */
export function fields(items: Mrkdwn[]): SectionBlock {
  return {
    type: "section",
    fields: items.slice(0, LIMITS.sectionFields).map((f) => mrkdwn(f, LIMITS.sectionField)),
  };
}

export function context(items: Mrkdwn[]): ContextBlock {
  return {
    type: "context",
    elements: items.slice(0, LIMITS.contextElements).map((e) => mrkdwn(e, LIMITS.textObject)),
  };
}

/** A confirmation dialog's words: Slack shows it before a click is sent. */
export interface Confirm {
  title: string;
  text: string;
  confirm: string;
  deny: string;
  style?: "primary" | "danger";
}

/** What a button says besides its text: what a screen reader reads, its style, its dialog. */
export interface ButtonOptions {
  /** The `accessibility_label`: what the button does, and to what (its text alone may not say). */
  label: string;
  style?: "primary" | "danger";
  confirm?: Confirm;
}

const plain = (text: string, max: number) => ({
  type: "plain_text" as const,
  text: fitPlain(text, max),
});

function dialog(words: Confirm): ConfirmationDialog {
  return {
    title: plain(words.title, LIMITS.confirmTitle),
    text: plain(words.text, LIMITS.confirmText),
    confirm: plain(words.confirm, LIMITS.confirmButton),
    deny: plain(words.deny, LIMITS.confirmButton),
    ...(words.style ? { style: words.style } : {}),
  };
}

export function button(
  text: string,
  actionId: string,
  value: string,
  options: ButtonOptions,
): Button {
  return {
    type: "button",
    text: plain(text, LIMITS.buttonText),
    action_id: actionId,
    value,
    accessibility_label: fitPlain(options.label, LIMITS.accessibilityLabel),
    ...(options.style ? { style: options.style } : {}),
    ...(options.confirm ? { confirm: dialog(options.confirm) } : {}),
  };
}
