/**
 * The one way bm writes Slack mrkdwn. Text from outside (people, ECL, Slack) is a plain string
 * and is escaped exactly once, when it is put into a {@link Mrkdwn} by {@link md}; what bm writes
 * itself (formatting, mentions of ids it checked, links it made) is already a Mrkdwn and goes in
 * as it is. So no value can mention, link or format where bm did not mean it to, and nothing is
 * escaped twice. Lengths are fitted after escaping, never inside an entity or a `<…>` token.
 */

/** A piece of mrkdwn that is safe to send: built only by the functions of this module. */
export class Mrkdwn {
  /** Use {@link md} and the other builders; the constructor is for this module. */
  constructor(readonly text: string) {}

  toString(): string {
    return this.text;
  }
}

type Value = string | number | Mrkdwn;

/** Slack's three control characters, escaped: `&` `<` `>` become `&amp;` `&lt;` `&gt;`. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Text as Slack sent it (a slash command's `text`, where `&`, `<` and `>` arrive as `&amp;`,
 * `&lt;`, `&gt;`), decoded once, on the way in, to what the person typed.
 */
export function decodeSlackText(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function piece(value: Value): string {
  return value instanceof Mrkdwn ? value.text : escapeMrkdwn(String(value));
}

/** A template: the literal parts are bm's own mrkdwn; every string or number value is escaped. */
export function md(strings: TemplateStringsArray, ...values: Value[]): Mrkdwn {
  let text = strings[0] ?? "";
  values.forEach((value, i) => {
    text += piece(value) + (strings[i + 1] ?? "");
  });
  return new Mrkdwn(text);
}

/** Inline code. A backtick inside would end the code early, so it is shown as a quote mark. */
export function code(value: Value): Mrkdwn {
  const text = piece(value).replace(/`/g, "'");
  return new Mrkdwn(text ? `\`${text}\`` : "");
}

const USER_ID = /^[UW][A-Z0-9]{1,20}$/;
const GROUP_ID = /^S[A-Z0-9]{1,20}$/;

/** A user mention, for an id of Slack's shape; anything else is shown as code, never mentioned. */
export function user(id: string): Mrkdwn {
  return USER_ID.test(id) ? new Mrkdwn(`<@${id}>`) : code(id);
}

const CHANNEL_ID = /^[CGD][A-Z0-9]{1,20}$/;

/** A channel link, for an id of Slack's shape; anything else is shown as code. */
export function channel(id: string): Mrkdwn {
  return CHANNEL_ID.test(id) ? new Mrkdwn(`<#${id}>`) : code(id);
}

/** A policy principal as Slack shows it: a user, a user group, or anyone. */
export function principal(id: string): Mrkdwn {
  if (id === "*") return new Mrkdwn("anyone");
  if (GROUP_ID.test(id)) return new Mrkdwn(`<!subteam^${id}>`);
  return user(id);
}

/** A link bm made, to an https address; anything else is shown as text, not linked. */
export function link(url: string, label: Value): Mrkdwn {
  if (!/^https:\/\/[^\s<>|]+$/.test(url)) return md`${label}`;
  return new Mrkdwn(`<${url}|${piece(label)}>`);
}

/** How Slack shows a date token unless told otherwise: `2026-11-26 7:03 PM`, in the reader's zone. */
export const DATE_AND_TIME = "{date_num} {time}";
/** The time alone: `7:03 PM`, in the reader's zone. */
export const TIME = "{time}";

/**
 * A time as Slack shows it to each reader, in their own time zone and clock
 * (`<!date^1795687380^{date_num} {time}|2026-11-26 10:03 UTC>`), with the fallback in UTC for a
 * client that cannot (a notification, an old client). `tokens` are Slack's (`{date_num}`,
 * `{time}`, …) and bm's own words; a time that is not one is shown as its text.
 */
export function date(
  at: string | number,
  tokens: typeof DATE_AND_TIME | typeof TIME = DATE_AND_TIME,
): Mrkdwn {
  const ms = typeof at === "number" ? at : Date.parse(at);
  if (!Number.isFinite(ms)) return md`${String(at)}`;
  const iso = new Date(ms).toISOString();
  const fallback =
    tokens === TIME ? `${iso.slice(11, 16)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return new Mrkdwn(`<!date^${Math.floor(ms / 1000)}^${tokens}|${fallback}>`);
}

/** The mrkdwn cut to at most `max` characters as {@link fitMrkdwn} cuts it, still mrkdwn. */
export function clip(value: Mrkdwn, max: number): Mrkdwn {
  return new Mrkdwn(fitMrkdwn(value, max));
}

/** Pieces joined by a separator of bm's own. */
export function join(items: readonly Value[], separator = ", "): Mrkdwn {
  return new Mrkdwn(items.map(piece).join(separator));
}

/** At most `shown` items, then "… and N more": a long list never outgrows a field. */
export function listOf(items: readonly Value[], shown: number, separator = ", "): Mrkdwn {
  if (items.length <= shown) return join(items, separator);
  const rest = items.length - shown;
  return new Mrkdwn(`${join(items.slice(0, shown), separator).text}${separator}… and ${rest} more`);
}

/**
 * The mrkdwn cut to at most `max` characters, ending with "…" when cut. The cut never splits an
 * entity (`&amp;`), a mention or link (`<…>`) or a character, and closes inline code it leaves open.
 */
export function fitMrkdwn(value: Mrkdwn, max: number): string {
  const text = value.text;
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 2);
  const token = text.lastIndexOf("<", cut - 1);
  if (token >= 0 && text.indexOf(">", token) >= cut) cut = token;
  const entity = text.lastIndexOf("&", cut - 1);
  if (entity >= 0 && text.indexOf(";", entity) >= cut) cut = entity;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  const kept = text.slice(0, cut);
  const openCode = (kept.match(/`/g)?.length ?? 0) % 2 === 1;
  return `${kept}${openCode ? "`" : ""}…`;
}

/** Plain text (buttons, modal titles) cut to `max` characters with "…". */
export function fitPlain(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const last = text.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--;
  return `${text.slice(0, cut)}…`;
}
