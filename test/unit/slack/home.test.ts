/**
 * The Home tab, word for word: each part, its bounds, and what Slack would refuse (checkView as
 * views.publish checks a home view).
 */
import { describe, expect, it } from "vitest";
import type { Operation } from "../../../lib/operations/operation";
import { checkView, LIMITS } from "../../../lib/slack/block-kit-limits";
import {
  HOME_SHOWN,
  type HomeContent,
  homeBlockId,
  homeView,
  type KnownMedia,
  listSection,
  RECENT_DAYS,
} from "../../../lib/slack/home";
import { type Mrkdwn, md } from "../../../lib/slack/mrkdwn";
import { sampleOperation } from "../operations/sample-operation";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";
const SERVER = "c880a4b5-0230-4925-a8f5-16fb48249275";

const op = (id: number, changes: Partial<Operation> = {}): Operation =>
  sampleOperation({
    id: `op-${String(id).padStart(10, "0")}`,
    serverName: "web01",
    serverId: SERVER,
    channelId: "C0CHG",
    requester: "U0REQ",
    updatedAt: "2026-11-26T10:05:00.000Z",
    ...changes,
  });

const media = (changes: Partial<KnownMedia> = {}): KnownMedia => ({
  tenant: "prod",
  serverId: SERVER,
  serverName: "web01",
  imageId: IMAGE,
  seenAt: "2026-11-26T09:00:00.000Z",
  detaching: false,
  ...changes,
});

const empty: HomeContent = { userId: "U0ME", awaiting: [], inFlight: [], recent: [], media: [] };

type Block = {
  type: string;
  block_id?: string;
  text?: { text: string };
  elements?: Array<{ text?: unknown; action_id?: string; value?: string; style?: string }>;
};
const blocksOf = (home: HomeContent) => homeView(home).blocks as Block[];
/** Each block as a person reads it: its text, a divider, or its buttons. */
const read = (home: HomeContent) =>
  blocksOf(home).map((b) =>
    b.type === "divider"
      ? "---"
      : b.type === "actions"
        ? `[${b.block_id}] ${(b.elements ?? []).map((e) => `${(e.text as { text: string }).text}:${e.action_id}:${e.value}:${e.style}`).join(" ")}`
        : b.type === "context"
          ? `(${(b.elements ?? []).map((e) => e.text).join(" ")})`
          : (b.text?.text ?? ""),
  );

const KNOWN = `("Known" is what bm recorded, not what ECL shows now: the last of bm's operations on an image of a server, of the tenant's last 50 in the last 7 days, found it attached when it read the server, and none has detached it since. \`/bm status\` in a channel asks ECL.)`;

