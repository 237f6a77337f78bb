import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicy, PolicyError, parsePolicy } from "../../../lib/policy/policy";

const channel = { tenant: "t", requesters: ["*"], approvals: 0 };
const policy = (channels: unknown, tenants: unknown = { t: { secret: "s" } }) => ({
  team_ids: ["T0001"],
  tenants,
  channels,
});

/** The whole message a mistake gets: where it is, and what is wrong, as the admin reads it. */
const refusal = (document: unknown) => {
  try {
    parsePolicy(document, "policy.yml");
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as Error).name).toBe("PolicyError");
    return (error as Error).message;
  }
  throw new Error("accepted");
};

describe("each mistake in the policy, word for word", () => {
  it.each([
    [policy({ C0A: channel }, { t: { secret: "" } }), "tenants.t.secret: secret must not be empty"],
    [policy({ C0A: channel }, { t: { secret: 5 } }), "tenants.t.secret: secret must be a string"],
    [policy({ C0A: channel }, "x"), "tenants: tenants must be a map"],
    [policy("x"), "channels: channels must be a map"],
    [policy({ C0A: { ...channel, tenant: 5 } }), "channels.C0A.tenant: tenant must be a string"],
    [
      policy({ C0A: { ...channel, requesters: "U0A" } }),
      "channels.C0A.requesters: requesters must be a list",
    ],
    [
      policy({ C0A: { ...channel, approvers: "U0A" } }),
      "channels.C0A.approvers: approvers must be a list",
    ],
    [
      policy({ C0A: { ...channel, approvals: "1" } }),
      "channels.C0A.approvals: approvals must be a number",
    ],
    [
      policy({ C0A: { ...channel, allow_self_approval: "yes" } }),
      "channels.C0A.allow_self_approval: allow_self_approval must be true or false",
    ],
    [
      policy({ C0A: { ...channel, request_ttl_minutes: "30" } }),
      "channels.C0A.request_ttl_minutes: request_ttl_minutes must be a number",
    ],
    [
      policy({ C0A: { ...channel, request_ttl_minutes: 1.5 } }),
      "channels.C0A.request_ttl_minutes: request_ttl_minutes must be a whole number",
    ],
    [
      policy({ C0A: { ...channel, request_ttl_minutes: 0 } }),
      "channels.C0A.request_ttl_minutes: request_ttl_minutes must be 1 or more",
    ],
    [
      policy({ C0A: { ...channel, tenant: "u" }, C0B: { ...channel, approvals: 1 } }),
      'channels.C0A.tenant: "u" is not one of tenants; channels.C0B.approvers: needed when approvals is 1',
    ],
    [
      { ...policy({ C0A: channel }), team_ids: undefined },
      "team_ids: missing (the Slack team ids, T…, bm serves; required)",
    ],
    [
      { ...policy({ C0A: channel }), team_ids: "T0001" },
      "team_ids: team_ids must be a list of the Slack team ids (T…) bm serves",
    ],
    [
      { ...policy({ C0A: channel }), team_ids: [] },
      "team_ids: team_ids must name at least one Slack team id (T…)",
    ],
    [
      { ...policy({ C0A: channel }), team_ids: ["T0001", "E0001"] },
      "team_ids.1: team_ids entries must be Slack team ids (T…)",
    ],
    [
      { ...policy({ C0A: channel }), team_ids: ["t0001"] },
      "team_ids.0: team_ids entries must be Slack team ids (T…)",
    ],
    [
      { ...policy({ C0A: channel }), team_ids: ["XT0001"] },
      "team_ids.0: team_ids entries must be Slack team ids (T…)",
    ],
    [
      { ...policy({ C0A: channel }), team_ids: ["T0001x"] },
      "team_ids.0: team_ids entries must be Slack team ids (T…)",
    ],
    [
      { ...policy({ C0A: channel }), enterprise_id: "XE0001" },
      "enterprise_id: enterprise_id must be a Slack Enterprise Grid id (E…)",
    ],
    [
      { ...policy({ C0A: channel }), enterprise_id: "E0001x" },
      "enterprise_id: enterprise_id must be a Slack Enterprise Grid id (E…)",
    ],
    [
      { ...policy({ C0A: channel }), enterprise_id: "T0001" },
      "enterprise_id: enterprise_id must be a Slack Enterprise Grid id (E…)",
    ],
    [
      { ...policy({ C0A: channel }), enterprise_id: 1 },
      "enterprise_id: enterprise_id must be a string",
    ],
    [
      { ...policy({ C0A: channel }), audit_channel: "U0AUDIT" },
      "audit_channel: audit_channel must be a Slack channel id (C…, G…)",
    ],
    [
      { ...policy({ C0A: channel }), audit_channel: "#audit" },
      "audit_channel: audit_channel must be a Slack channel id (C…, G…)",
    ],
    [
      { ...policy({ C0A: channel }), audit_channel: "C0AUDITx" },
      "audit_channel: audit_channel must be a Slack channel id (C…, G…)",
    ],
    [
      { ...policy({ C0A: channel }), audit_channel: ["C0AUDIT"] },
      "audit_channel: audit_channel must be a string",
    ],
  ])("%j: %s", (document, said) => {
    expect(refusal(document)).toBe(`policy.yml is invalid: ${said}`);
  });

  it("the workspace: its team ids, and the enterprise only when named", () => {
    expect(parsePolicy(policy({ C0A: channel })).teamIds).toEqual(["T0001"]);
    expect(parsePolicy(policy({ C0A: channel })).enterpriseId).toBeUndefined();
    expect(
      parsePolicy({
        ...policy({ C0A: channel }),
        team_ids: ["T0001", "T0002"],
        enterprise_id: "E0001",
      }),
    ).toMatchObject({ teamIds: ["T0001", "T0002"], enterpriseId: "E0001" });
  });

  it("the audit channel: only when named", () => {
    expect(parsePolicy(policy({ C0A: channel })).auditChannel).toBeUndefined();
    expect("auditChannel" in parsePolicy(policy({ C0A: channel }))).toBe(false);
    expect(
      parsePolicy({ ...policy({ C0A: channel }), audit_channel: "C0AUDIT" }).auditChannel,
    ).toBe("C0AUDIT");
  });

  it("the defaults: no approvers, self-approval off, 30 minutes", () => {
    expect(parsePolicy(policy({ C0A: channel })).channels.C0A).toEqual({
      channelId: "C0A",
      tenant: "t",
      requesters: ["*"],
      approvers: [],
      approvals: 0,
      allowSelfApproval: false,
      requestTtlMinutes: 30,
    });
    expect(() => parsePolicy("x")).toThrow(/^the policy is invalid: /);
  });

  it.each(["U0A", "W0AB", "S0APP", "*"])("%s is a principal", (who) => {
    expect(
      parsePolicy(policy({ C0A: { ...channel, requesters: [who] } })).channels.C0A?.requesters,
    ).toEqual([who]);
  });

  it.each(["U0", "u0abc", "X0ABC", "U0A B", "**", ""])("%j is not a principal", (who) => {
    expect(refusal(policy({ C0A: { ...channel, requesters: [who] } }))).toContain(
      "requesters entries must be user ids",
    );
  });

  it.each(["C0A", "G0AB", "D0AB"])("%s is a channel", (id) => {
    expect(Object.keys(parsePolicy(policy({ [id]: channel })).channels)).toEqual([id]);
  });

  it.each(["C0", "c0abc", "X0ABC"])("%j is not a channel", (id) => {
    expect(refusal(policy({ [id]: channel }))).toContain("channel keys must be Slack channel ids");
  });

  it.each(["a".repeat(64), "prod.jp1_a-b"])("%s is a tenant key", (key) => {
    expect(
      Object.keys(
        parsePolicy(policy({ C0A: { ...channel, tenant: key } }, { [key]: { secret: "s" } }))
          .tenants,
      ),
    ).toEqual([key]);
  });

  it.each(["a".repeat(65), "", "prod jp1"])("%j is not a tenant key", (key) => {
    expect(refusal(policy({ C0A: channel }, { [key]: { secret: "s" } }))).toContain(
      "tenant keys must be short names",
    );
  });
});

