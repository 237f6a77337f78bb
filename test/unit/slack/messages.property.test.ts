/**
 * Every message bm can build, built from arbitrary text where the text comes from outside
 * (people, ECL, Slack), must be one Slack takes (the strict stand-in's own check) and must not let
 * that text mention, link or break out: every `<` and `>` left belongs to a mention or link bm
 * made, and every `&` starts an entity.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { historyLine } from "../../../lib/front-door/history";
import { type Operation, STATES } from "../../../lib/operations/operation";
import { checkMessage, checkView } from "../../../lib/slack/block-kit-limits";
import { message } from "../../../lib/slack/blocks";
import type { SlackMessage } from "../../../lib/slack/chat";
import {
  parentMessage,
  rejectModal,
  requesterNotice,
  threadNotice,
} from "../../../lib/slack/messages";
import { parseCommand, USAGE } from "../../../lib/slack/parse-command";
import { sampleOperation } from "../operations/sample-operation";

/** Characters that break mrkdwn, mixed with ordinary ones and some outside the BMP. */
const hostileChar = fc.constantFrom(
  "<",
  ">",
  "&",
  "!",
  "@",
  "|",
  "#",
  "^",
  "*",
  "_",
  "~",
  "`",
  ":",
  ";",
  "/",
  " ",
  "\n",
  "a",
  "Z",
  "0",
  "-",
  ".",
  "é",
  "😀",
  "amp",
  "lt;",
  "<!channel>",
  "<!here>",
  "<@U0ADMIN>",
  "<https://evil.example|web04>",
  "&amp;",
  "&lt;",
);
const hostile = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: hostileChar, maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.constant("&".repeat(maxLength)),
    fc.constant("<".repeat(maxLength)),
  );

const userId = fc.oneof(fc.constantFrom("U0ALICE", "W012ABC", "U1"), hostile(30));

const operation: fc.Arbitrary<Operation> = fc
  .record({
    state: fc.constantFrom(...STATES),
    reason: hostile(500),
    serverRef: hostile(255),
    serverName: hostile(600),
    serverId: fc.option(hostile(60), { nil: undefined }),
    taskState: fc.option(hostile(300), { nil: undefined }),
    powerState: fc.option(hostile(300), { nil: undefined }),
    outcome: fc.option(hostile(4000), { nil: undefined }),
    rejectReason: fc.option(hostile(500), { nil: undefined }),
    rejectedBy: fc.option(userId, { nil: undefined }),
    cancelledBy: fc.option(userId, { nil: undefined }),
    detachRequestId: fc.option(hostile(200), { nil: undefined }),
    detachedFirst: fc.option(
      fc.record({
        by: hostile(60),
        channelId: fc.oneof(fc.constant("C0INCIDENT"), hostile(30)),
      }),
      { nil: undefined },
    ),
    approvers: fc.array(fc.oneof(userId, fc.constantFrom("*", "S0APPROVERS")), { maxLength: 200 }),
    approvals: fc.array(fc.record({ userId, at: fc.constant("2026-11-26T10:05:00.000Z") }), {
      maxLength: 40,
    }),
    approvalsRequired: fc.integer({ min: 0, max: 40 }),
    requester: userId,
    tenant: hostile(100),
    permalink: fc.option(
      fc.oneof(hostile(100), fc.constant("https://x.slack.com/archives/C1/p1")),
      {
        nil: undefined,
      },
    ),
    lastAction: fc.constantFrom("approval", "requested", "slack_refused"),
  })
  .map(({ lastAction, ...fields }) => {
    const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
    const op = sampleOperation({ ...given, requestExpiresAt: "2026-11-26T10:30:00.000Z" });
    return { ...op, lastEvent: { ...op.lastEvent, action: lastAction } };
  });

/** Whatever bm made itself: mentions of well-formed ids, a channel, a user group, its links. */
const BM_TOKENS =
  /<@[UW][A-Z0-9]+>|<!subteam\^S[A-Z0-9]+>|<#[CGD][A-Z0-9]+>|<https:\/\/[^\s<>|]+\|[^<>]*>/g;