describe("homeView", () => {
  it("an empty Home says so in each part", () => {
    expect(homeView(empty).type).toBe("home");
    expect(read(empty)).toEqual([
      "*bm: media detach* for <@U0ME>",
      "---",
      "*Waiting for your approval* (0)",
      "nothing waits for you",
      "---",
      "*Your requests in flight*\n_none in flight_",
      "*Your requests of the last 7 days*\n_none ended in the last 7 days_",
      "---",
      "*Servers with media attached that bm knows of*",
      "You may request in no channel bound to a tenant, so none are shown.",
      KNOWN,
    ]);
  });

  it("each part, word for word: the request to approve with its buttons, the person's own, the media", () => {
    const home: HomeContent = {
      userId: "U0ME",
      notice: md`You approved \`op-1\`.`,
      awaiting: [
        op(1, {
          reason: "CHG-1 <!here>",
          approvalsRequired: 2,
          approvals: [{ userId: "U0A1", at: "2026-11-26T10:01:00.000Z" }],
          requestExpiresAt: "2026-11-26T10:30:00.000Z",
          permalink: "https://local.slack.test/archives/C0CHG/p1",
        }),
        op(2, { reason: "", approvalsRequired: 1, serverName: "", serverRef: "db*01" }),
      ],
      inFlight: [op(3, { state: "detaching", requester: "U0ME" })],
      recent: [
        op(4, {
          state: "done",
          finishedAt: "2026-11-25T08:00:00.000Z",
          permalink: "https://x.test/p4",
        }),
        op(5, { state: "rejected" }),
      ],
      media: [
        { tenant: "prod", servers: [media(), { ...media({ detaching: true }), serverName: "" }] },
        { tenant: "dev", servers: [] },
      ],
    };
    expect(read(home)).toEqual([
      "*bm: media detach* for <@U0ME>",
      "You approved `op-1`.",
      "---",
      "*Waiting for your approval* (2)",
      `\`op-0000000001\` \`web01\` image \`${IMAGE}\` in <#C0CHG>\nasked by <@U0REQ>: CHG-1 &lt;!here&gt;\n1 of 2 approvals, expires <!date^1795689000^{date_num} {time}|2026-11-26 10:30 UTC> · <https://local.slack.test/archives/C0CHG/p1|thread>`,
      "[bm_home_op-0000000001] Approve:bm_approve:op-0000000001:primary Reject:bm_reject:op-0000000001:danger",
      `\`op-0000000002\` \`db*01\` image \`${IMAGE}\` in <#C0CHG>\nasked by <@U0REQ>\n0 of 1 approvals`,
      "[bm_home_op-0000000002] Approve:bm_approve:op-0000000002:primary Reject:bm_reject:op-0000000002:danger",
      "---",
      "*Your requests in flight*\n• `op-0000000003` `web01` in <#C0CHG>: *detaching* since <!date^1795687500^{date_num} {time}|2026-11-26 10:05 UTC>",
      "*Your requests of the last 7 days*\n• `op-0000000004` `web01` in <#C0CHG>: *done* <!date^1795593600^{date_num} {time}|2026-11-25 08:00 UTC> · <https://x.test/p4|thread>\n• `op-0000000005` `web01` in <#C0CHG>: *rejected* <!date^1795687500^{date_num} {time}|2026-11-26 10:05 UTC>",
      "---",
      "*Servers with media attached that bm knows of*",
      `Tenant \`prod\`\n• \`web01\` (\`${SERVER}\`) image \`${IMAGE}\`, seen <!date^1795683600^{date_num} {time}|2026-11-26 09:00 UTC>\n• \`${SERVER}\` image \`${IMAGE}\`, seen <!date^1795683600^{date_num} {time}|2026-11-26 09:00 UTC> · a detach is under way`,
      "Tenant `dev`\n_none known_",
      KNOWN,
    ]);
    expect(checkView(homeView(home), "home")).toBeUndefined();
    expect(homeBlockId(op(7))).toBe("bm_home_op-0000000007");
  });

  it("a fleet request: its servers counted and where its targets stand, in flight and ended", () => {
    const targets = ["a", "b", "c"].map((x, i) => ({
      serverId: x,
      serverName: x,
      opId: `op-t${i + 1}`,
    }));
    const fleet = (n: number, changes: Partial<Operation>) =>
      op(n, { requester: "U0ME", serverRef: "all", fleet: { targets }, ...changes });
    const home: HomeContent = {
      userId: "U0ME",
      awaiting: [],
      inFlight: [
        fleet(8, { state: "detaching", tally: { "op-t1": "done", "op-t2": "detaching" } }),
      ],
      recent: [
        fleet(9, { state: "done", tally: { "op-t1": "done", "op-t2": "done", "op-t3": "noop" } }),
      ],
      media: [],
    };
    const [inFlight, recent] = read(home).filter((t) => t.startsWith("*Your requests"));
    expect(inFlight).toBe(
      "*Your requests in flight*\n• `op-0000000008` 3 servers (1 of 3 done, 1 in flight, 1 queued) in <#C0CHG>: *detaching* since <!date^1795687500^{date_num} {time}|2026-11-26 10:05 UTC>",
    );
    expect(recent).toContain(
      "• `op-0000000009` 3 servers (2 of 3 done, 1 nothing to do) in <#C0CHG>: *done*",
    );
  });

  it("says when some reads were late, so an empty part is not taken for none", () => {
    expect(read({ ...empty, partial: true })[1]).toBe(
      ":warning: bm could not read everything in time: some parts may be missing. Open the tab again in a moment.",
    );
    expect(read(empty)).not.toContain(read({ ...empty, partial: true })[1]);
  });

  it("shows at most its bounds, says how many more, and stays a view Slack takes", () => {
    const many = (n: number, changes: Partial<Operation> = {}) =>
      Array.from({ length: n }, (_, i) => op(i, { reason: "x".repeat(300), ...changes }));
    const home: HomeContent = {
      userId: "U0ME",
      awaiting: many(HOME_SHOWN.awaiting + 3),
      inFlight: many(HOME_SHOWN.lines + 2, { state: "executing" }),
      recent: many(HOME_SHOWN.lines + 1, { state: "done" }),
      media: Array.from({ length: HOME_SHOWN.tenants + 2 }, (_, i) => ({
        tenant: `t${i}`,
        servers: Array.from({ length: HOME_SHOWN.lines + 4 }, () => media()),
      })),
    };
    const lines = read(home);
    expect(lines.filter((l) => l.startsWith("[bm_home_"))).toHaveLength(HOME_SHOWN.awaiting);
    expect(lines).toContain("… and 3 more: see their channels");
    const inFlight = lines.find((l) => l.startsWith("*Your requests in flight*")) ?? "";
    expect(inFlight.split("\n").filter((l) => l.startsWith("• "))).toHaveLength(HOME_SHOWN.lines);
    expect(inFlight.endsWith("\n… and 2 more")).toBe(true);
    expect(lines.find((l) => l.startsWith("*Your requests of"))?.endsWith("\n… and 1 more")).toBe(
      true,
    );
    expect(lines.filter((l) => l.startsWith("Tenant "))).toHaveLength(HOME_SHOWN.tenants);
    expect(lines.find((l) => l.startsWith("Tenant "))?.endsWith("\n… and 4 more")).toBe(true);
    expect(homeView(home).blocks.length).toBeLessThanOrEqual(LIMITS.viewBlocks);
    expect(checkView(homeView(home), "home")).toBeUndefined();
    expect(RECENT_DAYS).toBe(7);
  });

  it("is never more than a view's 100 blocks, whatever it is given", () => {
    const home: HomeContent = {
      ...empty,
      awaiting: Array.from({ length: 200 }, (_, i) => op(i)),
      media: Array.from({ length: 200 }, (_, i) => ({ tenant: `t${i}`, servers: [] })),
    };
    expect(homeView(home).blocks).toHaveLength(
      Math.min(
        LIMITS.viewBlocks,
        3 + 2 * HOME_SHOWN.awaiting + 1 + 1 + 2 + 1 + 1 + HOME_SHOWN.tenants + 1,
      ),
    );
  });
});

