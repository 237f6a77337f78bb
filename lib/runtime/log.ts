/**
 * Structured JSON logs (Powertools for AWS Lambda), one logger per function.
 */
import { Logger } from "@aws-lambda-powertools/logger";

/** What lib/ needs of a logger. */
export interface Log {
  info(message: string, extra?: object): void;
  warn(message: string, extra?: object): void;
  error(message: string, extra?: object): void;
  debug(message: string, extra?: object): void;
}

/** The function's logger; `POWERTOOLS_LOG_LEVEL` sets its level (INFO by default). */
export function createLog(functionName: string): Log {
  const logger = new Logger({ serviceName: "bm", persistentKeys: { function: functionName } });
  return {
    info: (message, extra) => logger.info(message, { ...extra }),
    warn: (message, extra) => logger.warn(message, { ...extra }),
    error: (message, extra) => logger.error(message, { ...extra }),
    debug: (message, extra) => logger.debug(message, { ...extra }),
  };
}

/**
 * The same logger in the shape Bolt and Slack's WebClient take, made safe for what they log. At
 * DEBUG they log whole requests (`AWS event: {…}`, the body, `http request body: {…}`: the
 * signature, the response_url, the trigger id, tokens), and at INFO a refused signature. So a
 * line of theirs is cut before any JSON it carries, a DEBUG line to its first words, and what
 * looks like a signature, a token, a trigger id or a URL is replaced by its kind, at every level.
 */
export function slackLogger(log: Log) {
  let level = "info";
  const line = (args: unknown[]) => redact(args.map(argument).join(" "));
  const say = (write: (message: string) => void, text: string) => {
    if (text) write(text);
  };
  return {
    debug: (...args: unknown[]) => say(log.debug, firstWords(line(args))),
    info: (...args: unknown[]) => say(log.info, line(args)),
    warn: (...args: unknown[]) => say(log.warn, line(args)),
    error: (...args: unknown[]) => say(log.error, line(args)),
    setLevel: (l: string) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** An argument of a Bolt log call: a string as it is, an error by its name, anything else by its kind. */
function argument(a: unknown): string {
  if (typeof a === "string") return a;
  if (a instanceof Error) return a.name;
  return `<${typeof a}>`;
}

const SECRET_SHAPES: Array<[RegExp, string]> = [
  [/[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<url>"],
  [/v0=[0-9a-f]+/gi, "v0=<signature>"],
  [/xox[a-z]-[\w-]+/gi, "<token>"],
  [/\b\d+\.\d+\.[0-9a-z]{8,}\b/gi, "<trigger_id>"],
];

/** A line of Bolt's, cut before any JSON in it, its secret-shaped parts replaced; at most 300 characters. */
export function redact(text: string): string {
  const cut = text.search(/[{[]/);
  let safe = (cut >= 0 ? text.slice(0, cut) : text).slice(0, 300);
  for (const [shape, kind] of SECRET_SHAPES) safe = safe.replace(shape, kind);
  return safe.trim();
}

/** A DEBUG line's first words: up to its first colon or parenthesis (what follows is data). */
export function firstWords(text: string): string {
  return text.split(/[:(]/, 1)[0]?.trim() ?? "";
}
