import { stringify } from "node:querystring";
import { describe, expect, it } from "vitest";
import {
  CLOCK_SKEW_S,
  checkBody,
  clickOf,
  eventCallbackOf,
  homeOpenedOf,
  isFreshTimestamp,
  slashCommandOf,
  submissionOf,
} from "../../../lib/front-door/payloads";

const slash = {
  token: "t",
  command: "/bm",
  team_id: "T0001",
  channel_id: "C0INC",
  user_id: "U0REQ",
  text: "help",
  trigger_id: "1.2.abc",
  response_url: "https://hooks.slack.com/commands/1/2",
};

const interaction = {
  team: { id: "T0001", domain: "x" },
  user: { id: "U0A1", username: "a", team_id: "T0001" },
  enterprise: null,
};
const click = {
  type: "block_actions",
  ...interaction,
  channel: { id: "C0CHG", name: "changes" },
  trigger_id: "3.4.def",
  response_url: "https://hooks.slack.com/actions/1/2",
  actions: [{ action_id: "bm_approve", value: "op-0123456789", type: "button" }],
};
const submission = {
  type: "view_submission",
  ...interaction,
  view: {
    callback_id: "bm_reject_reason",
    private_metadata: "op-0123456789",
    state: { values: { reason: { reason: { type: "plain_text_input", value: "no" } } } },
  },
};

describe("slashCommandOf", () => {
  it("reads Slack's fields into bm's, with who asked", () => {
    expect(slashCommandOf(slash)).toEqual({
      who: { teamId: "T0001", userId: "U0REQ" },
      channelId: "C0INC",
      text: "help",
      triggerId: "1.2.abc",
      responseUrl: "https://hooks.slack.com/commands/1/2",
    });
  });

  it("names the Grid organisation when Slack does, and leaves out what Slack left out", () => {
    const { response_url: _, text: __, ...bare } = slash;
    expect(slashCommandOf({ ...bare, enterprise_id: "E0001" })).toStrictEqual({
      who: { teamId: "T0001", userId: "U0REQ", enterpriseId: "E0001" },
      channelId: "C0INC",
      text: "",
      triggerId: "1.2.abc",
    });
    expect(slashCommandOf({ ...slash, enterprise_id: "" })?.who).toStrictEqual({
      teamId: "T0001",
      userId: "U0REQ",
    });
  });

  it.each([
    ["user_id twice", { user_id: ["U0REQ", "U0EVIL"] }],
    ["team_id twice", { team_id: ["T0001", "T0001"] }],
    ["text twice", { text: ["a", "b"] }],
    ["no user_id", { user_id: undefined }],
    ["no team_id", { team_id: undefined }],
    ["no channel_id", { channel_id: undefined }],
    ["no trigger_id", { trigger_id: undefined }],
    ["an empty trigger_id", { trigger_id: "" }],
    ["no command", { command: undefined }],
    ["a user that is a name", { user_id: "alice" }],
    ["a team that is a user", { team_id: "U0001" }],
    ["a channel that is a user", { channel_id: "U0001" }],
    ["an enterprise that is a team", { enterprise_id: "T0001" }],
    ["a response_url twice", { response_url: ["a", "b"] }],
    ["a team with more before it", { team_id: "XT0001" }],
    ["a team with more after it", { team_id: "T0001x" }],
    ["an enterprise with more before it", { enterprise_id: "XE0001" }],
    ["an enterprise with more after it", { enterprise_id: "E0001x" }],
    ["a user with more before it", { user_id: "XU0REQ" }],
    ["a user with more after it", { user_id: "U0REQx" }],
    ["a channel with more before it", { channel_id: "XC0INC" }],
    ["a channel with more after it", { channel_id: "C0INCx" }],
  ])("%s: unreadable", (_, change) => {
    expect(slashCommandOf({ ...slash, ...change })).toBeUndefined();
  });
});

