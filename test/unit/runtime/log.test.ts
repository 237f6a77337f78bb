import { describe, expect, it } from "vitest";
import { firstWords, redact, slackLogger } from "../../../lib/runtime/log";

describe("redact: a line of Bolt's or the WebClient's, made safe", () => {
  it.each([
    ['AWS event: {"headers":{"x-slack-signature":"v0=abc"}}', "AWS event:"],
    ['http request body: ["x"]', "http request body:"],
    [
      "Invalid request signature detected (X-Slack-Signature: v0=61f0c2a9b3, X-Slack-Request-Timestamp: 1)",
      "Invalid request signature detected (X-Slack-Signature: v0=<signature>, X-Slack-Request-Timestamp: 1)",
    ],
    ["http request url: https://hooks.slack.com/actions/T1/2/abc", "http request url: <url>"],
    ["token xoxb-123-456-abc used", "token <token> used"],
    ["trigger 13345224609.738474920.8088930838d88f008e0 expired", "trigger <trigger_id> expired"],
    ["Slack API error: not_in_channel", "Slack API error: not_in_channel"],
    ["  spaced  ", "spaced"],
  ])("%j → %j", (line, safe) => {
    expect(redact(line)).toBe(safe);
  });

  it("keeps at most 300 characters", () => {
    expect(redact("a".repeat(400))).toBe("a".repeat(300));
  });
});

describe("firstWords: a DEBUG line up to its data", () => {
  it.each([
    ["AWS event: <…>", "AWS event"],
    ["apiCall('chat.postMessage') start", "apiCall"],
    ["initialized", "initialized"],
    [":x", ""],
  ])("%j → %j", (line, words) => {
    expect(firstWords(line)).toBe(words);
  });
});

describe("slackLogger", () => {
  const logged = () => {
    const lines: Array<[string, string]> = [];
    const at = (level: string) => (message: string) => void lines.push([level, message]);
    const logger = slackLogger({
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
    });
    return { logger, lines };
  };

  it("passes each level on, made safe; names errors and other objects by their kind", () => {
    const { logger, lines } = logged();
    logger.debug('AWS event: {"body":"x"}');
    logger.debug("{");
    logger.info("No request handler matched the request: /x", 3);
    logger.warn("http request failed", { url: "https://hooks.slack.com/x" });
    logger.error(new TypeError("secret in the message"), "v0=abcdef");
    expect(lines).toEqual([
      ["debug", "AWS event"],
      ["info", "No request handler matched the request: /x <number>"],
      ["warn", "http request failed <object>"],
      ["error", "TypeError v0=<signature>"],
    ]);
  });

  it("keeps the level Bolt sets, for Bolt to read", () => {
    const { logger } = logged();
    expect(logger.getLevel()).toBe("info");
    logger.setLevel("debug");
    expect(logger.getLevel()).toBe("debug");
    logger.setName();
  });
});
