import { describe, expect, it } from "vitest";
import {
  BOT_SCOPES,
  checkChannels,
  checkGroups,
  checkToken,
  policyChannels,
  policyGroups,
} from "../../../lib/doctor/slack-checks";
import { parsePolicy } from "../../../lib/policy/policy";
import { goodSlack, POLICY, SCOPES } from "./fakes";

const FIX =
  "add it to the app (OAuth & Permissions, or update the app from infra/slack-app-manifest.yml) and reinstall it to the workspace";
const context = () => ({ secretId: "bm/slack", timeoutMs: 50, policy: parsePolicy(POLICY) });

describe("checkToken", () => {
  it("says who the token is, and that it has every scope", async () => {
    expect(await checkToken(goodSlack(), "xoxb-1", context())).toEqual({
      lines: [
        { ok: true, check: "Slack token", text: "works: bot B0BM (user U0BM) in workspace T1" },
        { ok: true, check: "Slack scopes", text: "the token has all 6 that bm uses" },
      ],
      works: true,
    });
  });

  it.each([
    [["chat:write"], `the token lacks chat:write: ${FIX}`],
    [
      ["channels:read", "groups:read"],
      `the token lacks channels:read, groups:read: ${FIX.replace("add it", "add them")}`,
    ],
  ])("names the scopes it lacks: %j", async (lacks, text) => {
    const slack = goodSlack();
    slack.whoAmI = async () => ({
      ok: true,
      value: {
        teamId: "T1",
        userId: "U",
        botId: "B",
        scopes: SCOPES.filter((s) => !lacks.includes(s)),
      },
    });
    const { lines } = await checkToken(slack, "xoxb-1", context());
    expect(lines[1]).toEqual({ ok: false, check: "Slack scopes", text });
  });

  it("fails when Slack names no scopes", async () => {
    const slack = goodSlack();
    slack.whoAmI = async () => ({
      ok: true,
      value: { teamId: "T1", userId: "U", botId: "B", scopes: undefined },
    });
    const checked = await checkToken(slack, "xoxb-1", context());
    expect(checked.lines[1]).toEqual({
      ok: false,
      check: "Slack scopes",
      text: "Slack did not name the token's scopes (x-oauth-scopes)",
    });
    expect(checked.works).toBe(true);
  });

  it("fails a token of a workspace the policy does not serve, and passes it without a policy", async () => {
    const slack = goodSlack();
    slack.whoAmI = async () => ({
      ok: true,
      value: { teamId: "T9", userId: "U", botId: "B", scopes: [...SCOPES] },
    });
    expect((await checkToken(slack, "x", context())).lines[0]).toEqual({
      ok: false,
      check: "Slack token",
      text: "the token is of workspace T9, which the policy's team_ids (T1) does not name: add it there, or install the app in the right workspace",
    });
    const two = { ...context(), policy: parsePolicy({ ...POLICY, team_ids: ["T1", "T2"] }) };
    expect((await checkToken(slack, "x", two)).lines[0]?.text).toBe(
      "the token is of workspace T9, which the policy's team_ids (T1, T2) does not name: add it there, or install the app in the right workspace",
    );
    expect((await checkToken(slack, "x", { ...context(), policy: undefined })).lines[0]?.ok).toBe(
      true,
    );
  });

  it.each([
    [
      "invalid_auth",
      undefined,
      "Slack refused the bot token (invalid_auth): reinstall the app to the workspace and put its bot token (xoxb-…) in the secret bm/slack",
    ],
    [
      "not_authed",
      undefined,
      "Slack refused the bot token (not_authed): reinstall the app to the workspace and put its bot token (xoxb-…) in the secret bm/slack",
    ],
    [
      "token_revoked",
      undefined,
      "Slack refused the bot token (token_revoked): reinstall the app to the workspace and put its bot token (xoxb-…) in the secret bm/slack",
    ],
    [
      "token_expired",
      undefined,
      "Slack refused the bot token (token_expired): reinstall the app to the workspace and put its bot token (xoxb-…) in the secret bm/slack",
    ],
    [
      "account_inactive",
      undefined,
      "Slack refused the bot token (account_inactive): reinstall the app to the workspace and put its bot token (xoxb-…) in the secret bm/slack",
    ],
    ["missing_scope", "x:read", `the token lacks x:read: ${FIX}`],
    ["missing_scope", undefined, `the token lacks a scope: ${FIX}`],
    ["team_disabled", undefined, "Slack answered team_disabled"],
  ])("puts Slack's refusal %s in words", async (code, needed, text) => {
    const slack = goodSlack();
    slack.whoAmI = async () => (needed ? { ok: false, code, needed } : { ok: false, code });
    expect(await checkToken(slack, "x", context())).toEqual({
      lines: [{ ok: false, check: "Slack token", text }],
      works: false,
    });
  });

  it("says Slack did not answer, within the time", async () => {
    const slack = goodSlack();
    slack.whoAmI = () => new Promise(() => {});
    expect((await checkToken(slack, "x", context())).lines).toEqual([
      {
        ok: false,
        check: "Slack token",
        text: "Slack did not answer: no answer within 0.05 s",
      },
    ]);
  });
});

