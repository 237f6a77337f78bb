import type { WebClient } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { webClientProbe } from "../../../lib/slack/doctor-probe";

/** Slack's WebClient refusing as it does: an error with Slack's answer as `data`. */
const platformError = (data: Record<string, unknown>) =>
  Object.assign(new Error(`An API error occurred: ${data.error}`), { data });

/** A WebClient whose methods answer as given, recording what they were asked. */
function client(answers: {
  auth?: () => Promise<unknown>;
  info?: () => Promise<unknown>;
  groups?: () => Promise<unknown>;
}) {
  const asked: unknown[] = [];
  const method = (answer: (() => Promise<unknown>) | undefined) => (a: unknown) => {
    asked.push(a);
    return answer?.();
  };
  const fake = {
    auth: { test: method(answers.auth) },
    conversations: { info: method(answers.info) },
    usergroups: { list: method(answers.groups) },
  };
  return { probe: webClientProbe(fake as unknown as WebClient), asked };
}

describe("webClientProbe", () => {
  it("reads auth.test and the scopes the client took from x-oauth-scopes", async () => {
    const { probe, asked } = client({
      auth: async () => ({
        ok: true,
        team_id: "T1",
        user_id: "U1",
        bot_id: "B1",
        response_metadata: { scopes: ["commands", "chat:write"] },
      }),
    });
    expect(await probe.whoAmI("xoxb-1")).toEqual({
      ok: true,
      value: { teamId: "T1", userId: "U1", botId: "B1", scopes: ["commands", "chat:write"] },
    });
    expect(asked).toEqual([{ token: "xoxb-1" }]);
  });

  it("says no scopes, and empty ids, when Slack names none", async () => {
    const { probe } = client({ auth: async () => ({ ok: true }) });
    expect(await probe.whoAmI("x")).toEqual({
      ok: true,
      value: { teamId: "", userId: "", botId: "", scopes: undefined },
    });
  });

  it("reads conversations.info's is_member and is_archived, true only when true", async () => {
    const answers = [
      { channel: { is_member: true, is_archived: false } },
      { channel: { is_member: false, is_archived: true } },
      { channel: {} },
      {},
    ];
    const { probe, asked } = client({ info: async () => answers.shift() });
    const read = async () => (await probe.channel("x", "C1")) as { value: unknown };
    expect((await read()).value).toEqual({ member: true, archived: false });
    expect((await read()).value).toEqual({ member: false, archived: true });
    expect((await read()).value).toEqual({ member: false, archived: false });
    expect((await read()).value).toEqual({ member: false, archived: false });
    expect(asked[0]).toEqual({ token: "x", channel: "C1" });
  });

  it("lists user groups with the disabled ones, a dated deletion meaning disabled", async () => {
    const { probe, asked } = client({
      groups: async () => ({
        usergroups: [{ id: "S1", date_delete: 0 }, { id: "S2", date_delete: 1700000000 }, {}],
      }),
    });
    expect(await probe.userGroups("x")).toEqual({
      ok: true,
      value: [
        { id: "S1", disabled: false },
        { id: "S2", disabled: true },
        { id: "", disabled: false },
      ],
    });
    expect(asked).toEqual([{ token: "x", include_disabled: true }]);
    const none = client({ groups: async () => ({}) });
    expect(await none.probe.userGroups("x")).toEqual({ ok: true, value: [] });
  });

  it("turns Slack's refusals into answers, with the scope it needed", async () => {
    const { probe } = client({
      auth: async () => {
        throw platformError({ ok: false, error: "invalid_auth" });
      },
      info: async () => {
        throw platformError({ ok: false, error: "missing_scope", needed: "groups:read" });
      },
    });
    expect(await probe.whoAmI("x")).toStrictEqual({ ok: false, code: "invalid_auth" });
    expect(await probe.channel("x", "G1")).toEqual({
      ok: false,
      code: "missing_scope",
      needed: "groups:read",
    });
  });

  it("lets an error that is no answer of Slack's go on (a timeout, no connection)", async () => {
    const timeout = new Error("timeout");
    const odd = Object.assign(new Error("odd"), { data: { error: 7 } });
    const { probe } = client({
      auth: async () => {
        throw timeout;
      },
      groups: async () => {
        throw odd;
      },
    });
    await expect(probe.whoAmI("x")).rejects.toBe(timeout);
    const nothing = client({ info: () => Promise.reject(undefined) });
    await expect(nothing.probe.channel("x", "C1")).rejects.toBeUndefined();
    await expect(probe.userGroups("x")).rejects.toBe(odd);
  });
});
