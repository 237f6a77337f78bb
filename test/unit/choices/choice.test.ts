import { describe, expect, it } from "vitest";
import {
  type Choice,
  choiceAudit,
  choiceFacts,
  closeNames,
  isExpired,
  nameOptions,
  newChoice,
  parseButtonValue,
  serverOption,
} from "../../../lib/choices/choice";
import type { Server } from "../../../lib/ecl/server";
import { newOperation, type Operation } from "../../../lib/operations/operation";
import { withPicks } from "../../../lib/operations/request";
import { checkMessage } from "../../../lib/slack/block-kit-limits";
import { lookupMessage } from "../../../lib/slack/choice-messages";

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

/** Who asked in C1, under its policy: the same for a choice and for an operation. */
const ASKER = {
  teamId: "T1",
  channelId: "C1",
  requester: "U1",
  tenant: "t",
  secretId: "s",
  approvalsRequired: 0,
  approvers: [],
  requestTtlMinutes: 60,
  reason: "",
};

/** A new operation on server 1 and IMAGE, made at `at`. */
function operation(at: Date) {
  return newOperation({ ...ASKER, id: "op-0123456789", serverRef: uuid(1), imageId: IMAGE }, at);
}

function choice(changes: Partial<Choice> = {}): Choice {
  return {
    ...newChoice(
      { ...ASKER, id: "ch-0123456789", asked: { server: "app" } },
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
    expect(serverOption(server(uuid(1), "a", [uuid(7)]), uuid(7)).image).toBe(uuid(7));
    expect(serverOption(server(uuid(1), "a", [IMAGE]), IMAGE.toUpperCase()).image).toBe(
      IMAGE.toUpperCase(),
    );
    expect(serverOption(server(uuid(1), "a"), undefined).image).toBeUndefined();
  });

  it("an image typed that the server shows is not attached is not carried: its images follow", () => {
    expect(serverOption(server(uuid(1), "a", []), uuid(7))).toEqual({
      server: uuid(1),
      name: "a",
      seen: expect.objectContaining({ id: uuid(1), media: [] }),
    });
    expect(serverOption(server(uuid(1), "a", [IMAGE]), uuid(7)).image).toBeUndefined();
    // Not listed is not "not attached": ECL answers the detach.
    expect(serverOption(server(uuid(1), "a"), uuid(7)).image).toBe(uuid(7));
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
    const op = operation(new Date("2026-11-27T10:01:00Z"));
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
    // Each pick is chained to the event before it: the request, then the first pick.
    const [requested, first, second] = picked.unaudited ?? [];
    expect(first?.prev).toBe(requested?.hash);
    expect(second?.prev).toBe(first?.hash);
    expect(picked.lastEvent).toBe(second);
    expect(withPicks(op, [])).toBe(op);
  });
});

