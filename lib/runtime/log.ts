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

/** The same logger in the shape Bolt and Slack's WebClient take. */
export function slackLogger(log: Log) {
  let level = "info";
  const text = (args: unknown[]) =>
    args
      .map((a) => (typeof a === "string" ? a : a instanceof Error ? a.name : JSON.stringify(a)))
      .join(" ");
  return {
    debug: (...args: unknown[]) => log.debug(text(args)),
    info: (...args: unknown[]) => log.info(text(args)),
    warn: (...args: unknown[]) => log.warn(text(args)),
    error: (...args: unknown[]) => log.error(text(args)),
    setLevel: (l: string) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