/** A date token bm made of a time it keeps: Slack's tokens, and the fallback in UTC. */
const DATE_TOKEN =
  /<!date\^\d{1,12}\^(\{date_num\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC|\{time\}\|\d\d:\d\d UTC)>/g;

/** The mrkdwn strings of a message: its text and every text object in its blocks. */
function texts(built: SlackMessage): string[] {
  const found = [built.text];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      const o = value as Record<string, unknown>;
      if (o.type === "mrkdwn" && typeof o.text === "string") found.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(built.blocks);
  return found;
}

/** Asserts Slack takes it, and nothing from outside mentions, links or forms an entity. */
function assertSafe(built: SlackMessage, allowedMentions: ReadonlySet<string>): void {
  expect(checkMessage(built)).toBeUndefined();
  for (const text of texts(built)) {
    for (const token of text.match(BM_TOKENS) ?? []) expect(allowedMentions.has(token)).toBe(true);
    const rest = text.replace(BM_TOKENS, "").replace(DATE_TOKEN, "");
    expect(rest).not.toMatch(/[<>]/);
    expect(rest.replace(/&(amp|lt|gt);/g, "")).not.toContain("&");
  }
}

/** The mentions and links an operation may make: of its well-formed ids, its channels, its permalink. */
function allowed(op: Operation): Set<string> {
  const ids = [
    op.requester,
    op.rejectedBy,
    op.cancelledBy,
    ...op.approvers,
    ...(op.approvals ?? []).map((a) => a.userId),
  ].filter((id): id is string => !!id);
  const tokens = new Set<string>([`<#${op.channelId}>`]);
  // The channel of the detach that made a waiting request moot.
  if (op.detachedFirst) tokens.add(`<#${op.detachedFirst.channelId}>`);
  for (const id of ids) {
    tokens.add(`<@${id}>`);
    tokens.add(`<!subteam^${id}>`);
  }
  if (op.permalink) tokens.add(`<${op.permalink}|thread>`);
  return tokens;
}

// Fewer runs under mutation testing (BM_PROPERTY_RUNS): every mutant it covers runs them again.
const RUNS = { numRuns: Number(process.env.BM_PROPERTY_RUNS ?? 300) };

describe("every message bm builds from outside text", () => {
  it("the parent message and approval card", () => {
    fc.assert(
      fc.property(operation, (op) => assertSafe(parentMessage(op), allowed(op))),
      RUNS,
    );
  });

  it("the thread notices", () => {
    fc.assert(
      fc.property(operation, (op) => {
        const notice = threadNotice(op, new Date("2026-11-26T10:10:00Z"), 600);
        if (notice) assertSafe(notice, allowed(op));
      }),
      RUNS,
    );
  });

  it("what the requester is told when the channel refuses bm", () => {
    fc.assert(
      fc.property(operation, fc.option(hostile(60), { nil: undefined }), (op, code) =>
        assertSafe(requesterNotice(op, new Date("2026-11-26T10:10:00Z"), 600, code), allowed(op)),
      ),
      RUNS,
    );
  });

  it("history lines", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 10 }), (ops) => {
        const tokens = new Set(ops.flatMap((op) => [...allowed(op)]));
        for (const op of ops) assertSafe(message(historyLine(op)), tokens);
      }),
      RUNS,
    );
  });

  it("answers to whatever is typed after /bm", () => {
    fc.assert(
      fc.property(hostile(3000), (text) => {
        const parsed = parseCommand(text);
        if (parsed.kind === "invalid") assertSafe(message(parsed.message), new Set());
      }),
      RUNS,
    );
    assertSafe(message(USAGE), new Set());
  });

  it("the reject modal", () => {
    expect(checkView(rejectModal("op-0123456789"))).toBeUndefined();
  });
});

describe("escaped exactly once", () => {
  it("a reason typed as R&D <ticket> shows as typed", () => {
    const op = sampleOperation({}, "R&D <ticket>");
    const reason = JSON.stringify(parentMessage(op).blocks);
    expect(reason).toContain("*Reason*\\nR&amp;D &lt;ticket&gt;");
    expect(reason).not.toContain("&amp;amp;");
  });

  it("a server renamed to ping the channel behind a link shows its name, and pings nobody", () => {
    const op = sampleOperation({
      state: "detaching",
      serverId: "c880",
      serverName: "<!channel> <https://evil.example|web04>",
    });
    const card = parentMessage(op);
    expect(JSON.stringify(card)).not.toMatch(/<!channel>|<https:\/\/evil/);
    expect(card.text).toContain("from &lt;!channel&gt; &lt;https://evil.example|web04&gt;");
  });
});