describe("listSection", () => {
  const text = (title: string, lines: Mrkdwn[]) =>
    (listSection(md`${title}`, lines, md`none`) as { text: { text: string } }).text.text;
  const line = (n: number) => md`${"a".repeat(n)}`;
  // 15 lines of 198 and their 14 newlines: 2,984 characters, beside the title and its newline.
  const full = Array.from({ length: HOME_SHOWN.lines }, () => line(198));

  it("shows every line that fits whole in a section's 3,000 characters, to the character", () => {
    const at = text("t".repeat(15), full);
    expect(at).toBe(`${"t".repeat(15)}\n${full.map((l) => l.text).join("\n")}`);
    expect(at).toHaveLength(LIMITS.sectionText);
  });

  it("one character over: one line fewer, and says how many more", () => {
    expect(text("t".repeat(16), full)).toBe(
      `${"t".repeat(16)}\n${full
        .slice(1)
        .map((l) => l.text)
        .join("\n")}\n… and 1 more`,
    );
  });

  it("lines with date tokens (250 characters each): the 11 that fit, then how many more", () => {
    const dated = Array.from(
      { length: 40 },
      (_, i) =>
        md`• \`op-${String(i).padStart(10, "0")}\` \`${"s".repeat(60)}\` in <#C0CHG>: *awaiting approval* since <!date^1795687500^{date_num} {time}|2026-11-26 10:05 UTC> · <https://acme.slack.com/archives/C0123456789/p1795687500123456|thread>`,
    );
    const at = text("*Your requests in flight*", dated);
    const shown = at.split("\n").filter((l) => l.startsWith("• "));
    expect(shown).toEqual(dated.slice(0, shown.length).map((l) => l.text));
    // 11 lines: 2,799 characters with the title and "… and 29 more"; 12 would be 3,050.
    expect(shown).toHaveLength(11);
    expect(at.endsWith("\n… and 29 more")).toBe(true);
    expect(at.length).toBeLessThanOrEqual(LIMITS.sectionText);
  });

  it("a line too long alone is still shown, cut as a section's text is", () => {
    const at = text("t", [line(3000), line(5)]);
    expect(at).toBe(`t\n${"a".repeat(2996)}…`);
  });

  it("no lines: the words for none", () => {
    expect(text("t", [])).toBe("t\n_none_");
  });
});

describe("checkView of a Home", () => {
  it("takes a home view, refuses one of another type, and needs no title", () => {
    expect(checkView({ type: "home", blocks: [] }, "home")).toBeUndefined();
    expect(checkView({ type: "modal", blocks: [] }, "home")).toEqual({
      error: "invalid_blocks",
      errors: ['must be "home" [json-pointer:/view/type]'],
    });
    expect(checkView({ type: "home", blocks: [] })).toEqual({
      error: "invalid_blocks",
      errors: [
        'must be "modal" [json-pointer:/view/type]',
        "must provide a plain_text object [json-pointer:/view/title]",
      ],
    });
    expect(
      checkView(
        { type: "home", blocks: Array.from({ length: 101 }, () => ({ type: "divider" })) },
        "home",
      ),
    ).toEqual({
      error: "invalid_blocks",
      errors: ["no more than 100 items allowed [json-pointer:/view/blocks]"],
    });
    expect(
      checkView({ type: "home", blocks: [], private_metadata: "x".repeat(3001) }, "home")?.errors,
    ).toHaveLength(1);
    expect(checkView({ type: "home" }, "home")?.errors).toEqual([
      "must be an array [json-pointer:/view/blocks]",
    ]);
  });
});