describe("clickOf", () => {
  it("reads who clicked, where, the button's value and the click's urls", () => {
    expect(clickOf(click)).toEqual({
      who: { teamId: "T0001", userId: "U0A1", userTeamId: "T0001" },
      channelId: "C0CHG",
      value: "op-0123456789",
      triggerId: "3.4.def",
      responseUrl: "https://hooks.slack.com/actions/1/2",
      fromHome: false,
    });
  });

  it("a click on the Home tab: from a view of type home, with no channel", () => {
    const { response_url: _, channel: __, ...bare } = click;
    const onHome = clickOf({ ...bare, view: { id: "V1", type: "home" } });
    expect(onHome?.fromHome).toBe(true);
    expect(onHome?.channelId).toBe("");
    expect(clickOf({ ...click, view: { id: "V2", type: "modal" } })?.fromHome).toBe(false);
    expect(clickOf({ ...click, view: null })?.fromHome).toBe(false);
    expect(clickOf({ ...click, view: { type: 3 } })).toBeUndefined();
  });

  it("a click with no channel, value or response_url, on Grid", () => {
    const { response_url: _, channel: __, ...bare } = click;
    expect(
      clickOf({
        ...bare,
        enterprise: { id: "E0001" },
        user: { id: "W0A1", team_id: "E0001" },
        actions: [{ action_id: "x" }],
      }),
    ).toStrictEqual({
      who: { teamId: "T0001", userId: "W0A1", userTeamId: "E0001", enterpriseId: "E0001" },
      channelId: "",
      value: "",
      triggerId: "3.4.def",
      fromHome: false,
    });
    expect(clickOf({ ...click, channel: null })?.channelId).toBe("");
  });

  it.each([
    ["a user id that is a number", { user: { id: 5, team_id: "T0001" } }],
    ["no user", { user: undefined }],
    ["a user without a team", { user: { id: "U0A1" } }],
    ["no team", { team: undefined }],
    ["a team of the wrong shape", { team: { id: "E0001" } }],
    ["an enterprise of the wrong shape", { enterprise: { id: "T0001" } }],
    ["no actions", { actions: undefined }],
    ["no action at all", { actions: [] }],
    ["a value that is a list", { actions: [{ action_id: "a", value: ["x"] }] }],
    ["a channel that is text", { channel: "C0CHG" }],
    ["no trigger id", { trigger_id: undefined }],
    ["another type", { type: "view_submission" }],
    ["a response_url that is a number", { response_url: 5 }],
  ])("%s: unreadable", (_, change) => {
    expect(clickOf({ ...click, ...change })).toBeUndefined();
  });
});

describe("submissionOf", () => {
  it("reads who submitted, the view's callback and metadata, and its inputs", () => {
    const read = submissionOf(submission);
    expect(read).toMatchObject({
      who: { teamId: "T0001", userId: "U0A1", userTeamId: "T0001" },
      callbackId: "bm_reject_reason",
      privateMetadata: "op-0123456789",
    });
    expect(read?.value("reason", "reason")).toBe("no");
    expect(read?.value("reason", "other")).toBeUndefined();
    expect(read?.value("other", "reason")).toBeUndefined();
  });

  it("an input left empty reads as undefined", () => {
    const empty = structuredClone(submission);
    (empty.view.state.values.reason.reason as { value: unknown }).value = null;
    expect(submissionOf(empty)?.value("reason", "reason")).toBeUndefined();
  });

  it.each([
    ["no private_metadata", { private_metadata: undefined }],
    ["a callback id that is a number", { callback_id: 1 }],
    ["an input value that is a list", { state: { values: { r: { r: { value: ["x"] } } } } }],
    ["no state", { state: undefined }],
  ])("%s: unreadable", (_, change) => {
    expect(
      submissionOf({ ...submission, view: { ...submission.view, ...change } }),
    ).toBeUndefined();
  });

  it("another type: unreadable", () => {
    expect(submissionOf({ ...submission, type: "block_actions" })).toBeUndefined();
  });
});

describe("checkBody", () => {
  const FORM = "application/x-www-form-urlencoded";
  const form = (fields: Record<string, string | string[]>) => stringify(fields);
  const payload = (p: unknown) => form({ payload: JSON.stringify(p) });

  it.each([
    ["a slash command", form(slash), { ok: true }],
    [
      "a slash command with user_id twice",
      form({ ...slash, user_id: ["U0A", "U0B"] }),
      { ok: false, kind: "command" },
    ],
    ["a click", payload(click), { ok: true }],
    [
      "a click without actions",
      payload({ ...click, actions: undefined }),
      { ok: false, kind: "interaction" },
    ],
    ["a submission", payload(submission), { ok: true }],
    [
      "a submission without its view",
      payload({ ...submission, view: undefined }),
      { ok: false, kind: "interaction" },
    ],
    ["another interaction, for Bolt", payload({ type: "view_closed" }), { ok: true }],
    [
      "an interaction without a type",
      payload({ team: { id: "T0001" } }),
      { ok: false, kind: "interaction" },
    ],
    [
      "a payload given twice",
      form({ payload: [JSON.stringify(click), JSON.stringify(click)] }),
      { ok: false, kind: "interaction" },
    ],
    ["a payload that is not JSON", form({ payload: "{not" }), { ok: false, kind: "interaction" }],
    ["a payload that is JSON null", form({ payload: "null" }), { ok: false, kind: "interaction" }],
    ["Slack's ssl_check, for Bolt", form({ ssl_check: "1", token: "t" }), { ok: true }],
    [
      "a payload given twice that reads as JSON once joined",
      form({ payload: ['{"type":"view_closed","a":[1', "2]}"] }),
      { ok: false, kind: "interaction" },
    ],
  ])("%s: %j", (_, body, checked) => {
    expect(checkBody(body, FORM)).toEqual(checked);
  });

  it("reads a form as Bolt does, JSON as the Events API's; other bodies are the listeners' to check", () => {
    expect(checkBody(form({ ...slash, user_id: ["U0A", "U0B"] }), "application/json")).toEqual({
      ok: false,
      kind: "event",
    });
    expect(checkBody("{", undefined)).toEqual({ ok: true });
    expect(checkBody("{", "text/plain")).toEqual({ ok: true });
    expect(checkBody(form({ ...slash, user_id: "nobody" }), "text/plain")).toEqual({ ok: true });
  });

  const home = (changes: Record<string, unknown> = {}, event: Record<string, unknown> = {}) =>
    JSON.stringify({
      type: "event_callback",
      team_id: "T0001",
      event_id: "Ev0PV52K25",
      event: { type: "app_home_opened", user: "U0A1", channel: "D0A1", tab: "home", ...event },
      ...changes,
    });

  it.each([
    ["an app_home_opened", home(), { ok: true }],
    ["with a charset", home(), { ok: true }, "application/json; charset=utf-8"],
    [
      "with a space before the charset",
      "{",
      { ok: false, kind: "event" },
      "application/json ;charset=utf-8",
    ],
    ["an event bm has no listener for", home({}, { type: "message", user: 5 }), { ok: true }],
    [
      "a url_verification",
      JSON.stringify({ type: "url_verification", challenge: "c" }),
      { ok: true },
    ],
    [
      "a url_verification without its challenge",
      JSON.stringify({ type: "url_verification" }),
      { ok: false, kind: "event" },
    ],
    ["no event_id", home({ event_id: undefined }), { ok: false, kind: "event" }],
    ["an event_id of another shape", home({ event_id: "x/../y" }), { ok: false, kind: "event" }],
    [
      "an event_id with more after it",
      home({ event_id: "Ev1/../y" }),
      { ok: false, kind: "event" },
    ],
    ["an event_id with more before it", home({ event_id: "x/Ev1" }), { ok: false, kind: "event" }],
    ["a team of another shape", home({ team_id: "nope" }), { ok: false, kind: "event" }],
    ["no event", home({ event: undefined }), { ok: false, kind: "event" }],
    ["another envelope type", home({ type: "app_rate_limited" }), { ok: false, kind: "event" }],
    [
      "an app_home_opened without its user",
      home({}, { user: undefined }),
      { ok: false, kind: "event" },
    ],
    [
      "an app_home_opened of an unknown tab",
      home({}, { tab: "about" }),
      { ok: false, kind: "event" },
    ],
    ["not JSON", "{", { ok: false, kind: "event" }],
    ["null", "null", { ok: false, kind: "event" }],
  ])("an Events API body: %s", (_, body, expected, type = "application/json") => {
    expect(checkBody(body, type)).toEqual(expected);
  });
});