describe("loadPolicy", () => {
  it("reads YAML (or JSON) from the file, and names the file in every mistake", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bm-policy-"));
    const good = join(dir, "good.yml");
    await writeFile(
      good,
      "team_ids: [T0001]\ntenants:\n  t: { secret: s }\nchannels:\n  C0A: { tenant: t, requesters: ['*'], approvals: 0 }\n",
    );
    expect((await loadPolicy(good)).channels.C0A?.tenant).toBe("t");

    const bad = join(dir, "bad.yml");
    await writeFile(bad, "tenants: [\n");
    await expect(loadPolicy(bad)).rejects.toThrow(
      new RegExp(`^the policy file ${bad} is not valid YAML: [^\\n]+$`),
    );

    const wrong = join(dir, "wrong.yml");
    await writeFile(wrong, "team_ids: [T0001]\ntenants: {}\nchannels: {}\nextra: 1\n");
    await expect(loadPolicy(wrong)).resolves.toEqual({
      teamIds: ["T0001"],
      tenants: {},
      channels: {},
    });

    const invalid = join(dir, "invalid.yml");
    await writeFile(invalid, "team_ids: [T0001]\nchannels: {}\n");
    await expect(loadPolicy(invalid)).rejects.toThrow(
      `the policy file ${invalid} is invalid: tenants: missing`,
    );

    await expect(loadPolicy(join(dir, "none.yml"))).rejects.toThrow(
      `the policy file ${join(dir, "none.yml")} (BM_POLICY) cannot be read`,
    );
  });
});

describe("a policy's mistakes, at their edges", () => {
  it("not a map at all: said of the whole document; several problems, one after another", () => {
    expect(() => parsePolicy("x")).toThrow(
      "the policy is invalid: (top): the policy must be a map with team_ids, tenants and channels",
    );
    expect(() => parsePolicy({})).toThrow(
      "the policy is invalid: team_ids: missing (the Slack team ids, T…, bm serves; required); tenants: missing; channels: missing",
    );
  });

  it("broken YAML: the parser's first line, whole", async () => {
    const dir = await mkdtemp(join(tmpdir(), "bm-policy-"));
    const bad = join(dir, "bad.yml");
    await writeFile(bad, "tenants: [\n");
    await expect(loadPolicy(bad)).rejects.toThrow(
      `the policy file ${bad} is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1:`,
    );
  });
});