describe("the policy's channels and groups", () => {
  it("lists the channels, the audit channel last and once", () => {
    expect(policyChannels(parsePolicy(POLICY))).toEqual(["C0INC", "C0CHG", "C0AUDIT"]);
    expect(policyChannels(parsePolicy({ ...POLICY, audit_channel: "C0INC" }))).toEqual([
      "C0INC",
      "C0CHG",
    ]);
    const { audit_channel: _, ...none } = POLICY;
    expect(policyChannels(parsePolicy(none))).toEqual(["C0INC", "C0CHG"]);
  });

  it("lists each user group once, requesters' and approvers'", () => {
    expect(policyGroups(parsePolicy(POLICY))).toEqual(["S0OPS", "S0APP"]);
  });
});

describe("checkChannels", () => {
  it.each([
    [{ ok: true, value: { member: true, archived: false } }, true, "bm is a member"],
    [
      { ok: true, value: { member: false, archived: false } },
      false,
      "bm is not a member: invite it with `/invite @bm`",
    ],
    [
      { ok: true, value: { member: true, archived: true } },
      false,
      "archived: unarchive it, or take it out of the policy",
    ],
    [
      { ok: false, code: "channel_not_found" },
      false,
      "Slack shows bm no such channel: check the id in the policy (channel details, at the bottom); a private channel bm is not in is hidden from it: invite it with `/invite @bm`",
    ],
    [
      { ok: false, code: "missing_scope", needed: "groups:read" },
      false,
      `not checked: the token lacks groups:read: ${FIX}`,
    ],
  ] as const)("%j", async (answer, ok, text) => {
    const slack = goodSlack();
    const asked: string[] = [];
    slack.channel = async (_, id) => {
      asked.push(id);
      return answer as never;
    };
    const lines = await checkChannels(slack, "x", parsePolicy(POLICY), context());
    expect(asked).toEqual(["C0INC", "C0CHG", "C0AUDIT"]);
    expect(lines[0]).toEqual({ ok, check: "channel C0INC", text });
    expect(lines).toHaveLength(3);
  });
});

describe("checkGroups", () => {
  it("says each group exists, or is missing, or disabled", async () => {
    const slack = goodSlack();
    slack.userGroups = async () => ({ ok: true, value: [{ id: "S0APP", disabled: true }] });
    expect(await checkGroups(slack, "x", parsePolicy(POLICY), context())).toEqual([
      {
        ok: false,
        check: "user group S0OPS",
        text: 'Slack has no such user group among its 1 group: check the id in the policy (the group\'s page in Slack, "Copy group ID")',
      },
      {
        ok: false,
        check: "user group S0APP",
        text: "disabled: it grants nothing; enable it in Slack, or take it out of the policy",
      },
    ]);
    expect(await checkGroups(goodSlack(), "x", parsePolicy(POLICY), context())).toEqual([
      { ok: true, check: "user group S0OPS", text: "exists" },
      { ok: true, check: "user group S0APP", text: "exists" },
    ]);
  });

  it("says none could be checked when Slack refuses the list", async () => {
    const slack = goodSlack();
    slack.userGroups = async () => ({
      ok: false,
      code: "missing_scope",
      needed: "usergroups:read",
    });
    const lines = await checkGroups(slack, "x", parsePolicy(POLICY), context());
    expect(lines.map((l) => [l.ok, l.check, l.text])).toEqual(
      ["S0OPS", "S0APP"].map((g) => [
        false,
        `user group ${g}`,
        `not checked: the token lacks usergroups:read: ${FIX}`,
      ]),
    );
  });

  it("asks Slack nothing when the policy names no group", async () => {
    const slack = goodSlack();
    let asked = 0;
    slack.userGroups = async () => {
      asked++;
      return { ok: true, value: [] };
    };
    const policy = parsePolicy({ ...POLICY, channels: { C0INC: POLICY.channels.C0INC } });
    expect(await checkGroups(slack, "x", policy, context())).toEqual([]);
    expect(asked).toBe(0);
  });

  it("asks for the manifest's six scopes", () => {
    expect(BOT_SCOPES).toEqual(SCOPES);
  });
});