describe("what a choice says", () => {
  it("50 candidates and 20 images make messages Slack takes", () => {
    const candidates = Array.from({ length: 50 }, (_, i) =>
      serverOption(server(uuid(i), "app", [IMAGE, uuid(100 + i)]), undefined),
    );
    const servers = choice({ state: "open", offer: "servers", options: candidates });
    expect(checkMessage(lookupMessage(servers))).toBeUndefined();
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
    expect(checkMessage(lookupMessage(images))).toBeUndefined();
  });

  it("a hostile server name from ECL pings nobody and links nowhere", () => {
    const evil = "<!channel> <https://evil.example|web04>";
    const message = lookupMessage(
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

describe("ids", () => {
  it("the same command or pick gives the same id; another gives another", async () => {
    const { choiceIdFor, nextChoiceId, requestSeed } = await import("../../../lib/choices/choice");
    const id = choiceIdFor("T1", "1.2.3");
    expect(id).toMatch(/^ch-[0-9a-hjkmnp-tv-z]{10}$/);
    expect(choiceIdFor("T1", "1.2.3")).toBe(id);
    expect(choiceIdFor("T2", "1.2.3")).not.toBe(id);
    expect(choiceIdFor("T1", "1.2.4")).not.toBe(id);
    const made = choice({ id });
    expect(nextChoiceId(made, 0)).toMatch(/^ch-/);
    expect(nextChoiceId(made, 0)).toBe(nextChoiceId(made, 0));
    expect(nextChoiceId(made, 0)).not.toBe(nextChoiceId(made, 1));
    expect(nextChoiceId(made, 0)).not.toBe(id);
    expect(requestSeed(made)).toBe(`choice:${id}`);
    expect(requestSeed(made, 2)).toBe(`choice:${id}:2`);
  });

  it("a button value is anchored at both ends, and names at most 999 options", () => {
    expect(parseButtonValue("ch-0123456789:999")).toEqual({
      choiceId: "ch-0123456789",
      index: 999,
    });
    expect(parseButtonValue("ch-0123456789:0")).toEqual({ choiceId: "ch-0123456789", index: 0 });
    expect(parseButtonValue("ch-012345678:0")).toBeUndefined();
    expect(parseButtonValue("ch-0123456789A:0")).toBeUndefined();
    expect(parseButtonValue("ch-0123456789:x")).toBeUndefined();
  });
});

describe("what a choice keeps of a server, and of a pick", () => {
  it("only what ECL said: no status or power it did not give, media only when listed", async () => {
    const { seen } = await import("../../../lib/choices/choice");
    expect(seen(server(uuid(1), "a", [IMAGE]))).toEqual({
      id: uuid(1),
      name: "a",
      status: "ACTIVE",
      powerState: "RUNNING",
      taskState: "None",
      media: [IMAGE],
    });
    expect(
      seen({ ...server(uuid(1), "a"), status: undefined, powerState: undefined, taskState: null }),
    ).toEqual({ id: uuid(1), name: "a", taskState: "None" });
    expect(seen({ ...server(uuid(1), "a"), taskState: "REBOOTING" }).taskState).toBe("REBOOTING");
  });

  it("a pick: what was offered and asked, of how many, the server and image picked", async () => {
    const { pickOf } = await import("../../../lib/choices/choice");
    const made = choice({
      state: "open",
      offer: "images",
      asked: { server: "web01" },
      options: [
        { server: uuid(1), name: "web01", image: IMAGE },
        { server: uuid(1), name: "web01" },
      ],
    });
    const at = new Date("2026-11-27T10:05:00Z");
    expect(pickOf(made, 0, "U1", at)).toEqual({
      choiceId: "ch-0123456789",
      at: at.toISOString(),
      userId: "U1",
      offer: "images",
      asked: "web01",
      of: 2,
      server: uuid(1),
      image: IMAGE,
    });
    expect(pickOf(made, 1, "U1", at)).not.toHaveProperty("image");
    expect(pickOf(choice({}), 0, "U1", at)).toMatchObject({ offer: "servers", of: 0, server: "" });
  });

  it("close names: a name that begins with two or more letters typed, or that the typed one begins with", () => {
    expect(closeNames("ap", ["application-server"])).toEqual(["application-server"]);
    expect(closeNames("a", ["application-server"])).toEqual([]);
    expect(closeNames("application-server-2", ["app"])).toEqual(["app"]);
    expect(closeNames("application-server-2", ["ap"])).toEqual([]);
    // Long names are compared on their first 64 characters.
    const long = `${"x".repeat(64)}a`;
    expect(closeNames(`${"x".repeat(64)}b`, [long])).toEqual([long]);
  });

  it("a close name of one server, with the image typed, records that image", () => {
    expect(nameOptions("web1", [server(uuid(1), "web01", [IMAGE])], IMAGE)).toEqual([
      expect.objectContaining({ server: uuid(1), name: "web01", image: IMAGE }),
    ]);
    expect(nameOptions("web1", [server(uuid(1), "web01", [])], IMAGE)[0]?.image).toBeUndefined();
    expect(nameOptions("ap", [server(uuid(1), "app"), server(uuid(2), "app")], IMAGE)).toEqual([
      { server: "app", name: "app", servers: 2, image: IMAGE },
    ]);
  });
});

describe("close names, those with the image typed first", () => {
  it("servers that have the image come before closer names that do not", () => {
    const servers = [
      server(uuid(1), "web01", []),
      server(uuid(2), "web02", []),
      server(uuid(3), "web010", [IMAGE.toUpperCase()]),
    ];
    expect(nameOptions("web1", servers, IMAGE).map((o) => [o.name, o.image])).toEqual([
      ["web010", IMAGE],
      ["web01", undefined],
      ["web02", undefined],
    ]);
    // Without an image, closest first, as before.
    expect(nameOptions("web1", servers, undefined).map((o) => o.name)).toEqual([
      "web01",
      "web010",
      "web02",
    ]);
  });

  it("closeNames keeps its two-argument form; the names put first are ranked closest first", () => {
    const names = ["web01", "web02", "web010", "web011", "web1x"];
    expect(closeNames("web1", names)).toEqual(["web01", "web1x", "web010", "web011", "web02"]);
    expect(closeNames("web1", names, new Set(["web010", "web1x"]))).toEqual([
      "web1x",
      "web010",
      "web01",
      "web011",
      "web02",
    ]);
    // A name put first is still only offered when it is close.
    expect(closeNames("web1", ["web01", "db99"], new Set(["db99"]))).toEqual(["web01"]);
  });

  it("a server whose media ECL does not list is not ranked as having the image", () => {
    const servers = [server(uuid(1), "web01"), server(uuid(2), "web010", [IMAGE])];
    expect(nameOptions("web1", servers, IMAGE).map((o) => o.name)).toEqual(["web010", "web01"]);
  });
});

describe("close names and picks, at their edges", () => {
  it("case is not a difference, either way", () => {
    expect(closeNames("WEB1", ["web01", "db01"])).toEqual(["web01"]);
    expect(closeNames("web1", ["WEB01", "db01"])).toEqual(["WEB01"]);
  });

  it("a close name one server has offers that server; a name several share, how many", () => {
    const servers = [server(uuid(1), "web01"), server(uuid(2), "web02"), server(uuid(3), "web02")];
    const options = nameOptions("web0", servers, undefined);
    expect(options.find((o) => o.name === "web01")?.server).toBe(uuid(1));
    expect(options.find((o) => o.name === "web02")).toEqual({
      server: "web02",
      name: "web02",
      servers: 2,
    });
  });

  it("picks start the outbox of an operation that has none", () => {
    const op: Operation = operation(new Date("2026-11-27T10:00:00Z"));
    delete op.unaudited;
    const picked = withPicks(op, [
      {
        choiceId: "ch-0123456789",
        offer: "names",
        asked: "web1",
        of: 0,
        server: "web01",
        userId: "U1",
        at: "2026-11-27T10:00:00.000Z",
      },
    ]);
    expect(picked.unaudited?.map((e) => e.action)).toEqual(["chosen"]);
  });
});

describe("closeNames, with names past 64 characters", () => {
  it("only the first 64 characters of either are compared (a bound on the work a long name costs)", () => {
    const stem = "a".repeat(64);
    // Cut to 64, the first is the name typed (0 edits), then one edit from it, then two.
    const same = `${stem}yy`;
    const one = `${"a".repeat(63)}b`;
    const two = `${"a".repeat(62)}bb`;
    expect(closeNames(`${stem}x`, [two, one, same])).toEqual([same, one, two]);
  });
});

describe("what the audit keeps of a choice", () => {
  const WHERE = { channel: "C1", tenant: "t", asked: "app" };
  const seenServer = { id: uuid(1), name: "app" };

  it("the facts of any of its events: where, what was typed, and the choice a pick led from", () => {
    expect(choiceFacts(choice())).toStrictEqual(WHERE);
    const pick = (choiceId: string) => ({
      choiceId,
      at: "2026-11-27T10:00:00.000Z",
      userId: "U1",
      offer: "names" as const,
      asked: "ap",
      of: 1,
      server: "app",
    });
    expect(
      choiceFacts(
        choice({
          asked: { server: "app", image: IMAGE },
          picks: [pick("ch-a"), pick("ch-b"), pick("ch-c")],
        }),
      ),
    ).toStrictEqual({ ...WHERE, image: IMAGE, after: "ch-c" });
  });

  it.each([
    ["still looking", {}, undefined],
    [
      "recorded a request",
      {
        state: "ended" as const,
        ended: {
          kind: "recorded" as const,
          server: seenServer,
          result: {
            kind: "recorded" as const,
            operationId: "op-1",
            imageId: IMAGE,
            approvalsRequired: 0,
          },
        },
      },
      undefined,
    ],
    [
      "options, of no kind said",
      { state: "open" as const, options: [{ server: uuid(1), name: "app" }] },
      {
        action: "viewed:choices",
        facts: { ...WHERE, offer: "servers", options: 1, expires: "2026-11-27T10:30:00.000Z" },
      },
    ],
    [
      "nothing attached",
      { state: "ended" as const, ended: { kind: "nothing_attached" as const, server: seenServer } },
      { action: "choice_ended:nothing_attached", facts: { ...WHERE, server: uuid(1) } },
    ],
    [
      "no such name",
      { state: "ended" as const, ended: { kind: "no_server" as const } },
      { action: "choice_ended:no_server", facts: WHERE },
    ],
    [
      "failed",
      { state: "ended" as const, ended: { kind: "failed" as const, reason: "ECL is down" } },
      { action: "choice_ended:failed", facts: { ...WHERE, reason: "ECL is down" } },
    ],
  ])("one %s: %j", (_, changes, audited) => {
    // Strictly: no fact is there with nothing in it.
    expect(choiceAudit(choice(changes))).toStrictEqual(audited);
  });
});
