/**
 * Block Kit pieces built from {@link Mrkdwn}, each fitted to Slack's limits after escaping, so
 * that every message bm builds is one Slack takes.
 */
import type { Button, ContextBlock, KnownBlock, SectionBlock } from "@slack/types";
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

export function section(text: Mrkdwn): SectionBlock {
  return { type: "section", text: { type: "mrkdwn", text: fitMrkdwn(text, LIMITS.sectionText) } };
}

/** A section of fields, two columns in Slack: at most ten, each fitted. */
export function fields(items: Mrkdwn[]): SectionBlock {
  return {
    type: "section",
    fields: items
      .slice(0, LIMITS.sectionFields)
      .map((f) => ({ type: "mrkdwn", text: fitMrkdwn(f, LIMITS.sectionField) })),
  };
}

export function context(items: Mrkdwn[]): ContextBlock {
  return {
    type: "context",
    elements: items
      .slice(0, LIMITS.contextElements)
      .map((e) => ({ type: "mrkdwn", text: fitMrkdwn(e, LIMITS.textObject) })),
  };
}

export function button(
  label: string,
  actionId: string,
  value: string,
  style?: "primary" | "danger",
): Button {
  return {
    type: "button",
    text: { type: "plain_text", text: fitPlain(label, LIMITS.buttonText) },
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}
