/**
 * The Slack secret as the deployer stores it: what bm takes from it, and what it says of a secret
 * it refuses (each field that is missing or wrong, by name, never a value).
 */
import { describe, expect, it } from "vitest";
import { BmError } from "../../../lib/errors";
import { parseSlackSecret, SlackSecretError } from "../../../lib/slack/slack-secret";

const SECRET = {
  signing_secret: "8f14e45fceea167a5a36dedd4bea2543",
  bot_token: "xoxb-1-2-abc",
};

/** What parseSlackSecret throws for `value`, or undefined when it takes it. */
function refusal(value: unknown): unknown {
  try {
    parseSlackSecret("bm/slack", value);
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("parseSlackSecret", () => {
  it("takes the signing secret, the bot token and the bot's ids", () => {
    // Act
    const secret = parseSlackSecret("bm/slack", {
      ...SECRET,
      bot_id: "B0BM",
      bot_user_id: "U0BM",
    });
    // Assess
    expect(secret).toEqual({
      signingSecret: "8f14e45fceea167a5a36dedd4bea2543",
      botToken: "xoxb-1-2-abc",
      botId: "B0BM",
      botUserId: "U0BM",
    });
  });

  it("needs no ids: Bolt then asks auth.test for them", () => {
    expect(parseSlackSecret("bm/slack", SECRET)).toEqual({
      signingSecret: "8f14e45fceea167a5a36dedd4bea2543",
      botToken: "xoxb-1-2-abc",
      botId: undefined,
      botUserId: undefined,
    });
  });

  it("ignores fields it does not know", () => {
    expect(parseSlackSecret("bm/slack", { ...SECRET, app_token: "xapp-1" })).toEqual({
      signingSecret: "8f14e45fceea167a5a36dedd4bea2543",
      botToken: "xoxb-1-2-abc",
      botId: undefined,
      botUserId: undefined,
    });
  });

  it.each<[string, unknown, string]>([
    ["an empty object", {}, "signing_secret is missing; bot_token is missing"],
    ["no signing secret", { bot_token: SECRET.bot_token }, "signing_secret is missing"],
    ["no bot token", { signing_secret: SECRET.signing_secret }, "bot_token is missing"],
    [
      "a signing secret that is not a string",
      { ...SECRET, signing_secret: 42 },
      "signing_secret must be a string",
    ],
    [
      "an empty signing secret",
      { ...SECRET, signing_secret: "" },
      "signing_secret must not be empty",
    ],
    [
      "a bot token that is not a string",
      { ...SECRET, bot_token: ["xoxb-1"] },
      "bot_token must be a string",
    ],
    [
      "an empty bot token",
      { ...SECRET, bot_token: "" },
      "bot_token must not be empty; bot_token must be a bot token (xoxb-…)",
    ],
    [
      "a user token",
      { ...SECRET, bot_token: "xoxp-SECRET-TOKEN" },
      "bot_token must be a bot token (xoxb-…)",
    ],
    [
      "a token that holds xoxb- later on",
      { ...SECRET, bot_token: "xoxp-xoxb-1" },
      "bot_token must be a bot token (xoxb-…)",
    ],
    ["a bot id that is not a string", { ...SECRET, bot_id: 7 }, "bot_id must be a string"],
    ["an empty bot id", { ...SECRET, bot_id: "" }, "bot_id must not be empty"],
    [
      "a bot user id that is not a string",
      { ...SECRET, bot_user_id: null },
      "bot_user_id must be a string",
    ],
    ["an empty bot user id", { ...SECRET, bot_user_id: "" }, "bot_user_id must not be empty"],
    [
      "every field wrong, each named in order",
      { signing_secret: "", bot_token: "xoxp-1", bot_id: "", bot_user_id: 3 },
      "signing_secret must not be empty; bot_token must be a bot token (xoxb-…); bot_id must not be empty; bot_user_id must be a string",
    ],
    // Anything but a JSON object is said to be one, as a tenant secret is.
    ["null", null, "the secret must be a JSON object"],
    ["a list", [SECRET], "the secret must be a JSON object"],
    ["a string", JSON.stringify(SECRET), "the secret must be a JSON object"],
    ["nothing", undefined, "the secret must be a JSON object"],
  ])("refuses %s, naming what is wrong", (_, value, problems) => {
    // Act
    const error = refusal(value);
    // Assess
    expect(error).toBeInstanceOf(SlackSecretError);
    expect((error as SlackSecretError).message).toBe(
      `Slack secret "bm/slack" is invalid: ${problems}`,
    );
  });

  it("never names a value", () => {
    const error = refusal({ signing_secret: "SIGNING-VALUE", bot_token: "xoxp-TOKEN-VALUE" });
    expect((error as Error).message).toBe(
      'Slack secret "bm/slack" is invalid: bot_token must be a bot token (xoxb-…)',
    );
  });
});

describe("SlackSecretError", () => {
  it("is a final fault of the set-up, shown to a user by its name only", () => {
    // Act
    const error = new SlackSecretError("bot_token is missing");
    // Assess
    expect(error).toBeInstanceOf(BmError);
    expect([error.name, error.passing, error.forUsers, error.message]).toEqual([
      "SlackSecretError",
      false,
      false,
      "bot_token is missing",
    ]);
    expect(error.told()).toBe(
      "internal error (SlackSecretError); nothing more is shown, to keep secrets out of messages",
    );
  });
});
