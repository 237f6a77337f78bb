import { describe, expect, it } from "vitest";
import {
  type Choice,
  closeNames,
  isExpired,
  nameOptions,
  newChoice,
  parseButtonValue,
  serverOption,
  withPicks,
} from "../../../lib/choices/choice";
import type { Server } from "../../../lib/ecl/server";
import { newOperation } from "../../../lib/operations/operation";
import { checkMessage } from "../../../lib/slack/block-kit-limits";
import { choiceMessage, lookupMessage } from "../../../lib/slack/choice-messages";

const IMAGE = "3339fd5f-ec06-4ef8-9337-c1c70218a748";
const server = (id: string, name: string, mediaIds?: string[]): Server => ({
  id,
  name,
  status: "ACTIVE",
  powerState: "RUNNING",
  taskState: "None",
  vmState: "ACTIVE",
  mediaIds,
});
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

function choice(changes: Partial<Choice> = {}): Choice {
  return {
    ...newChoice(
      {
        id: "ch-0123456789",
        teamId: "T1",
        channelId: "C1",
        requester: "U1",
        tenant: "t",
        secretId: "s",
        approvalsRequired: 0,
        approvers: [],
        requestTtlMinutes: 60,
        reason: "",
        asked: { server: "app" },
      },
      new Date("2026-11-27T10:00:00Z"),
    ),
    ...changes,
  };
}

describe("closeNames", () => {
  const names = ["web01", "web010", "web02", "WEB1X", "db01", "app", "w", "webserver-long"];

  it("offers names within two edits, in any case, and names the typed one begins, closest first", () => {
    expect(closeNames("web1", names)).toEqual(["web01", "WEB1X", "web010", "web02"]);
    expect(closeNames("webser", names)).toEqual(["webserver-long"]);
  });

  it("the same name in another case comes first", () => {
    expect(closeNames("DB01", names)[0]).toBe("db01");
  });

  it("offers at most five, and nothing for a name nothing is close to", () => {
    expect(closeNames("we", names).length).toBeLessThanOrEqual(5);
    expect(closeNames("zzzzzz", names)).toEqual([]);
  });

  it("a one-letter name is not close to every short name", () => {
    expect(closeNames("x", ["a", "ab", "w"])).toEqual([]);
  });

  it("a name shared by several servers is offered once, as a name to look up", () => {
    const options = nameOptions(
      "ap",
      [server(uuid(1), "app", [IMAGE]), server(uuid(2), "app")],
      undefined,
    );
    expect(options).toEqual([{ server: "app", name: "app", servers: 2 }]);
  });
});

describe("serverOption", () => {
  it("goes on to the image given, or the only one attached; else a choice of image follows", () => {
    expect(serverOption(server(uuid(1), "a", [IMAGE]), undefined).image).toBe(IMAGE);
    expect(serverOption(server(uuid(1), "a", [IMAGE, uuid(9)]), undefined).image).toBeUndefined();
    expect(serverOption(server(uuid(1), "a", []), uuid(7)).image).toBe(uuid(7));
    expect(serverOption(server(uuid(1), "a"), undefined).image).toBeUndefined();
  });
});

describe("button values", () => {
  it.each([
    ["ch-0123456789:3", { choiceId: "ch-0123456789", index: 3 }],
    ["ch-0123456789:", undefined],
    ["x ch-0123456789:1", undefined],
    ["ch-0123456789:1 ", undefined],
    ["ch-0123456789:1234", undefined],
    ["op-0123456789:1", undefined],
  ])("%j names %j", (value, named) => {
    expect(parseButtonValue(value)).toEqual(named);
  });
});

describe("a choice's life", () => {
  it("expires 30 minutes after it is made, to the second", () => {
    const made = choice();
    expect(isExpired(made, new Date("2026-11-27T10:29:59Z"))).toBe(false);
    expect(isExpired(made, new Date("2026-11-27T10:30:00Z"))).toBe(true);
  });

  it("the picks that led to an operation are its audit events after `requested`, each by its picker", () => {
    const op = newOperation(
      {
        id: "op-0123456789",
        teamId: "T1",
        channelId: "C1",
        requester: "U1",
        tenant: "t",
        secretId: "s",
        approvalsRequired: 0,
        approvers: [],
        requestTtlMinutes: 60,
        serverRef: uuid(1),
        imageId: IMAGE,
        reason: "",
      },
      new Date("2026-11-27T10:01:00Z"),
    );
    const picked = withPicks(op, [
      {
        choiceId: "ch-a",
        at: "2026-11-27T10:00:30Z",
        userId: "U1",
        offer: "servers",
        asked: "app",
        of: 2,
        server: uuid(1),
      },
      {
        choiceId: "ch-b",
        at: "2026-11-27T10:01:00Z",
        userId: "U1",
        offer: "images",
        asked: uuid(1),
        of: 3,
        server: uuid(1),
        image: IMAGE,
      },
    ]);
    expect(picked.seq).toBe(3);
    expect(picked.unaudited?.map((e) => [e.seq, e.action, e.facts.offered])).toEqual([
      [1, "requested", undefined],
      [2, "chosen", "servers"],
      [3, "chosen", "images"],
    ]);
    expect(picked.lastEvent.seq).toBe(3);
    expect(withPicks(op, [])).toBe(op);
  });
});

describe("what a choice says", () => {
  it("50 candidates and 20 images make messages Slack takes", () => {
    const candidates = Array.from({ length: 50 }, (_, i) =>
      serverOption(server(uuid(i), "app", [IMAGE, uuid(100 + i)]), undefined),
    );
    const servers = choice({ state: "open", offer: "servers", options: candidates });
    expect(checkMessage(choiceMessage(servers))).toBeUndefined();
    const images = choice({
      state: "open",
      offer: "images",
      options: Array.from({ length: 20 }, (_, i) => ({
        server: uuid(1),
        name: "web01",
        image: uuid(200 + i),
      })),
      imageNames: Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [uuid(200 + i), "x".repeat(255)]),
      ),
    });
    expect(checkMessage(choiceMessage(images))).toBeUndefined();
  });

  it("a hostile server name from ECL pings nobody and links nowhere", () => {
    const evil = "<!channel> <https://evil.example|web04>";
    const message = choiceMessage(
      choice({
        state: "open",
        offer: "names",
        asked: { server: "web4" },
        options: [serverOption(server(uuid(1), evil, [IMAGE]), undefined)],
      }),
    );
    // What Slack reads as mrkdwn (plain_text, a button's label, is shown as it is).
    const text = JSON.stringify([
      message.text,
      ...(message.blocks ?? []).map((b) =>
        "text" in b ? b.text : "elements" in b ? b.elements : "",
      ),
    ]);
    expect(text).not.toContain("<!channel>");
    expect(text).not.toContain("<https://evil");
    expect(text).toContain("&lt;!channel&gt;");
  });

  it("a lookup that ended says how, with no buttons", () => {
    const ended = lookupMessage(choice({ state: "ended", ended: { kind: "no_server" } }));
    expect(ended.blocks).toBeUndefined();
    expect(ended.text).toBe(
      "No server in tenant `t` is named `app`, and no name is close to it. `/bm status NAME` shows a server by its name or id; the ECL console lists them all.",
    );
  });
});