describe("eventCallbackOf and homeOpenedOf", () => {
  const envelope = {
    type: "event_callback",
    team_id: "T0001",
    event_id: "Ev0PV52K25",
    event: { type: "app_home_opened", user: "U0A1", channel: "D0A1", tab: "home" },
  };

  it("reads the envelope: the team, the event's user, its id and type", () => {
    expect(eventCallbackOf(envelope)).toStrictEqual({
      who: { teamId: "T0001", userId: "U0A1" },
      eventId: "Ev0PV52K25",
      type: "app_home_opened",
    });
    expect(eventCallbackOf({ ...envelope, enterprise_id: "E0001" })?.who.enterpriseId).toBe(
      "E0001",
    );
    expect(eventCallbackOf({ ...envelope, enterprise_id: "" })?.who).toStrictEqual({
      teamId: "T0001",
      userId: "U0A1",
    });
    expect(eventCallbackOf({ ...envelope, event: { type: "x", user: 7 } })?.who.userId).toBe("");
    expect(eventCallbackOf({ ...envelope, type: "url_verification" })).toBeUndefined();
  });

  it("reads app_home_opened: the tab, home unless told", () => {
    expect(homeOpenedOf(envelope)?.tab).toBe("home");
    expect(homeOpenedOf({ ...envelope, event: { ...envelope.event, tab: "messages" } })?.tab).toBe(
      "messages",
    );
    const { tab: _, ...untold } = envelope.event;
    expect(homeOpenedOf({ ...envelope, event: untold })).toStrictEqual({
      who: { teamId: "T0001", userId: "U0A1" },
      eventId: "Ev0PV52K25",
      type: "app_home_opened",
      tab: "home",
    });
    expect(
      homeOpenedOf({ ...envelope, event: { ...envelope.event, type: "message" } }),
    ).toBeUndefined();
    expect(homeOpenedOf({ ...envelope, event_id: 3 })).toBeUndefined();
    expect(homeOpenedOf(null)).toBeUndefined();
  });
});

describe("isFreshTimestamp", () => {
  const now = 1_800_000_000_000;
  const s = now / 1000;
  it.each([
    [String(s), true],
    [String(s + CLOCK_SKEW_S), true],
    [String(s - CLOCK_SKEW_S), true],
    [String(s + CLOCK_SKEW_S + 1), false],
    [String(s - CLOCK_SKEW_S - 1), false],
    [String(s + 10 * 365 * 86_400), false],
    [` ${s} `, true],
    [undefined, false],
    ["", false],
    ["abc", false],
    [`${s}.5`, false],
    ["-1", false],
    ["1".repeat(13), false],
  ])("%j: %s", (header, fresh) => {
    expect(isFreshTimestamp(header, now)).toBe(fresh);
  });

  it("is five minutes", () => {
    expect(CLOCK_SKEW_S).toBe(300);
  });
});
